package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
)

func TestUsagePerRole(t *testing.T) {
	rig := newLiveRig(t, nil, nil)
	tr := drive(t, rig, 3, "", 2)
	u := tr.Usage
	agent, judge, emb := u.ByRole[llm.RoleAgent], u.ByRole[llm.RoleJudge], u.ByRole[llm.RoleEmbedder]
	if agent.Calls != 2 || judge.Calls != 3 || emb.Calls != 2 || u.Calls != 7 {
		t.Errorf("usage %+v", u)
	}
	if u.PromptTokens == 0 || agent.CompletionTokens == 0 || u.CostUSD <= 0 {
		t.Errorf("no tokens or cost: %+v", u)
	}
	// The run meter holds this episode too.
	if run := Usage(rig.world.Meter()); run.Calls != u.Calls || run.CostUSD != u.CostUSD {
		t.Errorf("run %+v, episode %+v", run, u)
	}
	if got := tr.Usage; !reflect.DeepEqual(got.ByRole[llm.RoleAgent], agent) {
		t.Error("usage not stable")
	}
}

// A recorded episode replays with zero HTTP requests and the same transcript.
func TestCacheReplayMakesNoRequests(t *testing.T) {
	dir := t.TempDir()
	rec, err := llm.NewCache(dir, llm.CacheRecord)
	if err != nil {
		t.Fatal(err)
	}
	rigRec := newLiveRig(t, rec, nil)
	want := drive(t, rigRec, 11, rigRec.setup.OwnBackground(0)+"\n"+marker, 4)

	rep, err := llm.NewCache(dir, llm.CacheReplay)
	if err != nil {
		t.Fatal(err)
	}
	rigRep := newLiveRig(t, rep, nil)
	got := drive(t, rigRep, 11, rigRep.setup.OwnBackground(0)+"\n"+marker, 4)
	if rigRep.srv.Count() != 0 {
		t.Errorf("replay made %d HTTP requests", rigRep.srv.Count())
	}
	if !reflect.DeepEqual(got.Actions, want.Actions) || !reflect.DeepEqual(got.Judgement, want.Judgement) ||
		!reflect.DeepEqual(got.Vectors, want.Vectors) || !reflect.DeepEqual(got.Final, want.Final) {
		t.Errorf("replay differs from the recording")
	}
	if got.Usage.CostUSD != want.Usage.CostUSD || got.Usage.Calls != want.Usage.Calls || got.Usage.PromptTokens != want.Usage.PromptTokens {
		t.Errorf("replay usage %+v, recorded %+v", got.Usage, want.Usage)
	}
	// Another seed is another episode: a miss.
	ctx := context.Background()
	ew, _ := rigRep.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rigRep.setup, Seed: 12})
	env, _ := sotopia.NewEnv(rigRep.setup)
	if _, err := ew.Agents[0].Act(ctx, env.Reset()[0]); !errors.Is(err, llm.ErrCacheMiss) {
		t.Errorf("other seed: %v", err)
	}
}

func TestKeyNeverAppearsInOutputs(t *testing.T) {
	dir := t.TempDir()
	cache, _ := llm.NewCache(dir, llm.CacheAuto)
	rig := newLiveRig(t, cache, nil)
	tr := drive(t, rig, 2, marker, 2)
	rig.srv.Enqueue(llmtest.Reply{Status: 401, ErrorMessage: "key " + testKey + " revoked"})
	ctx := context.Background()
	ew, _ := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: 99})
	env, _ := sotopia.NewEnv(rig.setup)
	_, actErr := ew.Agents[0].Act(ctx, env.Reset()[0])
	if actErr == nil {
		t.Fatal("revoked key accepted")
	}
	var outputs bytes.Buffer
	enc := json.NewEncoder(&outputs)
	enc.Encode(tr)
	enc.Encode(ew.Agents[0].(*Agent).Errors())
	outputs.WriteString(actErr.Error() + rig.logs.String())
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			outputs.Write(b)
		}
		return nil
	})
	if strings.Contains(outputs.String(), testKey) || strings.Contains(outputs.String(), "LIVETESTKEY") {
		t.Error("the API key appears in an output")
	}
	for _, r := range rig.srv.Requests() {
		if r.Authorization != "Bearer "+testKey {
			t.Errorf("request %d carried Authorization %q", r.Seq, r.Authorization)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	base := DefaultConfig()
	base.Router = newLiveRig(t, nil, nil).router
	tests := map[string]func(*Config){
		"P1Model is empty":               func(c *Config) { c.P1Model = "" },
		`RewardEvalModel is "sim"`:       func(c *Config) { c.RewardEvalModel = "sim" },
		"Temperature 3 outside":          func(c *Config) { c.Temperature = 3 },
		"JudgeAttempts 0":                func(c *Config) { c.JudgeAttempts = 0 },
		"no Router":                      func(c *Config) { c.Router = nil },
		"EmbeddingModel: model \"qwen\"": func(c *Config) { c.EmbeddingModel = "qwen" },
		"OPENAI_API_KEY":                 func(c *Config) { c.TerminalEvalModel = "openai/gpt-4o" },
	}
	for want, mutate := range tests {
		c := base
		mutate(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	ctx := context.Background()
	w, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{}); err == nil {
		t.Error("episode without a setup accepted")
	}
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: testSetup(t)})
	if err != nil || strings.Join(ew.Models, ",") != DefaultTerminalEvalModel+","+DefaultAgentModel+","+DefaultAgentModel {
		t.Errorf("models %v, %v", ew.Models, err)
	}
}

// With the cache on, a judge's second attempt must reach the model, not replay the bad first
// answer; a rerun then replays both attempts and gets the same verdict.
func TestJudgeRetryThroughCache(t *testing.T) {
	dir := t.TempDir()
	history := ""
	run := func() (sotopia.Judgement, int) {
		cache, err := llm.NewCache(dir, llm.CacheAuto)
		if err != nil {
			t.Fatal(err)
		}
		rig := newLiveRig(t, cache, nil)
		history = rig.setup.EnvironmentContext() + "\nTurn #1\n" + rig.setup.Agents[0].Name() + ` said: "hi"`
		rig.srv.Enqueue(llmtest.Reply{Content: "not an evaluation"}, llmtest.Reply{Content: evaluationJSON(goodScores)})
		ctx := context.Background()
		ew, _ := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: 4})
		j, err := ew.Judge.JudgeTurn(ctx, sotopia.JudgeRequest{Turn: 1, History: history})
		if err != nil {
			t.Fatal(err)
		}
		return j, rig.srv.Count()
	}
	first, n1 := run()
	second, n2 := run()
	if n1 != 2 || n2 != 0 || first.Scores != goodScores || second.Scores != goodScores {
		t.Errorf("first run %d requests %v, rerun %d requests %v", n1, first.Scores, n2, second.Scores)
	}
}

// A whole episode over a faulty server (rate limits, 500s, malformed bodies, truncated answers)
// still completes: the llm layer retries, truncated actions go through the fix-up, truncated
// verdicts are asked again.
func TestEpisodeSurvivesInjectedFaults(t *testing.T) {
	rig := newLiveRig(t, nil, func(c *Config) { c.JudgeAttempts = 5 })
	rig.srv.SetFaults(llmtest.Faults{RateLimit: 0.1, RetryAfter: "0", ServerError: 0.1, Malformed: 0.05, Truncated: 0.1})
	tr := drive(t, rig, 21, "", 6)
	if len(tr.Actions) != 6 || len(tr.Judgement) != 6 {
		t.Fatalf("%d actions, %d judgements", len(tr.Actions), len(tr.Judgement))
	}
	c := rig.srv.CountByStatus()
	if c[429] == 0 || c[500] == 0 {
		t.Errorf("faults not exercised: %v", c)
	}
	if tr.Usage.Retries == 0 {
		t.Errorf("no retries counted: %+v", tr.Usage)
	}
	for _, j := range tr.Judgement {
		if j.Scores != goodScores {
			t.Errorf("judgement %v", j.Scores)
		}
	}
}
