package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestSmokeExperimentIsOfflineAndSmall(t *testing.T) {
	e, err := LoadExperiment("../experiments/smoke.toml")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := e.Cells()
	if err != nil {
		t.Fatal(err)
	}
	methods, opponents := map[string]bool{}, map[string]bool{}
	episodes := 0
	for _, c := range cells {
		if !c.Run.IsSim() {
			t.Fatalf("cell %s is not offline", c.Label)
		}
		methods[c.Run.Bandit] = true
		opponents[c.Run.Sim.Opponent] = true
		episodes += c.Run.MaxEpisodes
	}
	if len(methods) < 3 || len(opponents) < 2 || len(cells) != len(methods)*len(opponents) {
		t.Fatalf("%d cells over methods %v and opponents %v: want at least 3 x 2", len(cells), methods, opponents)
	}
	if episodes == 0 || episodes > 30 {
		t.Fatalf("%d episodes: the smoke experiment must stay small", episodes)
	}
}

// The paper's table is five methods x two models on all tasks (Hard is its hard episodes), and each cell plays exactly as the
// preset it mirrors (same configuration fingerprint), except that the Original (no optimised
// seat) cells with Qwen carry DeepSeek provider preferences they never use (no DeepSeek call).
func TestPaperTableMirrorsThePresets(t *testing.T) {
	e, err := LoadExperiment("../experiments/paper/table.toml")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := e.Cells()
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 10 {
		t.Fatalf("%d cells, want 5 methods x 2 models", len(cells))
	}
	preset := map[string]string{
		"Original": "baseline_v3-%s.toml", "Instinct": "neural_ucb_no_ctx_v3-%s-both.toml", "OPRO": "opro_v3-%s-both.toml",
		"EvoPrompt": "evoprompt_v3-%s-both.toml", "ALSO": "adversarial_v3-%s-both.toml",
	}
	models := map[string]string{"DeepSeek-V3.2": "deepseek", "Qwen2.5-72B": "qwen"}
	for _, c := range cells {
		parts := strings.Fields(c.Label) // method model
		if c.Run.Subset != "all" {
			t.Errorf("cell %s: subset %s, want all", c.Label, c.Run.Subset)
		}
		file := fmt.Sprintf(preset[parts[0]], models[parts[1]])
		p, err := LoadRun("../experiments/paper/" + file)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := p.Identity()
		got, _ := c.Run.Identity()
		diffs, err := ConfigDiff(want.Config, got.Config)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			if !(parts[0] == "Original" && parts[1] == "Qwen2.5-72B" && strings.HasPrefix(d, "openrouter_provider")) {
				t.Errorf("cell %s differs from %s: %s", c.Label, file, d)
			}
		}
	}
}
