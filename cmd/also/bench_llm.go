package main

import (
	"github.com/spf13/cobra"

	"github.com/also-project/also/session"
)

// newBenchLLMCmd is `also bench llm`: how close full episodes come to the wall time that the
// models' latency alone imposes (session.BenchLLM).
func newBenchLLMCmd() *cobra.Command {
	c := session.DefaultBenchLLMConfig()
	var verbose bool
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "llm",
		Short: "Wall time of full episodes against a fake model server vs. the latency-bound ideal",
		Long: `Starts a fake OpenAI-compatible server on loopback whose every answer takes --latency, and runs
--episodes full episodes through the same path as ` + "`also run`" + ` (actors, live world, llm router,
embedded store, run folder), --batch-size at a time, both seats optimised by --bandit-type so the
per-turn judge runs. The llm layer may hold --batch-size requests in flight.

ideal = ceil(episodes / batch size) x sequential calls per episode x latency, with the calls
per episode counted by the server (every call of an episode waits for the one before).
floor = the surrogates' training CPU time (jobs x their measured cost, on the training threads'
clocks) / cores: what the neural bandits need however the work is scheduled.
ratio = wall / max(ideal, floor): 1.0 means the run adds nothing to the larger of the two.
With --bandit-type also the fake embeddings default to the paper's 4096 dimensions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if verbose {
				c.Log = cmd.ErrOrStderr()
			}
			stop, err := startCPUProfile(cpuProfile)
			if err != nil {
				return err
			}
			res, err := session.BenchLLM(cmd.Context(), c)
			if perr := stop(); err == nil {
				err = perr
			}
			if err != nil {
				return err
			}
			session.WriteBenchLLM(cmd.OutOrStdout(), res)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.DurationVar(&c.Latency, "latency", c.Latency, "server-side latency of every answer")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "episodes run at once")
	fs.IntVar(&c.Episodes, "episodes", c.Episodes, "episodes to run (tasks cycle through Sotopia's 450)")
	fs.IntVar(&c.MaxTurns, "max-turns", c.MaxTurns, "environment steps per episode")
	fs.IntVar(&c.LLMConcurrency, "llm-concurrency", c.LLMConcurrency, "requests in flight per endpoint (0 = the batch size; also run defaults to 8 for custom servers)")
	fs.StringVar(&c.Bandit, "bandit-type", c.Bandit, "policy of both seats (random, static: negligible compute; also: the paper's workload)")
	fs.IntVar(&c.EmbeddingDim, "embedding-dim", c.EmbeddingDim, "length of the fake embeddings (0 = 4096 with --bandit-type also, else 8)")
	fs.StringVar(&c.Dir, "dir", c.Dir, "directory for the run's store and folder (default: a temporary one, removed)")
	fs.BoolVarP(&verbose, "verbose", "v", false, "progress lines on stderr")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run (go tool pprof) to this file")
	return cmd
}
