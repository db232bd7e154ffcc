package nn

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// BenchConfig is `also bench surrogate`: one bandit over one episode at the paper configuration,
// exactly as ../shared/bench/surrogate_torch.py does it in PyTorch.
type BenchConfig struct {
	Dim    int // embedding size; the network input is twice this (arm ++ context)
	Arms   int
	Turns  int
	Hidden int
	Depth  int
	Repeat int
	Seed   uint64
	// FloorBudget is the time spent measuring each of the floor's two rates; 0 skips the floor.
	FloorBudget time.Duration
}

// DefaultBenchConfig matches surrogate_torch.py's defaults.
func DefaultBenchConfig() BenchConfig {
	return BenchConfig{Dim: 4096, Arms: 13, Turns: 20, Hidden: 100, Depth: 2, Repeat: 3,
		FloorBudget: 300 * time.Millisecond}
}

// Validate names the first bad field.
func (c BenchConfig) Validate() error {
	switch {
	case c.Dim < 1:
		return fmt.Errorf("bench: dim = %d: must be >= 1", c.Dim)
	case c.Arms < 1:
		return fmt.Errorf("bench: arms = %d: must be >= 1", c.Arms)
	case c.Turns < 2:
		return fmt.Errorf("bench: turns = %d: must be >= 2 (retraining happens after turns 1..turns-1)", c.Turns)
	case c.Hidden < 1:
		return fmt.Errorf("bench: hidden = %d: must be >= 1", c.Hidden)
	case c.Depth < 0:
		return fmt.Errorf("bench: depth = %d: must be >= 0", c.Depth)
	case c.Repeat < 1:
		return fmt.Errorf("bench: repeat = %d: must be >= 1", c.Repeat)
	case c.FloorBudget < 0:
		return fmt.Errorf("bench: floor budget = %v: must be >= 0", c.FloorBudget)
	}
	return nil
}

// BenchResult is the timing of every repeat and their median.
type BenchResult struct {
	Kernel  string
	Repeats []time.Duration
	Median  time.Duration
	Steps   int // Adam steps per episode
	Params  int
	Rates   FloorRates // zero when FloorBudget is 0
	Floor   Floor
}

// BenchSurrogate times the per-turn retraining of one bandit over one episode: after turn n
// (n = 1 .. Turns-1) a fresh network is trained from scratch on the n records so far (random
// arm/context embeddings and rewards, 100 epochs without early stop so the work is fixed) and
// predicts every arm. It runs on one workspace of pool (one core), writes one line per repeat
// then, unless FloorBudget is 0, the measured hardware floor of the same Adam steps (MeasureFloor)
// and the fraction of it achieved, and a last line go_ms_per_episode_bandit=<median>. now is the
// clock of the repeats.
func BenchSurrogate(ctx context.Context, cfg BenchConfig, pool *Pool, now func() time.Time, w io.Writer) (BenchResult, error) {
	if err := cfg.Validate(); err != nil {
		return BenchResult{}, err
	}
	var res BenchResult
	err := pool.Do(ctx, func(ws *Workspace) error {
		res.Kernel = ws.KernelName()
		for r := 0; r < cfg.Repeat; r++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			start := now()
			steps, err := benchEpisode(ws, cfg, rand.New(rand.NewPCG(cfg.Seed, uint64(r))))
			if err != nil {
				return err
			}
			res.Steps = steps
			d := now().Sub(start)
			res.Repeats = append(res.Repeats, d)
			if _, err := fmt.Fprintf(w, "repeat %d: %.1f ms for %d retrains (kernels=%s, dim=%d)\n",
				r, ms(d), cfg.Turns-1, res.Kernel, cfg.Dim); err != nil {
				return err
			}
		}
		res.Params = Spec{In: 2 * cfg.Dim, Hidden: cfg.Hidden, Depth: cfg.Depth, Out: 1}.NumParams()
		if cfg.FloorBudget > 0 {
			res.Rates = ws.MeasureFloor(res.Params, cfg.FloorBudget)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	sorted := slices.Clone(res.Repeats)
	slices.Sort(sorted)
	if len(sorted)%2 == 1 {
		res.Median = sorted[len(sorted)/2]
	} else {
		res.Median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	if cfg.FloorBudget > 0 {
		res.Floor = FloorOf(res.Rates, res.Steps, res.Params)
		if _, err := fmt.Fprintf(w, "measured: %.1f GB/s streaming w, m, v (%d float64 each), %.2f G sqrt+div/s (kernels=%s)\n%s\nachieved %.2f of the floor (floor / median)\n",
			res.Rates.BytesPerSec/1e9, res.Params, res.Rates.SqrtDivPerSec/1e9, res.Rates.Kernel, res.Floor,
			float64(res.Floor.Time)/float64(res.Median)); err != nil {
			return res, err
		}
	}
	_, err = fmt.Fprintf(w, "go_ms_per_episode_bandit=%.1f\n", ms(res.Median))
	return res, err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchEpisode plays one episode and returns the Adam steps it took.
func benchEpisode(ws *Workspace, cfg BenchConfig, rng *rand.Rand) (int, error) {
	in := 2 * cfg.Dim
	normals := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.NormFloat64()
		}
		return s
	}
	arms := normals(cfg.Arms * cfg.Dim)
	ctxs := normals(cfg.Turns * cfg.Dim)
	x := make([]float64, cfg.Turns*in)
	y := make([]float64, cfg.Turns)
	for t := 0; t < cfg.Turns; t++ {
		arm := rng.IntN(cfg.Arms)
		copy(x[t*in:], arms[arm*cfg.Dim:(arm+1)*cfg.Dim])
		copy(x[t*in+cfg.Dim:], ctxs[t*cfg.Dim:(t+1)*cfg.Dim])
		y[t] = rng.Float64()
	}
	spec := Spec{In: in, Hidden: cfg.Hidden, Depth: cfg.Depth, Out: 1, Act: GELU, Init: XavierUniform}
	net, err := ws.Net(spec)
	if err != nil {
		return 0, err
	}
	steps := 0
	pred := make([]float64, cfg.Arms)
	for n := 1; n < cfg.Turns; n++ {
		net.Init(rng)
		tc := ALSOTrainConfig(n)
		tc.EarlyStop = false
		st, err := ws.Train(net, Dataset{X: x[:n*in], Y: y[:n], N: n}, tc, rng)
		if err != nil {
			return 0, err
		}
		steps += st.Steps
		inputs := ws.Inputs(cfg.Arms, in)
		for a := 0; a < cfg.Arms; a++ {
			copy(inputs[a*in:], arms[a*cfg.Dim:(a+1)*cfg.Dim])
			copy(inputs[a*in+cfg.Dim:], ctxs[(n-1)*cfg.Dim:n*cfg.Dim])
		}
		if err := net.Predict(inputs, pred); err != nil {
			return 0, err
		}
		for _, p := range pred {
			if math.IsNaN(p) || math.IsInf(p, 0) {
				return 0, fmt.Errorf("bench: retraining on %d records gave a non-finite prediction", n)
			}
		}
	}
	return steps, nil
}
