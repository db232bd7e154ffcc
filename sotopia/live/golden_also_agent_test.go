package live

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/also-project/also/internal/textdiff"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
)

// loggedContextValues reads the ScriptBackground fields out of a logged turn-0 observation
// ("\n<context>\nConversation Starts:\n", 2023 era: a hidden background is printed empty).
func loggedContextValues(t *testing.T, obs string) map[string]string {
	t.Helper()
	ctx, ok := strings.CutPrefix(obs, "\n")
	ctx, ok2 := strings.CutSuffix(ctx, "\nConversation Starts:\n")
	lines := strings.Split(ctx, "\n")
	if !ok || !ok2 || len(lines) != 7 || lines[0] != "Here is the context of this interaction:" {
		t.Fatalf("unexpected logged context %q", obs)
	}
	m := loggedParticipants.FindStringSubmatch(lines[2])
	if m == nil {
		t.Fatalf("no participants line in %q", lines[2])
	}
	v := map[string]string{"self.scenario": strings.TrimPrefix(lines[1], "Scenario: "), "self.p1_name": m[1], "self.p2_name": m[2]}
	for i, field := range []string{"p1_background", "p2_background", "self.p1_goal", "self.p2_goal"} {
		name := m[1+i%2]
		suffix := "'s background: "
		if i >= 2 {
			suffix = "'s goal: "
		}
		val, ok := strings.CutPrefix(lines[3+i], name+suffix)
		if !ok {
			t.Fatalf("line %q is not %s%s", lines[3+i], name, suffix)
		}
		if val == "" && i < 2 {
			val = "Unknown" // ScriptBackground's value for a background the viewer cannot see
		}
		v[field] = val
	}
	return v
}

type v3Strategy struct {
	ID          string `json:"id"`
	Description string `json:"description"`
}

// TestGoldenALSOAgentRequests replays a released Sotopia episode through live agents in era also:
// the fake model answers each turn with the logged action, once through the fix-up call. Every
// action prompt must be agent_action.txt filled with the history built from the logged
// observations, its context block being script_background_context.txt filled and then
// docstring-formatted, with seat 0's own background replaced from its second action on by
// strategy_arm_seed.txt over its logged bio and a v3 strategy; the fix-up prompt must be
// format_bad_output.txt under str.format. Agent calls: temperature 0.7, max_tokens 4096; the
// fix-up: response_format json_object and neither temperature nor max_tokens.
func TestGoldenALSOAgentRequests(t *testing.T) {
	e := loadLoggedEpisodes(t)[0]
	if e.EpisodeID != "01H8XWN5V57J20F3JG7WWQKDAC" {
		t.Fatalf("fixture order changed: first episode is %s", e.EpisodeID)
	}
	d := sotopia.MustEmbedded()
	env0, agents, err := d.Resolve(sotopia.Task{PK: e.EpisodeID, EnvID: e.EnvironmentID, AgentIDs: e.AgentIDs})
	if err != nil {
		t.Fatal(err)
	}
	setup := &sotopia.Setup{Env: env0, Agents: agents, Era: sotopia.EraALSO, MaxTurns: 20}
	names := [sotopia.Seats]string{agents[0].Name(), agents[1].Name()}

	var pool []v3Strategy
	raw, err := os.ReadFile("../data/strategies/social_strategies_v3.json")
	if err != nil || json.Unmarshal(raw, &pool) != nil || len(pool) != 13 {
		t.Fatalf("v3 pool: %v", err)
	}
	strategy := pool[7]
	prodPool, _ := sotopia.Strategies("v3")
	if prodPool[7].ID != strategy.ID {
		t.Fatal("pool order differs")
	}
	const armFromStep = 2 // ALSO applies an arm from the seat's second action on

	// Expected texts, from the log and the template files only.
	action := pyFormatDocstring(alsoFile(t, "agent_action.txt"))
	actionSchema := alsoFile(t, "format_instructions_agent_action.txt")
	contextTemplate := alsoFile(t, "script_background_context.txt")
	armTemplate := alsoFile(t, "strategy_arm_seed.txt")
	loggedObs := func(step, seat int) string {
		for _, m := range e.RawMessages[step] {
			if m.Sender == "Environment" && m.Receiver == names[seat] {
				return m.Text
			}
		}
		t.Fatalf("no observation for %s at %d", names[seat], step)
		return ""
	}
	loggedAction := func(step, seat int) sotopia.AgentAction {
		for _, m := range e.RawMessages[step] {
			if m.Sender == names[seat] && m.Receiver == "Environment" {
				a, err := sotopia.ParseRenderedAction(m.Text)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
		}
		t.Fatalf("no action of %s at %d", names[seat], step)
		return sotopia.AgentAction{}
	}
	wantPrompt := func(step, seat int) string {
		v := loggedContextValues(t, loggedObs(0, seat))
		if seat == 0 && step >= armFromStep {
			v["p1_background"] = pyFormat(t, armTemplate, map[string]string{"original_bio": v["p1_background"], "strategy_desc": strategy.Description})
		}
		parts := []string{"\n" + pyFormatDocstring(pyFormat(t, contextTemplate, v)) + "\nConversation Starts:\n"}
		for k := 1; k <= step; k++ {
			parts = append(parts, loggedObs(k, seat))
		}
		return pyReplaceInOrder(action, "agent", names[seat], "turn_number", strconv.Itoa(step),
			"history", strings.Join(parts, "\n"), "action_list", "none speak non-verbal communication action leave",
			"format_instructions", actionSchema)
	}

	rig := newLiveRig(t, nil, nil)
	ew, err := rig.world.NewEpisode(t.Context(), sotopia.EpisodeSpec{Setup: setup, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	env, err := sotopia.NewEnv(setup)
	if err != nil {
		t.Fatal(err)
	}
	obs := env.Reset()
	const fixUpStep = 4
	const badOutput = "```json\nSure! Here is what Samuel says next.\n```"
	steps := len(e.RawMessages) - 1
	var want []string
	for step := range steps {
		acting := step % sotopia.Seats
		if acting == 0 && step == armFromStep {
			s := prodPool[7]
			ew.Agents[0].SetStrategy(sotopia.ArmChoice{Index: 7, ID: s.ID, Description: s.Description,
				Text: sotopia.ArmText(setup.OwnBackground(0), s)}) // as loop.Book builds arm texts
		}
		logged := loggedAction(step, acting)
		reply, _ := json.Marshal(logged)
		want = append(want, wantPrompt(step, acting))
		if step == fixUpStep {
			rig.srv.Enqueue(llmtest.Reply{Content: badOutput})
			want = append(want, pyFormat(t, alsoFile(t, "format_bad_output.txt"), map[string]string{
				"ill_formed_output": "Sure! Here is what Samuel says next.", "format_instructions": actionSchema}))
		}
		rig.srv.Enqueue(llmtest.Reply{Content: string(reply)})
		ew.Agents[1-acting].Observe(obs[1-acting])
		got, err := ew.Agents[acting].Act(t.Context(), obs[acting])
		if err != nil {
			t.Fatal(err)
		}
		if got != logged {
			t.Fatalf("step %d: acted %+v, logged %+v", step, got, logged)
		}
		if obs, _, _, err = env.Step(acting, got); err != nil {
			t.Fatal(err)
		}
	}

	reqs := rig.srv.Requests()
	if len(reqs) != len(want) {
		t.Fatalf("%d requests, want %d", len(reqs), len(want))
	}
	for i, r := range reqs {
		what := "request " + strconv.Itoa(i)
		if len(r.Messages) != 1 || r.Messages[0].Role != "user" {
			t.Fatalf("%s: messages %+v, want one user message", what, r.Messages)
		}
		textdiff.Require(t, what, r.Messages[0].Content, want[i])
		if r.Model != "openai/gpt-4o-mini" {
			t.Errorf("%s: model %s", what, r.Model)
		}
		if i == fixUpStep+1 {
			if r.Temperature != nil || r.MaxTokens != 0 || !strings.Contains(string(r.ResponseFormat), `"json_object"`) {
				t.Errorf("fix-up: temperature %v, max_tokens %d, response_format %s; want none, none, json_object", r.Temperature, r.MaxTokens, r.ResponseFormat)
			}
			continue
		}
		if r.Temperature == nil || *r.Temperature != 0.7 || r.MaxTokens != 4096 || r.ResponseFormat != nil {
			t.Errorf("%s: temperature %v, max_tokens %d, response_format %s; want 0.7, 4096, none", what, r.Temperature, r.MaxTokens, r.ResponseFormat)
		}
	}
	// The strategy reached the prompt with the artifact's suffix after format_docstring.
	if !strings.Contains(want[len(want)-2], "\n"+strategy.Description+" \nIf you thinking this strategy is not helpful, please ignore it.\n") {
		t.Error("seat 0's later prompts lack the strategy with its formatted suffix")
	}
}
