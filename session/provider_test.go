package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/llm/llmtest"
)

// A live run sends exactly the preferences set for a model with every action and judge call to
// it, none with the fix-up calls, and none to models that have no preferences; run.json records
// them. Agents and the per-turn judge are OpenRouter DeepSeek (pinned as the artifact pins
// them); the terminal judge and the embedder are other OpenRouter models (unpinned).
func TestLiveRunSendsProviderPreferencesPerModel(t *testing.T) {
	const deepseek = "openrouter/deepseek/deepseek-v3.2"
	garbled := 0
	script := sotopiaScript{}
	srv := llmtest.NewServer(t, llmtest.Config{EmbeddingDim: 8, Handler: func(req llmtest.Request) llmtest.Reply {
		// Some agent answers are unusable, so the run makes fix-up calls.
		if p := req.Prompt(); strings.Contains(p, agentMarker) && sha256.Sum256([]byte(p))[0]%3 == 0 {
			garbled++
			return llmtest.Reply{Content: "not an action"}
		}
		return script.handle(req)
	}})
	dir := t.TempDir()
	cfg := config.DefaultRun()
	cfg.Model, cfg.RewardEvalModel = deepseek, deepseek
	cfg.TerminalEvalModel, cfg.EmbeddingModel = "openrouter/openai/gpt-4o", "openrouter/qwen/qwen3-embedding-8b"
	cfg.OpenRouterProvider = map[string]llm.ProviderPreferences{deepseek: llm.ArtifactDeepSeekPin()}
	cfg.MaxEpisodes, cfg.MaxTurns, cfg.Seed = 3, 6, 5
	cfg.Store, cfg.Out = filepath.Join(dir, "store"), filepath.Join(dir, "run")
	cfg.Policy.ALSO.Hidden, cfg.Policy.ALSO.Epochs = 16, 5
	opt := liveOptions(nil, map[string]string{llm.OpenRouterKeyVar: "sk-or-v1-provider-test-0123456789"})
	opt.LLM.BaseURLs = map[llm.Provider]string{llm.ProviderOpenRouter: srv.URL()}
	out, err := Execute(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.Done != 3 {
		t.Fatalf("summary %+v", out.Summary)
	}
	const pin = `{"order":["siliconflow"],"quantizations":["fp8"],"preferred_min_throughput":{"p90":100}}`
	count := map[string]int{}
	for _, r := range srv.Requests() {
		p := r.Prompt()
		role := "embed"
		switch {
		case r.Kind == llmtest.KindChat && strings.Contains(p, reformatMarker):
			role = "fixup"
		case r.Kind == llmtest.KindChat && strings.Contains(p, agentMarker):
			role = "agent"
		case r.Kind == llmtest.KindChat && r.Model == "deepseek/deepseek-v3.2":
			role = "turn judge"
		case r.Kind == llmtest.KindChat:
			role = "terminal judge"
		}
		count[role]++
		var sent bytes.Buffer
		if r.Provider != nil {
			if err := json.Compact(&sent, r.Provider); err != nil {
				t.Fatal(err)
			}
		}
		want := ""
		if role == "agent" || role == "turn judge" {
			want = pin
		}
		if sent.String() != want {
			t.Fatalf("%s request to %s sent provider %q, want %q", role, r.Model, sent.String(), want)
		}
	}
	for _, role := range []string{"agent", "turn judge", "terminal judge", "embed", "fixup"} {
		if count[role] == 0 {
			t.Fatalf("no %s request (counts %v, %d garbled)", role, count, garbled)
		}
	}
	run, err := os.ReadFile(filepath.Join(out.Dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(run), `"openrouter_provider"`) || !strings.Contains(string(run), `"siliconflow"`) {
		t.Fatalf("run.json lacks the preferences:\n%s", run)
	}
}

// Without preferences no request carries a provider object.
func TestLiveRunSendsNoProviderPreferencesWhenUnset(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.Config{EmbeddingDim: 8, Handler: sotopiaScript{}.handle})
	dir := t.TempDir()
	cfg := config.DefaultRun()
	cfg.Model = "openrouter/deepseek/deepseek-v3.2"
	cfg.RewardEvalModel, cfg.TerminalEvalModel = cfg.Model, cfg.Model
	cfg.EmbeddingModel = "openrouter/qwen/qwen3-embedding-8b"
	cfg.MaxEpisodes, cfg.MaxTurns = 2, 4
	cfg.Store, cfg.Out = filepath.Join(dir, "store"), filepath.Join(dir, "run")
	cfg.Policy.ALSO.Hidden, cfg.Policy.ALSO.Epochs = 16, 5
	opt := liveOptions(nil, map[string]string{llm.OpenRouterKeyVar: "sk-or-v1-provider-test-0123456789"})
	opt.LLM.BaseURLs = map[llm.Provider]string{llm.ProviderOpenRouter: srv.URL()}
	if _, err := Execute(context.Background(), cfg, opt); err != nil {
		t.Fatal(err)
	}
	if srv.Count() == 0 {
		t.Fatal("no requests")
	}
	for _, r := range srv.Requests() {
		if r.Provider != nil || bytes.Contains(r.Body, []byte(`"provider"`)) {
			t.Fatalf("request sent a provider object: %s", r.Body)
		}
	}
}

// Preferences for a model no call goes to are reported, not silently dropped.
func TestUnusedProviderPreferencesAreReported(t *testing.T) {
	cfg := config.DefaultRun()
	cfg.Model, cfg.Optimize = "openrouter/qwen/qwen-2.5-72b-instruct", "none"
	cfg.RewardEvalModel = "openrouter/deepseek/deepseek-v3.2"
	cfg.OpenRouterProvider = map[string]llm.ProviderPreferences{cfg.RewardEvalModel: llm.ArtifactDeepSeekPin()}
	m, err := resolveLiveModels(cfg)
	if err != nil {
		t.Fatal(err)
	}
	notes := unusedProviderNotes(cfg, m)
	if len(notes) != 1 || !strings.Contains(notes[0], `openrouter_provider."openrouter/deepseek/deepseek-v3.2": no call of this run goes to that model`) {
		t.Fatalf("notes %q", notes)
	}
	cfg.Optimize = "both"
	if m, _ = resolveLiveModels(cfg); len(unusedProviderNotes(cfg, m)) != 0 {
		t.Fatal("the per-turn judge of an optimised run is called")
	}
}
