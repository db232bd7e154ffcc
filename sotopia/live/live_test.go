package live

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
)

var (
	_ sotopia.World    = (*World)(nil)
	_ sotopia.Agent    = (*Agent)(nil)
	_ sotopia.Judge    = (*Judge)(nil)
	_ sotopia.Embedder = (*Embedder)(nil)
)

const marker = "STRATEGY-MARKER-Q7: mirror the other person's feelings before asking."

// The arm text reaches only the optimised seat's own prompts: never the opponent's, the
// judge's or the embedder's (except where the caller embeds the arm text itself).
func TestStrategyOnlyInOwnSeatPrompts(t *testing.T) {
	rig := newLiveRig(t, nil, nil)
	armText := rig.setup.OwnBackground(0) + "\n" + marker
	tr := drive(t, rig, 1, armText, 4)
	if len(tr.Actions) != 4 {
		t.Fatalf("%d actions", len(tr.Actions))
	}
	names := [2]string{rig.setup.Agents[0].Name(), rig.setup.Agents[1].Name()}
	var own, other, judge int
	for _, r := range rig.srv.Requests() {
		p := r.Prompt()
		has := strings.Contains(p, marker)
		switch {
		case r.Kind == llmtest.KindEmbeddings:
			// Only the arm text itself is embedded with the marker, never the dialogue.
			for _, in := range r.Input {
				if strings.Contains(in, marker) && in != armText {
					t.Errorf("marker inside an embedded dialogue text: %q", in)
				}
			}
		case strings.Contains(p, "Imagine you are "+names[0]+","):
			own++
			if !has {
				t.Errorf("seat 0 prompt %d lacks its strategy", r.Seq)
			}
			if strings.Count(p, marker) != 1 {
				t.Errorf("seat 0 prompt %d has the strategy %d times", r.Seq, strings.Count(p, marker))
			}
		case strings.Contains(p, "Imagine you are "+names[1]+","):
			other++
			if has {
				t.Errorf("seat 1 prompt %d contains seat 0's strategy", r.Seq)
			}
		case strings.Contains(p, "evaluate how well participants"):
			judge++
			if has {
				t.Errorf("judge prompt %d contains the strategy", r.Seq)
			}
		default:
			t.Errorf("unexpected request %d: %.80q", r.Seq, p)
		}
	}
	if own != 2 || other != 2 || judge != 5 {
		t.Errorf("seat 0 prompts %d, seat 1 prompts %d, judge prompts %d; want 2, 2, 5", own, other, judge)
	}
	// Sanity: the judge sees seat 1's words, so the test is not vacuous about routing.
	if tr.Final.Prompt == "" || !strings.Contains(tr.Final.Prompt, "from seat 1") {
		t.Errorf("final judge prompt lacks the dialogue")
	}
}

func TestAgentHistoryAndPromptShape(t *testing.T) {
	rig := newLiveRig(t, nil, nil)
	drive(t, rig, 1, "", 3)
	reqs := rig.srv.Requests()
	first := reqs[0]
	if first.Kind != llmtest.KindChat || *first.Temperature != 0.7 || first.MaxTokens != 4096 || *first.Seed != 1 {
		t.Errorf("agent request %+v", first)
	}
	// The turn-0 context is the agent's context block exactly; the third action prompt (seat 0
	// again) carries the two turns that followed.
	ctx0 := rig.setup.ContextFor(0, "")
	if !strings.Contains(first.Prompt(), ctx0) || !strings.Contains(first.Prompt(), "You are at Turn #0.") {
		t.Errorf("first prompt lacks the context or turn number")
	}
	var third llmtest.Request
	n := 0
	for _, r := range reqs {
		if strings.Contains(r.Prompt(), "Imagine you are ") {
			n++
			if n == 3 {
				third = r
			}
		}
	}
	for _, want := range []string{ctx0, "Turn #0: " + rig.setup.Agents[0].Name() + " said:", "Turn #1: " + rig.setup.Agents[1].Name() + " said:", "You are at Turn #2."} {
		if !strings.Contains(third.Prompt(), want) {
			t.Errorf("third agent prompt lacks %q", want)
		}
	}
}

func TestFixUpPath(t *testing.T) {
	rig := newLiveRig(t, nil, nil)
	ctx := context.Background()
	ew, err := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := sotopia.NewEnv(rig.setup)
	obs := env.Reset()
	agent := ew.Agents[0].(*Agent)

	// Unparsable, then a good fix-up.
	rig.srv.Enqueue(llmtest.Reply{Content: "I would say hello to them."}, llmtest.Reply{Content: speak("hello")})
	act, err := agent.Act(ctx, obs[0])
	if err != nil || act.ActionType != sotopia.ActionSpeak || act.Argument != "hello" {
		t.Fatalf("act %+v, %v", act, err)
	}
	reqs := rig.srv.Requests()
	if len(reqs) != 2 || !strings.Contains(reqs[1].Prompt(), "Given the string that can not be parsed by json parser") ||
		!strings.Contains(reqs[1].Prompt(), "I would say hello to them.") || *reqs[1].Temperature != 0 {
		t.Errorf("fix-up request: %+v", reqs[len(reqs)-1])
	}
	if errs := agent.Errors(); len(errs) != 1 || errs[0].Stage != "parse" || errs[0].Turn != 0 {
		t.Errorf("errors %+v", errs)
	}
	// Asking again for the same turn replays the answer without a call.
	if again, _ := agent.Act(ctx, obs[0]); again != act || rig.srv.Count() != 2 {
		t.Errorf("retried Act: %+v, %d requests", again, rig.srv.Count())
	}

	// Both answers unusable: `none`, both reasons recorded. An unavailable action type counts.
	obs, _, _, _ = env.Step(0, act)
	agent1 := ew.Agents[1].(*Agent)
	rig.srv.Enqueue(llmtest.Reply{Content: `{"action_type": "dance", "argument": "x"}`}, llmtest.Reply{Content: "still not json"})
	act, err = agent1.Act(ctx, obs[1])
	if err != nil || act.ActionType != sotopia.ActionNone {
		t.Fatalf("act %+v, %v", act, err)
	}
	errs := agent1.Errors()
	if len(errs) != 2 || errs[0].Stage != "parse" || errs[1].Stage != "reformat" || !strings.Contains(errs[0].Err, "dance") {
		t.Errorf("errors %+v", errs)
	}
	if note := agent1.ActionNote(obs[1].Turn); !strings.HasPrefix(note, "parse: ") || !strings.Contains(note, "; reformat: ") {
		t.Errorf("action note %q", note)
	}
	if note := agent1.ActionNote(obs[1].Turn + 1); note != "" {
		t.Errorf("note for a turn without trouble: %q", note)
	}
	avail := []sotopia.ActionType{sotopia.ActionNone, sotopia.ActionSpeak}
	if _, err := parseAllowed(`{"action_type": "leave", "argument": ""}`, avail); err == nil {
		t.Error("leave accepted when only none and speak are available")
	}
}

func TestAgentAPIErrorFailsTheAct(t *testing.T) {
	rig := newLiveRig(t, nil, nil)
	ctx := context.Background()
	ew, _ := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: 5})
	env, _ := sotopia.NewEnv(rig.setup)
	obs := env.Reset()
	rig.srv.Enqueue(llmtest.Reply{Status: 400, ErrorMessage: "context too long"})
	if _, err := ew.Agents[0].Act(ctx, obs[0]); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Errorf("got %v", err)
	}
	if _, err := ew.Agents[0].Act(ctx, obs[1]); err == nil {
		t.Error("seat 0 accepted seat 1's observation")
	}
}

func TestJudgeRetriesOnBadOutput(t *testing.T) {
	// Sotopia's stock prompts: no fix-up call, the judge is simply asked again.
	rig := newLiveRig(t, nil, func(c *Config) { c.JudgePrompts = sotopia.JudgePromptsSotopia })
	ctx := context.Background()
	ew, _ := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: 9})
	history := rig.setup.EnvironmentContext() + "\nTurn #1\n" + rig.setup.Agents[0].Name() + ` said: "hi"`
	out := goodScores
	out[1][sotopia.Goal] = 11 // out of range
	rig.srv.Enqueue(llmtest.Reply{Content: "I think both did fine."}, llmtest.Reply{Content: evaluationJSON(out)}, llmtest.Reply{Content: evaluationJSON(goodScores)})
	j, err := ew.Judge.JudgeTurn(ctx, sotopia.JudgeRequest{Turn: 1, History: history})
	if err != nil {
		t.Fatal(err)
	}
	if j.Scores != goodScores || !strings.Contains(j.Reasoning, "Agent 2 comments:") || !strings.HasPrefix(j.Prompt, history+",\n") {
		t.Errorf("judgement %+v", j)
	}
	reqs := rig.srv.Requests()
	if len(reqs) != 3 || *reqs[0].Temperature != 0 || reqs[0].Prompt() != reqs[2].Prompt() {
		t.Errorf("%d judge requests", len(reqs))
	}

	// Three bad answers: an error, never zero scores.
	rig.srv.Enqueue(llmtest.Reply{Content: "no"}, llmtest.Reply{Content: evaluationJSON(out)}, llmtest.Reply{Content: "{}"})
	j, err = ew.Judge.JudgeEpisode(ctx, sotopia.JudgeRequest{Turn: 1, History: history})
	if !errors.Is(err, ErrJudgeOutput) || j.Scores != ([2]sotopia.Scores{}) || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("got %+v, %v", j, err)
	}
	if _, err := ew.Judge.JudgeTurn(ctx, sotopia.JudgeRequest{Turn: 1}); err == nil {
		t.Error("empty history judged")
	}
}

func TestEmbedderZeroVectorForEmptyTextAndMemo(t *testing.T) {
	rig := newLiveRig(t, nil, nil)
	ctx := context.Background()
	ew, _ := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: 1})
	v, err := ew.Embedder.Embed(ctx, []string{""})
	if err != nil || len(v) != 1 || len(v[0]) != 6 || v[0][0] != 0 {
		t.Fatalf("empty text: %v, %v", v, err)
	}
	v, err = ew.Embedder.Embed(ctx, []string{"arm a", "", "arm b"})
	if err != nil || len(v) != 3 || v[0][0] != llmtest.HashVector("arm a", 6)[0] || len(v[1]) != 6 {
		t.Fatalf("mixed: %v, %v", v, err)
	}
	v[0][0] = 42 // callers may scale vectors in place
	before := rig.srv.Count()
	v, err = ew.Embedder.Embed(ctx, []string{"arm b", "arm a"})
	if err != nil || rig.srv.Count() != before || v[1][0] != llmtest.HashVector("arm a", 6)[0] {
		t.Errorf("memo: %d new requests, %v, %v", rig.srv.Count()-before, v, err)
	}
	// Another episode has its own memo: what it sends must not depend on what concurrent
	// episodes embedded first (record/replay, per-episode usage).
	ew2, _ := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: 2})
	v, err = ew2.Embedder.Embed(ctx, []string{"arm b", "arm a"})
	if err != nil || rig.srv.Count() != before+1 || v[1][0] != llmtest.HashVector("arm a", 6)[0] {
		t.Errorf("memo: %d new requests, %v, %v", rig.srv.Count()-before, v, err)
	}
}
