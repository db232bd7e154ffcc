package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

const planModel = "openrouter/deepseek/deepseek-v3.2"

func planCfg(mutate func(*config.Run)) config.Run {
	c := config.DefaultRun()
	c.Model = planModel
	c.Subset, c.MaxEpisodes, c.MaxTurns = "hard_small", 3, 5
	if mutate != nil {
		mutate(&c)
	}
	return c
}

func mustPlan(t *testing.T, c config.Run) *Plan {
	t.Helper()
	p, err := PlanRun(c, PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// calls sums a role's calls over its models.
func (p *Plan) calls(role string) int64 {
	var n int64
	for _, r := range p.Rows {
		if r.Role == role {
			n += r.Calls
		}
	}
	return n
}

// Call counts by hand, for 3 episodes of 5 steps: one agent call per step; a per-turn judge
// call after every step but the last when a seat is optimised (none otherwise, as in the
// artifact's baseline); one terminal judge call; embeddings: one request for the arms of the
// optimised seats (64 texts per request) plus one per judged step with context embedding.
func TestPlanCallCountsAreExact(t *testing.T) {
	cases := []struct {
		name                            string
		mutate                          func(*config.Run)
		agent, turn, terminal, embedder int64
	}{
		{"both, context", nil, 15, 12, 3, 3 * (1 + 4)},
		{"none", func(c *config.Run) { c.Optimize = "none" }, 15, 0, 3, 0},
		{"p1, no context", func(c *config.Run) { c.Optimize, c.UseContext = "p1", false }, 15, 12, 3, 3},
		// v4 has 100 arms: 200 texts for two seats, 4 requests of at most 64.
		{"both, v4", func(c *config.Run) { c.StrategyVersion = "v4" }, 15, 12, 3, 3 * (4 + 4)},
		// The 2023 rules end one step later (turn > max_turns).
		{"era 2023", func(c *config.Run) { c.Era = "2023" }, 18, 15, 3, 3 * (1 + 5)},
		{"explicit tasks", func(c *config.Run) {
			c.Tasks = []string{sotopia.MustEmbedded().TasksByEnv["01H7VFHNV13MHN97GAH73E3KM8"][0].PK}
		}, 5, 4, 1, 1 + 4},
	}
	for _, c := range cases {
		p := mustPlan(t, planCfg(c.mutate))
		got := [4]int64{p.calls(PlanAgent), p.calls(PlanTurnJudge), p.calls(PlanTerminalJudge), p.calls(PlanEmbedder)}
		want := [4]int64{c.agent, c.turn, c.terminal, c.embedder}
		if got != want || p.calls(PlanOptimiser) != 0 {
			t.Errorf("%s: calls (agent, turn judge, terminal, embedder) %v, want %v", c.name, got, want)
		}
		if p.Total.Calls != c.agent+c.turn+c.terminal+c.embedder {
			t.Errorf("%s: total %d", c.name, p.Total.Calls)
		}
	}
}

// Tokens are positive, add up over tasks, grow faster than linearly with the turns (each call
// re-reads the dialogue), and dollars are the table's prices times the tokens.
func TestPlanTokensAndDollarsScale(t *testing.T) {
	p3 := mustPlan(t, planCfg(nil))
	for _, r := range p3.Rows {
		if r.Calls > 0 && r.PromptTokens <= 0 {
			t.Fatalf("row %+v has calls but no prompt tokens", r)
		}
	}
	ds := sotopia.MustEmbedded()
	tasks, _ := ds.Subset("hard_small")
	one := func(i int) *Plan {
		return mustPlan(t, planCfg(func(c *config.Run) { c.Tasks = []string{tasks[i].PK} }))
	}
	var sum int64
	for i := range 3 {
		sum += one(i).Total.PromptTokens
	}
	if sum != p3.Total.PromptTokens {
		t.Fatalf("tasks' prompt tokens %d do not add up to the plan's %d", sum, p3.Total.PromptTokens)
	}
	p10 := mustPlan(t, planCfg(func(c *config.Run) { c.MaxTurns = 10 }))
	judge := func(p *Plan) int64 {
		for _, r := range p.Rows {
			if r.Role == PlanTurnJudge {
				return r.PromptTokens
			}
		}
		return 0
	}
	// 9 judged steps instead of 4, each with a longer transcript.
	if j5, j10 := judge(p3), judge(p10); float64(j10) <= 9.0/4*float64(j5) {
		t.Fatalf("judge prompt tokens %d at 10 turns vs %d at 5: no growth per turn", j10, j5)
	}
	longer, err := PlanRun(planCfg(nil), PlanAssumptions{UtteranceTokens: 200, JudgeCompletionTokens: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if longer.Total.PromptTokens <= p3.Total.PromptTokens || longer.Total.CompletionTokens <= p3.Total.CompletionTokens {
		t.Fatal("longer utterances did not raise the tokens")
	}
	prices, _ := llm.DefaultPrices()
	for _, r := range p3.Rows {
		if r.Calls == 0 {
			continue
		}
		rt, _ := llm.ParseModel(r.Model)
		pr, ok := prices.Lookup(rt)
		if !ok || !r.Priced {
			t.Fatalf("%s unpriced", r.Model)
		}
		want := (float64(r.PromptTokens)*pr.Input + float64(r.CompletionTokens)*pr.Output) / 1e6
		if !closeTo(r.CostUSD, want) || r.CostUSD <= 0 {
			t.Fatalf("%s %s: $%v, want $%v", r.Role, r.Model, r.CostUSD, want)
		}
	}
	// A price file changes the dollars, not the tokens.
	dir := t.TempDir()
	file := filepath.Join(dir, "prices.toml")
	os.WriteFile(file, []byte("[models.\"deepseek/deepseek-v3.2\"]\ninput = 2.8\noutput = 4.0\n"), 0o644)
	dear := mustPlan(t, planCfg(func(c *config.Run) { c.Prices = file }))
	if dear.Total.PromptTokens != p3.Total.PromptTokens || dear.Rows[0].CostUSD <= 9.99*p3.Rows[0].CostUSD {
		t.Fatalf("--prices: $%v vs $%v", dear.Rows[0].CostUSD, p3.Rows[0].CostUSD)
	}
}

func TestPlanSimWorldCostsNothing(t *testing.T) {
	p := mustPlan(t, config.DefaultRun())
	if p.World != "sim" || p.Total.Calls != 0 || p.Total.CostUSD != 0 || len(p.Tasks) != 14 || p.StepsPerEpisode != 20 {
		t.Fatalf("sim plan %+v", p)
	}
}

// A plan needs no key, writes nothing (no store, no run folder, no cache) and reads a resume's
// store without locking it.
func TestPlanNeedsNoKeyAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv(llm.OpenRouterKeyVar, "")
	os.Unsetenv(llm.OpenRouterKeyVar)
	c := planCfg(func(c *config.Run) {
		c.Store, c.Out, c.CacheDir, c.LLMCache = filepath.Join(dir, "store"), filepath.Join(dir, "run"), filepath.Join(dir, "cache"), "record"
		c.Tag, c.Resume = "planned", true
		c.OpenRouterProvider = map[string]llm.ProviderPreferences{planModel: llm.ArtifactDeepSeekPin()}
	})
	p := mustPlan(t, c)
	if len(p.Tasks) != 3 || p.Skipped != 0 || strings.Join(p.KeyVars, ",") != llm.OpenRouterKeyVar {
		t.Fatalf("plan %+v", p)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the plan wrote %v", entries)
	}
	// Resume: tasks done under the tag are skipped.
	st, err := store.OpenDir(c.Store)
	if err != nil {
		t.Fatal(err)
	}
	first := p.Tasks[0]
	ep := &sotopia.EpisodeLog{PK: "x", Tag: "planned", TaskID: first, Environment: "E", Agents: []string{"a", "b"},
		Status: sotopia.StatusDone, Turns: []sotopia.TurnRecord{}}
	if err := st.SaveEpisode(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	p = mustPlan(t, c)
	st.Close()
	if p.Skipped != 1 || len(p.Tasks) != 2 || p.Tasks[0] == first {
		t.Fatalf("resume plan: skipped %d, tasks %v", p.Skipped, p.Tasks)
	}
}

func TestPlanRejectsWhatARunWould(t *testing.T) {
	for name, c := range map[string]config.Run{
		"bad subset":   planCfg(func(c *config.Run) { c.Subset = "easy" }),
		"bad model":    planCfg(func(c *config.Run) { c.Model = "gpt-4o" }),
		"sim beside":   planCfg(func(c *config.Run) { c.P2Model = "sim" }),
		"unknown task": planCfg(func(c *config.Run) { c.Tasks = []string{"01NOPE"} }),
	} {
		if _, err := PlanRun(c, PlanAssumptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The plan measures prompts as template-with-empty-history plus history: that holds for the
// real renderers on a real transcript.
func TestPlanPromptLengthsAreAdditive(t *testing.T) {
	ds := sotopia.MustEmbedded()
	tasks, _ := ds.Subset("hard_small")
	env, agents, _ := ds.Resolve(tasks[0])
	setup := &sotopia.Setup{Task: tasks[0], Env: env, Agents: agents, MaxTurns: 4}
	e, err := sotopia.NewEnv(setup)
	if err != nil {
		t.Fatal(err)
	}
	obs := e.Reset()
	hist := obs[0].Text
	for !e.Done() {
		name := agents[0].Name()
		full := sotopia.ActionPromptFor(setup.Era, name, hist, e.Turn(), sotopia.AllActionTypes)
		if len(full) != len(sotopia.ActionPromptFor(setup.Era, name, "", e.Turn(), sotopia.AllActionTypes))+len(hist) {
			t.Fatalf("turn %d: action prompt length is not additive", e.Turn())
		}
		if h := e.JudgeHistory(); len(sotopia.JudgePrompt(h)) != len(sotopia.JudgePrompt(""))+len(h) {
			t.Fatalf("turn %d: judge prompt length is not additive", e.Turn())
		}
		next, _, _, err := e.Step(e.Acting(), sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "hello {history} there"})
		if err != nil {
			t.Fatal(err)
		}
		hist += "\n" + next[0].Text
	}
}

// A scripted seat makes no agent call in the plan; a switching seat's calls go to the model of
// each turn (3 episodes of 5 steps: seat 2 acts on turns 1 and 3, the switch is at turn 3).
func TestPlanCountsSeatAgents(t *testing.T) {
	scripted := mustPlan(t, planCfg(func(c *config.Run) { c.P2Agent = "scripted:refuser" }))
	if got := scripted.calls(PlanAgent); got != 9 {
		t.Errorf("with a scripted seat 2: %d agent calls, want 9 (seat 1's three per episode)", got)
	}
	sw := mustPlan(t, planCfg(func(c *config.Run) { c.P2Agent = "switch:openai/gpt-4o-mini@0,openai/gpt-4o@3" }))
	byModel := map[string]int64{}
	for _, r := range sw.Rows {
		if r.Role == PlanAgent {
			byModel[r.Model] += r.Calls
		}
	}
	if byModel[planModel] != 9 || byModel["openai/gpt-4o-mini"] != 3 || byModel["openai/gpt-4o"] != 3 {
		t.Errorf("switching seat 2: agent calls by model %v", byModel)
	}
}
