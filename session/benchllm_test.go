package session

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIdealWallArithmetic(t *testing.T) {
	for _, c := range []struct {
		episodes, batch int
		calls           float64
		latency         time.Duration
		waves           int
		ideal           time.Duration
	}{
		{128, 64, 40.5, 200 * time.Millisecond, 2, 16200 * time.Millisecond},
		{1024, 512, 41, 200 * time.Millisecond, 2, 16400 * time.Millisecond},
		{5, 2, 3, time.Second, 3, 9 * time.Second}, // a last, partial wave takes a full episode
		{3, 8, 10, 10 * time.Millisecond, 1, 100 * time.Millisecond},
		{0, 8, 10, time.Second, 0, 0},
	} {
		waves, ideal := IdealWall(c.episodes, c.batch, c.calls, c.latency)
		if waves != c.waves || ideal != c.ideal {
			t.Errorf("IdealWall(%d, %d, %v, %v) = %d waves, %v; want %d, %v", c.episodes, c.batch, c.calls, c.latency, waves, ideal, c.waves, c.ideal)
		}
	}
}

// A tiny bench runs real episodes and derives its figures from the server's count and the clock.
func TestBenchLLMRunsAndReportsItsRatio(t *testing.T) {
	cfg := BenchLLMConfig{Latency: 2 * time.Millisecond, BatchSize: 4, Episodes: 6, MaxTurns: 3, Bandit: "random", Dir: t.TempDir()}
	// The clock is read twice, around the run: the wall time is exactly 90 ms.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reads := 0
	cfg.Now = func() time.Time {
		reads++
		return start.Add(time.Duration(reads-1) * 90 * time.Millisecond)
	}
	r, err := BenchLLM(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Done != 6 || r.Failed != 0 || r.Requests == 0 || r.PeakInFlight > cfg.BatchSize {
		t.Fatalf("result %+v", r)
	}
	// Each episode: 3 agent calls, 2 per-turn judgements, 1 terminal one, 1 for the arm embeddings.
	if r.Requests != 6*7 || r.CallsPerEpisode != 7 {
		t.Fatalf("%d requests, %v calls per episode", r.Requests, r.CallsPerEpisode)
	}
	wantIdeal := time.Duration(float64(2) * r.CallsPerEpisode * float64(2*time.Millisecond))
	if r.Waves != 2 || r.Wall != 90*time.Millisecond || (r.Ideal-wantIdeal).Abs() > time.Nanosecond ||
		r.Ratio != float64(r.Wall)/float64(r.Ideal) {
		t.Fatalf("result %+v, want ideal %v", r, wantIdeal)
	}
	var out strings.Builder
	WriteBenchLLM(&out, r)
	if !strings.Contains(out.String(), "ratio") || !strings.Contains(out.String(), "2 waves") {
		t.Fatalf("report:\n%s", out.String())
	}
}

// With the ALSO bandit the surrogates train: the bench counts their jobs and CPU, and the ratio
// is taken against the larger of the LLM ideal and the CPU floor.
func TestBenchLLMCountsTheTrainingFloor(t *testing.T) {
	cfg := BenchLLMConfig{Latency: time.Millisecond, BatchSize: 2, Episodes: 2, MaxTurns: 4, Bandit: "also", EmbeddingDim: 16, Dir: t.TempDir()}
	r, err := BenchLLM(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Done != 2 || r.TrainJobs == 0 || r.TrainCPU <= 0 || r.Cores < 1 || r.CPUFloor != r.TrainCPU/time.Duration(r.Cores) {
		t.Fatalf("result %+v", r)
	}
	if r.Ratio != float64(r.Wall)/float64(max(r.Ideal, r.CPUFloor)) {
		t.Fatalf("ratio %v, wall %v, ideal %v, floor %v", r.Ratio, r.Wall, r.Ideal, r.CPUFloor)
	}
	var out strings.Builder
	WriteBenchLLM(&out, r)
	for _, want := range []string{"embeddings 16-d", "surrogate jobs", "max(ideal, floor)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBenchLLMConfigNamesTheBadField(t *testing.T) {
	for field, mutate := range map[string]func(*BenchLLMConfig){
		"latency":         func(c *BenchLLMConfig) { c.Latency = 0 },
		"batch-size":      func(c *BenchLLMConfig) { c.BatchSize = 0 },
		"episodes":        func(c *BenchLLMConfig) { c.Episodes = -1 },
		"max-turns":       func(c *BenchLLMConfig) { c.MaxTurns = 0 },
		"llm-concurrency": func(c *BenchLLMConfig) { c.LLMConcurrency = -1 },
		"embedding-dim":   func(c *BenchLLMConfig) { c.EmbeddingDim = -1 },
	} {
		c := DefaultBenchLLMConfig()
		mutate(&c)
		if _, err := BenchLLM(context.Background(), c); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestBenchVectorIsADeterministicUnitVectorPerText(t *testing.T) {
	a, again, b := benchVector("arm one", 4096), benchVector("arm one", 4096), benchVector("arm two", 4096)
	norm := 0.0
	for i, x := range a {
		norm += x * x
		if again[i] != x {
			t.Fatal("not deterministic")
		}
	}
	if math.Abs(norm-1) > 1e-12 || len(a) != 4096 || slices.Equal(a, b) {
		t.Fatalf("norm %v, len %d, equal across texts %v", norm, len(a), slices.Equal(a, b))
	}
}
