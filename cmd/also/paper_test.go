package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
)

const paperDir = "../../experiments/paper"

// paperRun is what one artifact command sets, written by hand from the YAML (Babylonehy/ALSO,
// experiments/also/conf/main_experiments/), with its bandit mapped (adversarial -> also,
// neural_ucb -> instinct) and the OpenRouter DeepSeek pin wherever a DeepSeek model is called.
type paperRun struct {
	subset                      string
	maxEpisodes, batch, turns   int
	bandit, optimize            string
	context                     bool
	model, judge, terminal, emb string
	eta, alpha, beta            float64
	pinned                      bool
}

const (
	ds   = "openrouter/deepseek/deepseek-v3.2"
	qwen = "openrouter/qwen/qwen-2.5-72b-instruct"
	mini = "openrouter/openai/gpt-4o-mini"
	gpt  = "openrouter/openai/gpt-4o"
	emb  = "openrouter/qwen/qwen3-embedding-8b"
)

func paperTable() map[string]paperRun {
	t := map[string]paperRun{
		// baseline_v3.yml: --subset hard --batch-size 40 --max-turns 20 --optimize none
		// (--bandit-type adversarial ignored), no --context-embedding; CLI defaults eta 5, alpha 1, beta 0.01.
		"baseline_v3-deepseek": {"hard", 0, 40, 20, "also", "none", false, ds, ds, gpt, "", 5, 1, 0.01, true},
		// Qwen baseline: nothing calls DeepSeek (no per-turn judge), so no pin.
		"baseline_v3-qwen": {"hard", 0, 40, 20, "also", "none", false, qwen, ds, gpt, "", 5, 1, 0.01, false},
		// smoke_test.yml: --subset hard --max-episodes 1 --batch-size 1 --max-turns 2, gpt-4o-mini
		// for model, env model (terminal judge) and reward model, optimize both, no context.
		"smoke_test": {"hard", 1, 1, 2, "also", "both", false, mini, mini, mini, emb, 5, 1, 0.01, false},
	}
	for _, opt := range []string{"p1", "p2", "both"} {
		// adversarial_v3_hard.yml: --subset hard --batch-size 40 --context-embedding --eta 0.5.
		t["adversarial_v3_hard-deepseek-"+opt] = paperRun{"hard", 0, 40, 20, "also", opt, true, ds, ds, gpt, emb, 0.5, 1, 0.01, true}
		t["adversarial_v3_hard-qwen-"+opt] = paperRun{"hard", 0, 40, 20, "also", opt, true, qwen, ds, gpt, emb, 0.5, 1, 0.01, true}
		// neural_ucb_no_ctx_v3.yml: --subset all --batch-size 40 --beta 0.01, no context, alpha default 1.
		t["neural_ucb_no_ctx_v3-deepseek-"+opt] = paperRun{"all", 0, 40, 20, "instinct", opt, false, ds, ds, gpt, emb, 5, 1, 0.01, true}
		t["neural_ucb_no_ctx_v3-qwen-"+opt] = paperRun{"all", 0, 40, 20, "instinct", opt, false, qwen, ds, gpt, emb, 5, 1, 0.01, true}
	}
	return t
}

func paperFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(paperDir, "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no presets in %s: %v", paperDir, err)
	}
	sort.Strings(files)
	return files
}

// Every preset resolves to exactly the artifact's values, and every table entry has a file.
func TestPaperPresetsMirrorTheArtifact(t *testing.T) {
	table := paperTable()
	seen := map[string]bool{}
	for _, f := range paperFiles(t) {
		stem := strings.TrimSuffix(filepath.Base(f), ".toml")
		want, ok := table[stem]
		if !ok {
			t.Errorf("%s: not in the table of artifact configurations", f)
			continue
		}
		seen[stem] = true
		r, err := config.LoadRun(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got := paperRun{r.Subset, r.MaxEpisodes, r.BatchSize, r.MaxTurns, r.Bandit, r.Optimize, r.UseContext,
			r.Model, r.RewardEvalModel, r.TerminalEvalModel, r.EmbeddingModel, r.Policy.Eta, r.Policy.Alpha, r.Policy.Beta,
			r.ProviderFor(ds) != nil}
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", stem, got, want)
		}
		def := config.DefaultRun()
		if r.StrategyVersion != "v3" || r.Tag != "paper_"+stem || r.P1Model != "" || r.P2Model != "" ||
			r.Temperature != 0.7 || r.MaxTokens != 4096 || r.Credit != "all" || r.Era != def.Era ||
			r.Policy.ALSO != def.Policy.ALSO || r.Policy.Gamma != def.Policy.Gamma || r.Policy.Epsilon != def.Policy.Epsilon {
			t.Errorf("%s: strategy %s, tag %s, seats %q/%q, temperature %v, max tokens %d, credit %s, era %s",
				stem, r.StrategyVersion, r.Tag, r.P1Model, r.P2Model, r.Temperature, r.MaxTokens, r.Credit, r.Era)
		}
		if len(r.OpenRouterProvider) > 1 {
			t.Errorf("%s: preferences for %d models", stem, len(r.OpenRouterProvider))
		}
		if p := r.ProviderFor(ds); p != nil {
			if b, a := providerString(*p), providerString(llm.ArtifactDeepSeekPin()); b != a {
				t.Errorf("%s: pin %s, want the artifact's %s", stem, b, a)
			}
		}
	}
	for stem := range table {
		if !seen[stem] {
			t.Errorf("no preset %s.toml for an artifact configuration", stem)
		}
	}
}

// `also run --config FILE --dry-run` works on every preset with no key, offline, and writes
// nothing.
func TestPaperPresetsDryRun(t *testing.T) {
	files := paperFiles(t)
	for i, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = abs
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for _, k := range []string{llm.OpenRouterKeyVar, llm.OpenAIKeyVar, llm.CustomKeyVar, "REDIS_OM_URL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for _, f := range files {
		args := []string{"run", "--config", f, "--dry-run"}
		if raceEnabled {
			// Plans of the 450-task subset take seconds under -race; 20 tasks prove the file.
			args = append(args, "--max-episodes", "20")
		}
		out, err := cliRun(t, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, out)
		}
		if !strings.Contains(out, `"bandit_type"`) || !strings.Contains(out, "plan (nothing was called, written or spent)") ||
			!strings.Contains(out, "keys needed to run: OPENROUTER_API_KEY") {
			t.Fatalf("%s: output lacks the configuration or the plan:\n%s", f, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("dry runs wrote %v", entries)
	}
}

func providerString(p llm.ProviderPreferences) string {
	b, _ := json.Marshal(p)
	return string(b)
}
