package session

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/fakellm"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/sotopia"
)

// BenchLLMConfig configures BenchLLM: full `also run` episodes against a fake model server on
// loopback whose every answer takes Latency.
type BenchLLMConfig struct {
	Latency   time.Duration
	BatchSize int
	Episodes  int
	MaxTurns  int
	// Bandit optimises both seats (so the per-turn judge runs). With random or static its
	// compute is negligible and the figure measures the LLM path; with also (the paper's
	// workload) the surrogates' training competes for the cores and the CPU floor counts.
	Bandit string
	// EmbeddingDim is the length of the fake model's embeddings; 0 means the paper's 4096 with
	// the also bandit and 8 otherwise.
	EmbeddingDim int
	// LLMConcurrency caps requests in flight per endpoint; 0 means the batch size (each episode
	// has at most one call in flight). The llm layer's own default for custom servers is 8.
	LLMConcurrency int
	// Dir holds the run's store and folder; "" means a temporary directory, removed afterwards.
	Dir string
	// Log receives the run's progress lines; nil discards them.
	Log io.Writer
	// Now is the clock the wall time is read from (default time.Now).
	Now func() time.Time
}

// DefaultBenchLLMConfig is `also bench llm` with no flags.
func DefaultBenchLLMConfig() BenchLLMConfig {
	return BenchLLMConfig{Latency: 200 * time.Millisecond, BatchSize: 64, Episodes: 128, MaxTurns: 20, Bandit: "random"}
}

// Validate names the first bad field.
func (c BenchLLMConfig) Validate() error {
	switch {
	case c.Latency <= 0:
		return fmt.Errorf("latency = %v: must be positive (the ideal is counted in latencies)", c.Latency)
	case c.BatchSize < 1:
		return fmt.Errorf("batch-size = %d: must be at least 1", c.BatchSize)
	case c.Episodes < 1:
		return fmt.Errorf("episodes = %d: must be at least 1", c.Episodes)
	case c.MaxTurns < 1:
		return fmt.Errorf("max-turns = %d: must be at least 1", c.MaxTurns)
	case c.EmbeddingDim < 0:
		return fmt.Errorf("embedding-dim = %d: must be >= 0 (0 = 4096 for also, 8 otherwise)", c.EmbeddingDim)
	case c.LLMConcurrency < 0:
		return fmt.Errorf("llm-concurrency = %d: must be >= 0 (0 = the batch size)", c.LLMConcurrency)
	case c.Bandit == "":
		return errors.New("bandit: must name a policy (random or static keep its compute negligible)")
	}
	return nil
}

// BenchLLMResult is what BenchLLM measured.
type BenchLLMResult struct {
	Config   BenchLLMConfig
	Done     int // episodes that finished
	Failed   int // episodes that failed (a healthy bench has none)
	Requests int // HTTP requests the server received
	// CallsPerEpisode is Requests / Episodes. An episode's calls run one after another (act,
	// judge, next act ...), so it is also the episode's length in latencies.
	CallsPerEpisode float64
	Waves           int           // ceil(Episodes / BatchSize)
	Ideal           time.Duration // Waves x CallsPerEpisode x Latency
	// TrainJobs and TrainCPU are the surrogates' trainings (and predictions) and the CPU time
	// they took; CPUFloor = TrainCPU / Cores is the wall time they need on the run's workers.
	TrainJobs    int64
	TrainCPU     time.Duration
	Cores        int
	CPUFloor     time.Duration
	Wall         time.Duration
	Ratio        float64 // Wall / max(Ideal, CPUFloor)
	PeakInFlight int     // most requests the server held at once
	// CPU is the CPU time the process (the run and the fake server) used during the run; a
	// ratio well above 1 with CPU close to Wall x the cores it could get means CPU-starved.
	CPU time.Duration
}

// IdealWall is the wall time of episodes of callsPerEpisode sequential calls of the given
// latency, batchSize at a time, with zero overhead: every wave takes one episode's length.
func IdealWall(episodes, batchSize int, callsPerEpisode float64, latency time.Duration) (waves int, ideal time.Duration) {
	if episodes < 1 || batchSize < 1 {
		return 0, 0
	}
	waves = (episodes + batchSize - 1) / batchSize
	return waves, time.Duration(math.Round(float64(waves) * callsPerEpisode * float64(latency)))
}

// summarise fills the derived figures from the counts and the wall time.
func (r *BenchLLMResult) summarise(episodes int) {
	r.CallsPerEpisode = float64(r.Requests) / float64(episodes)
	r.Waves, r.Ideal = IdealWall(episodes, r.Config.BatchSize, r.CallsPerEpisode, r.Config.Latency)
	if r.Cores > 0 {
		r.CPUFloor = r.TrainCPU / time.Duration(r.Cores)
	}
	if bound := r.Bound(); bound > 0 {
		r.Ratio = float64(r.Wall) / float64(bound)
	}
}

// Bound is the larger of the two floors: the models' latency and the training's CPU.
func (r *BenchLLMResult) Bound() time.Duration { return max(r.Ideal, r.CPUFloor) }

// BenchLLM runs cfg.Episodes full episodes through session.Execute (actors, live world, llm
// router, embedded store, run folder) against an in-process fakellm server, with the llm
// layer's concurrency raised to the batch size. Tasks cycle through Sotopia's 450.
func BenchLLM(ctx context.Context, cfg BenchLLMConfig) (*BenchLLMResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "also-bench-llm-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, err
	}
	all, err := ds.Subset("all")
	if err != nil {
		return nil, err
	}
	if cfg.EmbeddingDim == 0 {
		cfg.EmbeddingDim = 8
		if cfg.Bandit == "also" {
			cfg.EmbeddingDim = 4096
		}
	}
	srv := fakellm.Start(fakellm.Config{Latency: cfg.Latency, NoRecord: true, Handler: benchScript(cfg.EmbeddingDim), EmbeddingDim: cfg.EmbeddingDim,
		Float32: true})
	defer srv.Close()

	run := config.DefaultRun()
	url := srv.URL()
	run.Model = "custom/agent@" + url
	run.RewardEvalModel, run.TerminalEvalModel = "custom/judge@"+url, "custom/judge@"+url
	run.EmbeddingModel = "custom/embed@" + url
	run.Bandit, run.Optimize, run.UseContext = cfg.Bandit, "both", false
	run.MaxTurns, run.BatchSize, run.MaxRetries = cfg.MaxTurns, cfg.BatchSize, 0
	run.LLMConcurrency = cfg.LLMConcurrency
	if run.LLMConcurrency == 0 {
		run.LLMConcurrency = cfg.BatchSize // one call in flight per episode at most
	}
	run.Tag = "bench_llm"
	run.Store, run.Out = filepath.Join(dir, "store"), filepath.Join(dir, "run")
	run.Tasks = make([]string, cfg.Episodes)
	for i := range run.Tasks {
		run.Tasks[i] = all[i%len(all)].PK
	}
	pool, err := nn.NewPool(nn.DefaultWorkers())
	if err != nil {
		return nil, err
	}
	opt := Options{Log: cfg.Log, RepeatTasks: true, Pool: pool, LLM: LLMOptions{LookupEnv: func(string) (string, bool) { return "", false }, DotEnv: "-"}}

	cpu0, _ := processCPU()
	start := cfg.Now()
	out, err := Execute(ctx, run, opt)
	wall := cfg.Now().Sub(start)
	cpu1, _ := processCPU()
	if err != nil {
		return nil, err
	}
	st := pool.Stats()
	res := &BenchLLMResult{Config: cfg, Wall: wall, Requests: srv.Count(), PeakInFlight: srv.PeakInFlight(), CPU: cpu1 - cpu0,
		TrainJobs: st.Jobs, TrainCPU: st.CPU, Cores: pool.Workers()}
	for _, a := range out.Result.Attempts {
		if a.Status == sotopia.StatusDone {
			res.Done++
		} else {
			res.Failed++
		}
	}
	res.summarise(cfg.Episodes)
	return res, nil
}

// benchScript answers by model id with fixed replies: the fake server shares the machine with
// the run, so it does as little as it can (no prompt scanning or hashing, see sotopiaScript).
// Its embeddings are benchVector's, whose cost does not grow with the text's length as
// fakellm.HashVector's does (a dialogue's embedding cost it milliseconds at 4096-d).
func benchScript(dim int) fakellm.Handler {
	var scores [sotopia.Seats]sotopia.Scores
	for seat := range scores {
		for d, info := range sotopia.Dimensions {
			scores[seat][d] = info.Max - float64(seat)
		}
	}
	judge := fakellm.Reply{Content: evaluationJSON(scores)}
	agent := fakellm.Reply{Content: speakJSON("That works for me; let us settle it.")}
	return func(r fakellm.Request) fakellm.Reply {
		switch {
		case r.Kind == fakellm.KindEmbeddings:
			vecs := make([][]float64, len(r.Input))
			for i, text := range r.Input {
				vecs[i] = benchVector(text, dim)
			}
			return fakellm.Reply{Vectors: vecs}
		case r.Model == "judge":
			return judge
		}
		return agent
	}
}

// benchVector is a deterministic unit vector for text: one FNV-1a hash of the text seeds a PCG
// stream that fills the dimensions.
func benchVector(text string, dim int) []float64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(dim)))
	v := make([]float64, dim)
	var norm float64
	for i := range v {
		v[i] = rng.Float64()*2 - 1
		norm += v[i] * v[i]
	}
	if norm > 0 {
		inv := 1 / math.Sqrt(norm)
		for i := range v {
			v[i] *= inv
		}
	}
	return v
}

func perJob(r *BenchLLMResult) float64 {
	if r.TrainJobs == 0 {
		return 0
	}
	return float64(r.TrainCPU) / float64(r.TrainJobs) / float64(time.Millisecond)
}

// WriteBenchLLM prints a result for people.
func WriteBenchLLM(w io.Writer, r *BenchLLMResult) {
	c := r.Config
	fmt.Fprintf(w, "episodes %d (done %d, failed %d), batch size %d, max turns %d, latency %v, bandit %s, embeddings %d-d, kernels %s\n",
		c.Episodes, r.Done, r.Failed, c.BatchSize, c.MaxTurns, c.Latency, c.Bandit, c.EmbeddingDim, nn.KernelName())
	fmt.Fprintf(w, "llm requests %d (%.2f sequential calls per episode), peak in flight %d\n",
		r.Requests, r.CallsPerEpisode, r.PeakInFlight)
	fmt.Fprintf(w, "wall  %8.3fs\nideal %8.3fs  (LLM: %d waves x %.2f calls x %v)\n",
		r.Wall.Seconds(), r.Ideal.Seconds(), r.Waves, r.CallsPerEpisode, c.Latency)
	fmt.Fprintf(w, "floor %8.3fs  (CPU: %d surrogate jobs x %.1f ms measured / %d cores)\n",
		r.CPUFloor.Seconds(), r.TrainJobs, perJob(r), r.Cores)
	fmt.Fprintf(w, "ratio %8.3f  (wall / max(ideal, floor))\n", r.Ratio)
	if r.CPU > 0 {
		fmt.Fprintf(w, "cpu   %8.3fs  (%.2f cores busy on average of %d; the fake server's share included)\n",
			r.CPU.Seconds(), r.CPU.Seconds()/r.Wall.Seconds(), r.Cores)
	}
}
