package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/also-project/also/nn"
)

// newBenchSurrogateCmd is `also bench surrogate`: the ALSO surrogate's per-turn retraining of one
// bandit over one episode, timed on one core, side by side with
// ../shared/bench/surrogate_torch.py (same shapes and hyper-parameters; nn.BenchSurrogate).
func newBenchSurrogateCmd() *cobra.Command {
	c := nn.DefaultBenchConfig()
	cmd := &cobra.Command{
		Use:   "surrogate",
		Short: "Time the neural surrogate's retraining over one episode (compare with surrogate_torch.py)",
		Long: `After turn n (n = 1 .. turns-1) a fresh MLP (input 2 x dim = arm ++ context, --depth GELU
layers of --hidden units, float64) is trained from scratch on the n records so far: Adam lr 1e-2,
weight decay min(0.01, 0.01/n), cosine annealing over 100 epochs to 1e-4, batches of 8, gradient
clipping at 1.0, no early stop (fixed work); then it predicts every arm. Embeddings and rewards are
random. One worker, one core. Prints one line per repeat, then the hardware floor of the same
work (Adam steps x parameters: 48 bytes each at the streaming bandwidth measured over arrays of
the parameters' size, and one square root and division each at the measured throughput; the
larger of the two) and the fraction of it achieved, and go_ms_per_episode_bandit=<median>.
Kernels (AVX-512, AVX2/FMA or portable) are chosen from the CPU; ALSO_KERNELS=portable|avx2|avx512
forces one (the first line names the kernels used).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, err := nn.NewPool(1)
			if err != nil {
				return err
			}
			_, err = nn.BenchSurrogate(cmd.Context(), c, pool, time.Now, cmd.OutOrStdout())
			return err
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&c.Dim, "dim", c.Dim, "embedding size; the network input is twice this")
	fs.IntVar(&c.Repeat, "repeat", c.Repeat, "episodes to time")
	fs.IntVar(&c.Arms, "arms", c.Arms, "arms predicted after each retraining")
	fs.IntVar(&c.Turns, "turns", c.Turns, "turns per episode (retraining after turns 1 .. turns-1)")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "hidden units per layer")
	fs.IntVar(&c.Depth, "depth", c.Depth, "hidden layers")
	fs.DurationVar(&c.FloorBudget, "floor-budget", c.FloorBudget, "time spent measuring each rate of the hardware floor (0 skips it)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the random embeddings, rewards, weights and batches")
	return cmd
}
