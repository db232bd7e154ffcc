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
	"github.com/also-project/also/policy"
)

const paperDir = "../../experiments/paper"

// paperRun is what one artifact command sets, written by hand from the YAML (Babylonehy/ALSO,
// experiments/also/conf/main_experiments/), with its bandit mapped (adversarial -> also,
// neural_ucb -> instinct) and the OpenRouter DeepSeek pin wherever a DeepSeek model is called.
type paperRun struct {
	subset                      string
	maxEpisodes, batch, turns   int
	version, bandit, optimize   string
	context                     bool
	model, judge, terminal, emb string
	eta, alpha, beta            float64
	// dynamicEta is --dynamic-eta, which the artifact's code applies by dividing.
	dynamicEta bool
	pinned     bool
}

const (
	ds   = "openrouter/deepseek/deepseek-v3.2"
	qwen = "openrouter/qwen/qwen-2.5-72b-instruct" // also for the YAMLs' private Qwen servers
	mini = "openrouter/openai/gpt-4o-mini"
	gpt  = "openrouter/openai/gpt-4o"
	emb  = "openrouter/qwen/qwen3-embedding-8b"
)

// CLI defaults of the artifact where a command passes no flag: eta 5, alpha 1, beta 0.01.
const defEta, defAlpha, defBeta = 5, 1, 0.01

// adv and ucb build the two command shapes: ALSO with dialogue context, and Instinct without.
func adv(subset string, batch int, opt, model, judge string, eta float64) paperRun {
	return paperRun{subset, 0, batch, 20, "v3", "also", opt, true, model, judge, gpt, emb, eta, defAlpha, defBeta, false,
		model == ds || judge == ds}
}

func ucb(subset, opt, model string, alpha, beta float64) paperRun {
	return paperRun{subset, 0, 40, 20, "v3", "instinct", opt, false, model, ds, gpt, emb, defEta, alpha, beta, false, true}
}

// pop builds the prompt optimisers' command shape: no dialogue context, population 5, evolution
// every 5 turns (checked apart, see TestPaperPresetsMirrorTheArtifact).
func pop(bandit, opt, model string) paperRun {
	return paperRun{"all", 0, 40, 20, "v3", bandit, opt, false, model, ds, gpt, emb, defEta, defAlpha, defBeta, false, true}
}

func paperTable() map[string]paperRun {
	t := map[string]paperRun{
		// baseline_v3.yml: --subset hard --batch-size 40 --max-turns 20 --optimize none
		// (--bandit-type adversarial ignored), no --context-embedding, no --embedding-model.
		"baseline_v3-deepseek": {"hard", 0, 40, 20, "v3", "also", "none", false, ds, ds, gpt, "", defEta, defAlpha, defBeta, false, true},
		// Qwen baseline: nothing calls DeepSeek (no per-turn judge), so no pin.
		"baseline_v3-qwen": {"hard", 0, 40, 20, "v3", "also", "none", false, qwen, ds, gpt, "", defEta, defAlpha, defBeta, false, false},
		// smoke_test.yml: --subset hard --max-episodes 1 --batch-size 1 --max-turns 2, gpt-4o-mini
		// for model, env model (terminal judge) and reward model, optimize both, no context.
		"smoke_test": {"hard", 1, 1, 2, "v3", "also", "both", false, mini, mini, mini, emb, defEta, defAlpha, defBeta, false, false},
		// adversarial_v3_4o_mini_all.yml: eta 10 (template default), gpt-4o-mini agents and reward.
		"adversarial_v3_4o_mini_all-hard":     adv("hard", 70, "both", mini, mini, 10),
		"adversarial_v3_4o_mini_all-non_hard": adv("non_hard", 50, "both", mini, mini, 10),
		// all_methods_v3_4o_mini_all.yml: adversarial (eta 10, context) and baseline panes, subset all.
		"all_methods_v3_4o_mini_all-adversarial": adv("all", 40, "both", mini, ds, 10),
		"all_methods_v3_4o_mini_all-baseline":    {"all", 0, 40, 20, "v3", "also", "none", false, mini, ds, gpt, "", defEta, defAlpha, defBeta, false, false},
		// Its opro and evoprompt (evoprompt_ga) panes: pop 5, evolution interval 5, optimize both.
		"all_methods_v3_4o_mini_all-opro":      pop("opro", "both", mini),
		"all_methods_v3_4o_mini_all-evoprompt": pop("evoprompt-ga", "both", mini),
		// neural_ucb_v3_qwen_reward.yml: hard, Qwen agents and Qwen reward model, beta 0.05.
		"neural_ucb_v3_qwen_reward": {"hard", 0, 40, 20, "v3", "instinct", "both", false, qwen, qwen, gpt, emb, defEta, defAlpha, 0.05, false, false},
	}
	// adversarial_s24_hard_eta4.yml: s24, hard, batch 70, eta 4 with --dynamic-eta.
	s24 := func(model, judge string) paperRun {
		r := adv("hard", 70, "both", model, judge, 4)
		r.version, r.dynamicEta = "s24", true
		return r
	}
	t["adversarial_s24_hard_eta4-deepseek"] = s24(ds, ds)
	t["adversarial_s24_hard_eta4-qwen"] = s24(qwen, ds)
	t["adversarial_s24_hard_eta4-qwen_reward"] = s24(qwen, qwen)
	inst := ucb("hard", "both", qwen, 0.1, 1.0)
	inst.batch, inst.version = 70, "s24"
	t["adversarial_s24_hard_eta4-qwen_instinct"] = inst
	for _, opt := range []string{"p1", "p2", "both"} {
		// adversarial_v3_hard.yml: hard, batch 40, context, eta 0.5.
		t["adversarial_v3_hard-deepseek-"+opt] = adv("hard", 40, opt, ds, ds, 0.5)
		t["adversarial_v3_hard-qwen-"+opt] = adv("hard", 40, opt, qwen, ds, 0.5)
		// adversarial_v3.yml: DeepSeek on non_hard, Qwen on all, eta 0.5.
		t["adversarial_v3-deepseek-"+opt] = adv("non_hard", 40, opt, ds, ds, 0.5)
		t["adversarial_v3-qwen-"+opt] = adv("all", 40, opt, qwen, ds, 0.5)
		// adversarial_v3_cutom.yml: DeepSeek all, private Qwen hard, OpenRouter Qwen all, eta 0.5.
		t["adversarial_v3_cutom-deepseek-"+opt] = adv("all", 40, opt, ds, ds, 0.5)
		t["adversarial_v3_cutom-qwen_private-"+opt] = adv("hard", 40, opt, qwen, ds, 0.5)
		t["adversarial_v3_cutom-qwen-"+opt] = adv("all", 40, opt, qwen, ds, 0.5)
		// adversarial_v3_qwen_custom_all.yml: all, eta 10, Qwen agents and Qwen reward model.
		t["adversarial_v3_qwen_custom_all-"+opt] = adv("all", 40, opt, qwen, qwen, 10)
		// neural_ucb_no_ctx_v3.yml and _ds.yml: all, beta 0.01, alpha not passed.
		t["neural_ucb_no_ctx_v3-deepseek-"+opt] = ucb("all", opt, ds, defAlpha, 0.01)
		t["neural_ucb_no_ctx_v3-qwen-"+opt] = ucb("all", opt, qwen, defAlpha, 0.01)
		t["neural_ucb_no_ctx_v3_ds-deepseek-"+opt] = ucb("all", opt, ds, defAlpha, 0.01)
		t["neural_ucb_no_ctx_v3_ds-qwen-"+opt] = ucb("all", opt, qwen, defAlpha, 0.01)
		// opro_v3.yml, evoprompt_v3.yml (evoprompt_ga), promptbreeder_v3.yml
		// (progressive_prompt_breeder): all, --population-size 5 --evolution-interval 5.
		for yml, bandit := range map[string]string{"opro_v3": "opro", "evoprompt_v3": "evoprompt-ga", "promptbreeder_v3": "promptbreeder"} {
			t[yml+"-deepseek-"+opt] = pop(bandit, opt, ds)
			t[yml+"-qwen-"+opt] = pop(bandit, opt, qwen)
		}
		// neural_ucb_no_ctx_v3_qwen.yml: DeepSeek on non_hard, Qwen on hard.
		t["neural_ucb_no_ctx_v3_qwen-deepseek-"+opt] = ucb("non_hard", opt, ds, defAlpha, 0.01)
		t["neural_ucb_no_ctx_v3_qwen-qwen-"+opt] = ucb("hard", opt, qwen, defAlpha, 0.01)
	}
	// bandit_neural_ucb_no_context_v3_lamda01_nu1.yml: hard, alpha 0.1; p1/p2 beta 1.0, both beta 0.5.
	t["bandit_neural_ucb_no_context_v3_lamda01_nu1-p1"] = ucb("hard", "p1", qwen, 0.1, 1.0)
	t["bandit_neural_ucb_no_context_v3_lamda01_nu1-p2"] = ucb("hard", "p2", qwen, 0.1, 1.0)
	t["bandit_neural_ucb_no_context_v3_lamda01_nu1-both"] = ucb("hard", "both", qwen, 0.1, 0.5)
	// neural_ucb_no_ctx_v3_{ds,qwen}_beta005.yml: hard_small, Qwen, both, beta 0.02..0.10.
	for _, yml := range []string{"neural_ucb_no_ctx_v3_ds_beta005", "neural_ucb_no_ctx_v3_qwen_beta005"} {
		for name, beta := range map[string]float64{"0_02": 0.02, "0_04": 0.04, "0_06": 0.06, "0_08": 0.08, "0_10": 0.10} {
			t[yml+"-beta_"+name] = ucb("hard_small", "both", qwen, defAlpha, beta)
		}
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
	// table.toml and strategy_analysis.toml are experiment files (the paper's grid over these
	// presets; the strategy analysis, which no artifact configuration runs), not run files:
	// config's TestPaperTableMirrorsThePresets, TestStrategyAnalysisPreset and this package's
	// TestPaperTableDryRun check them.
	presets := files[:0]
	for _, f := range files {
		if b := filepath.Base(f); b != "table.toml" && b != "strategy_analysis.toml" {
			presets = append(presets, f)
		}
	}
	return presets
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
		a := r.Policy.ALSO
		got := paperRun{r.Subset, r.MaxEpisodes, r.BatchSize, r.MaxTurns, r.StrategyVersion, r.Bandit, r.Optimize, r.UseContext,
			r.Model, r.RewardEvalModel, r.TerminalEvalModel, r.EmbeddingModel, r.Policy.Eta, r.Policy.Alpha, r.Policy.Beta,
			a.EtaSchedule == policy.EtaDivideSqrt, r.ProviderFor(ds) != nil}
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", stem, got, want)
		}
		def := config.DefaultRun()
		// Everything else is the default, which is the artifact's.
		a.EtaSchedule = def.Policy.ALSO.EtaSchedule // the table pins the schedule
		if r.Tag != "paper_"+stem || r.P1Model != "" || r.P2Model != "" ||
			r.Temperature != 0.7 || r.MaxTokens != 4096 || r.Credit != "all" || r.Era != def.Era ||
			a != def.Policy.ALSO || r.Policy.Gamma != def.Policy.Gamma || r.Policy.Epsilon != def.Policy.Epsilon {
			t.Errorf("%s: tag %s, seats %q/%q, temperature %v, max tokens %d, credit %s, era %s, or a policy value changed",
				stem, r.Tag, r.P1Model, r.P2Model, r.Temperature, r.MaxTokens, r.Credit, r.Era)
		}
		// The prompt optimisers: the artifact's population, interval and optimiser LLM; the others
		// keep the defaults and name no optimiser.
		if policy.NeedsOptimiser(r.Bandit) {
			if r.Policy.PopulationSize != 5 || r.Policy.EvolutionInterval != 5 || r.OptimizerModel != "openrouter/qwen/qwen-2.5-7b-instruct" {
				t.Errorf("%s: population %d, interval %d, optimiser %q; want 5, 5 and the artifact's qwen-2.5-7b-instruct",
					stem, r.Policy.PopulationSize, r.Policy.EvolutionInterval, r.OptimizerModel)
			}
		} else if r.OptimizerModel != "" || r.Policy.PopulationSize != def.Policy.PopulationSize || r.Policy.EvolutionInterval != def.Policy.EvolutionInterval {
			t.Errorf("%s: sets optimiser values for a bandit without an optimiser", stem)
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
		if raceEnabled || !tableColumn(filepath.Base(f)) {
			// A plan of 450 tasks takes a second (more under -race); five tasks prove the file.
			args = append(args, "--max-episodes", "5")
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

// tableColumn reports whether a preset is one the README runs for the paper's table.
func tableColumn(file string) bool {
	return strings.HasPrefix(file, "baseline_v3-") ||
		strings.HasPrefix(file, "adversarial_v3_hard-") && strings.HasSuffix(file, "-both.toml") ||
		strings.HasPrefix(file, "neural_ucb_no_ctx_v3-") && strings.HasSuffix(file, "-both.toml")
}

func providerString(p llm.ProviderPreferences) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// --dry-run from flags alone: the plan's counts for 2 episodes of 20 steps without an
// optimised seat (no per-turn judge, no embedder), and nothing written.
func TestDryRunFromFlags(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	out, err := cliRun(t, "run", "--dry-run", "--model", ds, "--optimize", "none", "--max-episodes", "2", "--subset", "hard")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{`"optimize": "none"`, "episodes: 2 (subset hard, max_episodes 2)",
		"agent           " + ds + "  40 ", "terminal judge  " + gpt + "           2 ", "per-turn judge  none                               0 "} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a dry run wrote %v", entries)
	}
	if _, err := cliRun(t, "run", "--dry-run", "--model", "gpt-4o"); err == nil {
		t.Fatal("a dry run accepted a model without a provider")
	}
}
