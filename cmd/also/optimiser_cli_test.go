package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/config"
)

// `also run --bandit-type X` runs every prompt optimiser offline in the sim world; the
// population flags reach the run configuration; a live optimiser in the sim world is refused.
func TestRunPromptOptimisers(t *testing.T) {
	dir := t.TempDir()
	for _, b := range []string{"opro", "evoprompt_ga", "evoprompt_de", "progressive_prompt_breeder"} {
		out := filepath.Join(dir, b)
		if _, err := cliRun(t, "run", "-q", "--max-episodes", "1", "--max-turns", "8", "--bandit-type", b,
			"--population-size", "4", "--evolution-interval", "3", "--out", out, "--store", filepath.Join(dir, "store-"+b)); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		raw, err := os.ReadFile(filepath.Join(out, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var cfg config.Run
		if err := json.Unmarshal(raw, &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.Policy.PopulationSize != 4 || cfg.Policy.EvolutionInterval != 3 {
			t.Errorf("%s: run.json population %d, interval %d", b, cfg.Policy.PopulationSize, cfg.Policy.EvolutionInterval)
		}
		eps, err := os.ReadFile(filepath.Join(out, "episodes.jsonl"))
		if err != nil || !strings.Contains(string(eps), `"arm_operator"`) {
			t.Errorf("%s: no created arm in the episode (%v)", b, err)
		}
	}
	if _, err := cliRun(t, "run", "-q", "--bandit-type", "opro", "--optimizer-model", "openrouter/qwen/qwen-2.5-7b-instruct",
		"--out", filepath.Join(dir, "bad")); err == nil || !strings.Contains(err.Error(), "optimizer_model") {
		t.Errorf("a live optimiser in the sim world: %v", err)
	}
}
