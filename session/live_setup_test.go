package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia/live"
)

// --budget-usd: once the run has spent its budget no new episode starts, and the run says so.
func TestLiveRunBudgetStopsNewEpisodes(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{})
	// One episode at a time costs cents at the test prices; a tenth of a cent is spent by the first.
	cfg := liveRun(t, rig, func(c *config.Run) { c.BatchSize, c.MaxEpisodes, c.MaxTurns, c.BudgetUSD = 1, 5, 2, 0.001 })
	var log bytes.Buffer
	out, err := Execute(context.Background(), cfg, liveOptions(&log, nil))
	// Stopped by its budget, the run did not do all its work: it says so (exit code 3 in the CLI).
	var inc *IncompleteError
	if !errors.As(err, &inc) || inc.Done != 1 || inc.NotStarted != 4 || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("error %v, want an IncompleteError with 1 done and 4 not started for the budget", err)
	}
	s := out.Summary
	if s.Episodes != 1 || s.Done != 1 || !strings.Contains(s.Stopped, "budget") || s.Usage.CostUSD < cfg.BudgetUSD {
		t.Fatalf("summary: %+v", s)
	}
	var table bytes.Buffer
	if err := report.WriteTable(&table, s); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{table.String(), log.String()} {
		if !strings.Contains(text, "LLM budget reached") {
			t.Fatalf("the budget stop is not reported:\n%s", text)
		}
	}
}

// A mixed setup: custom agents with the paper's default judges and embedder (OpenRouter, here
// redirected to the fake server). The defaults are announced, each endpoint gets its own key,
// and without the OpenRouter key the run refuses to start, naming the variable and the flag.
func TestLiveRunCustomAgentsDefaultJudges(t *testing.T) {
	const orKey = "sk-or-v1-mixedsetup-0123456789"
	rig := newLiveRig(t, llmtest.Config{})
	cfg := liveRun(t, rig, func(c *config.Run) {
		c.RewardEvalModel, c.TerminalEvalModel, c.EmbeddingModel = "", "", ""
		c.MaxEpisodes, c.MaxTurns, c.Prices = 2, 3, ""
	})
	opt := liveOptions(nil, map[string]string{llm.OpenRouterKeyVar: orKey})
	var log bytes.Buffer
	opt.Log = &log
	opt.LLM.BaseURLs = map[llm.Provider]string{llm.ProviderOpenRouter: rig.srv.URL()}
	out, err := Execute(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.Done != 2 || out.Summary.Usage.CostUSD <= 0 {
		t.Fatalf("summary: %+v", out.Summary)
	}
	for _, m := range []string{live.DefaultRewardEvalModel, live.DefaultTerminalEvalModel, live.DefaultEmbeddingModel} {
		if !strings.Contains(log.String(), "not set: using "+m) {
			t.Fatalf("the default %s is not announced:\n%s", m, log.String())
		}
	}
	if eps := readEpisodes(t, out.Dir); eps[0].Models[0] != live.DefaultTerminalEvalModel {
		t.Fatalf("models %v", eps[0].Models)
	}
	auth := map[string]string{}
	for _, r := range rig.srv.Requests() {
		auth[r.Model] = r.Authorization
	}
	want := map[string]string{"agent": "Bearer " + llm.CustomDefaultKey, "deepseek/deepseek-v3.2": "Bearer " + orKey,
		"openai/gpt-4o": "Bearer " + orKey, "qwen/qwen3-embedding-8b": "Bearer " + orKey}
	for model, a := range want {
		if auth[model] != a {
			t.Fatalf("requests for %s carried %q (seen: %v)", model, auth[model], len(auth))
		}
	}

	cfg.Out += "-nokey"
	_, err = Execute(context.Background(), cfg, liveOptions(nil, nil))
	if err == nil || !strings.Contains(err.Error(), llm.OpenRouterKeyVar) || !strings.Contains(err.Error(), "--reward-eval-model") {
		t.Fatalf("without the OpenRouter key: %v", err)
	}
	if _, err := os.Stat(cfg.Out); !os.IsNotExist(err) {
		t.Fatalf("a run refused at start left its folder behind: %v", err)
	}
}

// Live and sim models do not mix: the error names the field.
func TestLiveRunRefusesSimBesideLLMs(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{})
	for field, mutate := range map[string]func(*config.Run){
		"p2_model":          func(c *config.Run) { c.P2Model = "sim" },
		"reward_eval_model": func(c *config.Run) { c.RewardEvalModel = "sim" },
	} {
		_, err := Execute(context.Background(), liveRun(t, rig, mutate), liveOptions(nil, nil))
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s = sim: %v", field, err)
		}
	}
	if n := rig.srv.Count(); n != 0 {
		t.Fatalf("%d requests before the configuration was refused", n)
	}
}

// With no seat optimised the per-turn judge and the embedder are never called, so leaving them
// unset asks for no key (the paper's defaults would need OpenRouter's).
func TestLiveRunUnoptimisedNeedsNoPerTurnJudge(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{})
	cfg := liveRun(t, rig, func(c *config.Run) {
		c.Optimize, c.RewardEvalModel, c.EmbeddingModel, c.MaxEpisodes, c.MaxTurns = "none", "", "", 2, 3
	})
	var log bytes.Buffer
	out, err := Execute(context.Background(), cfg, liveOptions(&log, nil))
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.Done != 2 || !strings.Contains(log.String(), "no per-turn judge or embedder") {
		t.Fatalf("summary %+v\n%s", out.Summary, log.String())
	}
	for _, r := range rig.srv.Requests() {
		if r.Kind == llmtest.KindEmbeddings || strings.Contains(r.Prompt(), judgeMarker) && r.Model != "terminal" {
			t.Fatalf("request %d (%s, model %s) in a run without optimised seats", r.Seq, r.Kind, r.Model)
		}
	}
	checkRewardsAreTheJudges(t, readEpisodes(t, out.Dir))
}
