package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/report"
)

func quickRun(t *testing.T, mutate func(*config.Run)) config.Run {
	t.Helper()
	cfg := config.DefaultRun()
	cfg.Store = filepath.Join(t.TempDir(), "store")
	cfg.Out = filepath.Join(t.TempDir(), "run")
	cfg.MaxEpisodes = 3
	cfg.MaxTurns = 8
	// The default ALSO bandit, with few epochs: these tests are about the pipeline, not learning.
	cfg.Policy.ALSO.Epochs = 5
	if mutate != nil {
		mutate(&cfg)
	}
	return cfg
}

func TestSameSeedIdenticalEpisodesFile(t *testing.T) {
	var files [2][]byte
	for i := range files {
		cfg := quickRun(t, func(c *config.Run) { c.Seed = 7 })
		out, err := Execute(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Summary.Done != 3 {
			t.Fatalf("summary: %+v", out.Summary)
		}
		if files[i], err = os.ReadFile(filepath.Join(out.Dir, "episodes.jsonl")); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"run.json", "summary.json"} {
			if _, err := os.Stat(filepath.Join(out.Dir, name)); err != nil {
				t.Error(err)
			}
		}
	}
	if len(files[0]) == 0 || !bytes.Equal(files[0], files[1]) {
		t.Fatal("episodes.jsonl differs between two runs with seed 7")
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	var files [2][]byte
	for i := range files {
		cfg := quickRun(t, func(c *config.Run) { c.Seed = int64(i + 1); c.MaxEpisodes = 1 })
		out, err := Execute(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		files[i], _ = os.ReadFile(filepath.Join(out.Dir, "episodes.jsonl"))
	}
	if bytes.Equal(files[0], files[1]) {
		t.Fatal("seeds 1 and 2 gave identical episodes")
	}
}

// EXP3 against the static opponent over a long horizon: its mean cumulative regret must be lower
// than uniform random play (within 20 turns it is near uniform by design; sim-world.md).
func TestEXP3BeatsRandomOnLongHorizon(t *testing.T) {
	if testing.Short() {
		t.Skip("long horizon")
	}
	meanRegret := func(bandit string) float64 {
		var sum float64
		var n int
		for _, seed := range []int64{1, 2, 3, 4} {
			cfg := quickRun(t, func(c *config.Run) {
				c.Bandit, c.Seed, c.MaxTurns, c.MaxEpisodes, c.Sim.Opponent = bandit, seed, 200, 4, "static"
				c.Sim.LeaveTrust = 0 // a fixed horizon, so cumulative regrets compare
			})
			out, err := Execute(context.Background(), cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			eps, err := report.ReadEpisodes(filepath.Join(out.Dir, "episodes.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			for _, ep := range eps {
				for seat := range 2 {
					if r, ok := report.CumulativeRegret(ep, seat); ok {
						sum += r
						n++
					}
				}
			}
		}
		if n == 0 {
			t.Fatalf("%s: no regret recorded", bandit)
		}
		return sum / float64(n)
	}
	exp3, random := meanRegret("exp3"), meanRegret("random")
	t.Logf("mean cumulative regret over 200 turns: exp3 %.2f, random %.2f", exp3, random)
	if !(exp3 < random) {
		t.Fatalf("exp3 regret %.2f is not below random's %.2f", exp3, random)
	}
}

func TestResumeSkipsStoredTasks(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	first := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.MaxEpisodes = store, "resume-test", 2 })
	if _, err := Execute(context.Background(), first, Options{}); err != nil {
		t.Fatal(err)
	}
	second := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.MaxEpisodes, c.Resume = store, "resume-test", 4, true })
	out, err := Execute(context.Background(), second, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Skipped != 2 || out.Summary.Episodes != 2 || out.Summary.Done != 2 {
		t.Fatalf("resume: skipped %d, summary %+v", out.Skipped, out.Summary)
	}
}

func TestBadConfigurationNamesTheField(t *testing.T) {
	for field, mutate := range map[string]func(*config.Run){
		"subset":      func(c *config.Run) { c.Subset = "easy" },
		"bandit type": func(c *config.Run) { c.Bandit = "nope" },
		"optimize":    func(c *config.Run) { c.Optimize = "p3" },
		"max_turns":   func(c *config.Run) { c.MaxTurns = 0 },
		"strategy":    func(c *config.Run) { c.StrategyVersion = "v9" },
	} {
		_, err := Execute(context.Background(), quickRun(t, mutate), Options{})
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v", field, err)
		}
	}
}
