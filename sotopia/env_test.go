package sotopia

import (
	"reflect"
	"strings"
	"testing"
)

// Tests of the environment state machine, named after the sotopia.md sections they check.

func speak(s string) AgentAction { return AgentAction{ActionType: ActionSpeak, Argument: s} }

var (
	pass  = AgentAction{ActionType: ActionNone}
	leave = AgentAction{ActionType: ActionLeave}
)

func newTestEnv(t *testing.T, era Era, maxTurns int) *Env {
	t.Helper()
	s := testSetup(Friend, era)
	s.MaxTurns = maxTurns
	e, err := NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	e.Reset()
	return e
}

// play steps the acting seat through the actions and returns the env turn at which the episode
// ended (0 if it did not) and its reason.
func play(t *testing.T, e *Env, actions ...AgentAction) (endedAt int, reason string) {
	t.Helper()
	for i, a := range actions {
		_, done, r, err := e.Step(e.Acting(), a)
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		if done {
			if i != len(actions)-1 {
				t.Fatalf("ended at step %d (%q) with %d actions left", i+1, r, len(actions)-1-i)
			}
			return e.Turn(), r
		}
	}
	return 0, ""
}

func TestNewEnvValidates(t *testing.T) {
	cases := map[string]func(*Setup){
		"no environment":    func(s *Setup) { s.Env = nil },
		"1 goals":           func(s *Setup) { s.Env.AgentGoals = s.Env.AgentGoals[:1] },
		"seat 1 has no":     func(s *Setup) { s.Agents[1] = nil },
		"both seats":        func(s *Setup) { s.Agents[1] = testProfile("Ana", "Lopez") },
		"MaxTurns 0":        func(s *Setup) { s.MaxTurns = 0 },
		"unknown era":       func(s *Setup) { s.Era = "1999" },
		"unknown relations": func(s *Setup) { s.Env.Relationship = 7 },
		"has no name":       func(s *Setup) { s.Agents[0] = &AgentProfile{PK: "x"} },
	}
	for want, mutate := range cases {
		s := testSetup(Friend, EraBenchmark)
		mutate(s)
		if _, err := NewEnv(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	if _, err := NewEnv(nil); err == nil {
		t.Error("nil setup accepted")
	}
}

// 2.2 steps 7-8: the acting seat gets every action type, the other only none.
func TestResetObservations(t *testing.T) {
	s := testSetup(Stranger, EraBenchmark)
	e, err := NewEnv(s)
	if err != nil {
		t.Fatal(err)
	}
	obs := e.Reset()
	for seat, o := range obs {
		if o.Seat != seat || o.Turn != 0 || o.Text != s.ContextFor(seat, "") {
			t.Errorf("seat %d observation %+v", seat, o)
		}
	}
	if !reflect.DeepEqual(obs[0].AvailableActions, AllActionTypes) || !reflect.DeepEqual(obs[1].AvailableActions, []ActionType{ActionNone}) {
		t.Errorf("available actions %v / %v", obs[0].AvailableActions, obs[1].AvailableActions)
	}
	if e.Acting() != 0 || e.Turn() != 0 || e.Done() || e.Reason() != "" {
		t.Errorf("after Reset: acting %d turn %d done %v", e.Acting(), e.Turn(), e.Done())
	}
	if m := e.Messages(); len(m) != 1 || len(m[0]) != 2 || m[0][1] != (Message{"Environment", "Ben Cho", obs[1].Text}) {
		t.Errorf("messages after Reset %v", m)
	}
}

func TestStepErrors(t *testing.T) {
	s := testSetup(Friend, EraBenchmark)
	e, _ := NewEnv(s)
	if _, _, _, err := e.Step(0, speak("hi")); err == nil || !strings.Contains(err.Error(), "before Reset") {
		t.Errorf("step before reset: %v", err)
	}
	e.Reset()
	if _, _, _, err := e.Step(1, speak("hi")); err == nil || !strings.Contains(err.Error(), "seat 0 is acting") {
		t.Errorf("out of turn: %v", err)
	}
	if _, _, _, err := e.Step(2, speak("hi")); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("bad seat: %v", err)
	}
	if _, _, _, err := e.Step(0, AgentAction{ActionType: "shout"}); err == nil || !strings.Contains(err.Error(), `"shout"`) {
		t.Errorf("bad action type: %v", err)
	}
	if e.Turn() != 0 {
		t.Errorf("a rejected step advanced the turn to %d", e.Turn())
	}
	play(t, e, leave)
	if _, _, _, err := e.Step(e.Acting(), speak("again")); err == nil || !strings.Contains(err.Error(), "already done") {
		t.Errorf("step after done: %v", err)
	}
}

// 2.3-2.4: round-robin order, observation texts, the message log layout of 1.7.
func TestStepObservationsAndLayout(t *testing.T) {
	e := newTestEnv(t, EraBenchmark, 20)
	obs, done, _, err := e.Step(0, speak("Hi Ben!"))
	if err != nil || done {
		t.Fatal(err, done)
	}
	if obs[0].Text != "Turn #0: Ana Lopez said: \"Hi Ben!\"\n" || obs[1].Text != obs[0].Text || obs[1].Turn != 1 {
		t.Errorf("observations %+v", obs)
	}
	if e.Acting() != 1 || !reflect.DeepEqual(obs[1].AvailableActions, AllActionTypes) || !reflect.DeepEqual(obs[0].AvailableActions, []ActionType{ActionNone}) {
		t.Errorf("seat 1 should act now: acting %d, %v", e.Acting(), obs[1].AvailableActions)
	}
	obs, _, _, _ = e.Step(1, AgentAction{ActionType: ActionNonVerbal, Argument: "waves"})
	if obs[0].Text != "Turn #1: Ben Cho [non-verbal communication] waves\n" {
		t.Errorf("non-verbal observation %q", obs[0].Text)
	}
	obs, _, _, _ = e.Step(0, pass)
	if obs[1].Text != "Turn #2: \n" {
		t.Errorf("a pass gives an empty observation, got %q", obs[1].Text)
	}
	obs, done, reason, _ := e.Step(1, leave)
	if !done || reason != ReasonLeave2 || obs[0].Text != "Turn #3: Ben Cho left the conversation\n" {
		t.Errorf("leave: done %v reason %q obs %q", done, reason, obs[0].Text)
	}
	m := e.Messages()
	if len(m) != 5 || len(m[4]) != 2 {
		t.Fatalf("layout: %d turn lists, last has %d", len(m), len(m[len(m)-1]))
	}
	want := []Message{{"Environment", "Ana Lopez", "Turn #1: Ben Cho [non-verbal communication] waves\n"},
		{"Environment", "Ben Cho", "Turn #1: Ben Cho [non-verbal communication] waves\n"},
		{"Ana Lopez", "Environment", "did nothing"}, {"Ben Cho", "Environment", "did nothing"}}
	if !reflect.DeepEqual(m[2], want) {
		t.Errorf("turn list 2 = %v", m[2])
	}
	if m[0][2] != (Message{"Ana Lopez", "Environment", `said: "Hi Ben!"`}) || m[0][3].Text != "did nothing" {
		t.Errorf("turn list 0 actions %v", m[0][2:])
	}
	m[0][0].Text = "mutated"
	if e.Messages()[0][0].Text == "mutated" {
		t.Error("Messages must return a copy")
	}
}

// Observations pass through the viewer renderer like Sotopia's (markup in an utterance is
// rendered away), while the log and the judge keep the utterance as spoken.
func TestStepRendersObservationMarkup(t *testing.T) {
	e := newTestEnv(t, EraBenchmark, 20)
	obs, _, _, _ := e.Step(0, speak("I <3 <b>bold</b> & fair"))
	if want := "Turn #0: Ana Lopez said: \"I 3   fair\"\n"; obs[0].Text != want {
		t.Errorf("observation %q, want %q", obs[0].Text, want)
	}
	if got := e.Messages()[0][2].Text; got != `said: "I <3 <b>bold</b> & fair"` {
		t.Errorf("logged action %q", got)
	}
	if !strings.HasSuffix(e.JudgeHistory(), "Ana Lopez said: \"I <3 <b>bold</b> & fair\"") {
		t.Errorf("judge history %q", e.JudgeHistory())
	}
}

// 2.7 rule 1: too long is turn_number >= max in the benchmark era and > max in 2023.
func TestTerminationTooLong(t *testing.T) {
	talk := []AgentAction{speak("a"), speak("b"), speak("c"), speak("d")}
	e := newTestEnv(t, EraBenchmark, 3)
	if at, reason := play(t, e, talk[:3]...); at != 3 || reason != ReasonTooLong {
		t.Errorf("benchmark era ended at %d (%q), want 3", at, reason)
	}
	e = newTestEnv(t, Era2023, 3)
	if at, reason := play(t, e, talk...); at != 4 || reason != ReasonTooLong {
		t.Errorf("2023 era ended at %d (%q), want 4", at, reason)
	}
	e = newTestEnv(t, EraBenchmark, 1)
	if at, reason := play(t, e, leave); at != 1 || reason != ReasonTooLong+ReasonLeave1 {
		t.Errorf("reasons concatenate: %d %q", at, reason)
	}
}

// 2.7 rule 2: a leave by either seat ends the episode.
func TestTerminationLeave(t *testing.T) {
	if at, reason := play(t, newTestEnv(t, EraBenchmark, 20), leave); at != 1 || reason != ReasonLeave1 {
		t.Errorf("seat 0 leave: %d %q", at, reason)
	}
	if at, reason := play(t, newTestEnv(t, EraBenchmark, 20), speak("hi"), leave); at != 2 || reason != ReasonLeave2 {
		t.Errorf("seat 1 leave: %d %q", at, reason)
	}
}

// 2.7 rule 3: more than two consecutive nones, the forced nones of the seat not in turn
// included. Hence the quirk: a single pass by slot 1 after slot 0 spoke ends the episode.
func TestTerminationStale(t *testing.T) {
	for _, era := range []Era{EraBenchmark, Era2023} {
		if at, reason := play(t, newTestEnv(t, era, 20), speak("hi"), pass); at != 2 || reason != ReasonStale {
			t.Errorf("%s: a single pass by slot 1 ended at %d (%q), want 2", era, at, reason)
		}
		e := newTestEnv(t, era, 20)
		if at, _ := play(t, e, speak("hi"), speak("yo"), pass); at != 0 {
			t.Errorf("%s: a pass by slot 0 must not end the episode (ended at %d)", era, at)
		}
		if at, reason := play(t, e, pass); at != 4 || reason != ReasonStale {
			t.Errorf("%s: slot 0 then slot 1 passing ended at %d (%q), want 4", era, at, reason)
		}
		if at, reason := play(t, newTestEnv(t, era, 20), pass, pass); at != 2 || reason != ReasonStale {
			t.Errorf("%s: two opening passes ended at %d (%q)", era, at, reason)
		}
	}
}

func TestJudgeHistoryAndDialogueText(t *testing.T) {
	e := newTestEnv(t, EraBenchmark, 20)
	play(t, e, speak("Hello.\nHow are you?"), speak("I did nothing wrong!"), AgentAction{ActionType: ActionAction, Argument: "sits"})
	want := e.setup.EnvironmentContext() + "\nTurn #1\nAna Lopez said: \"Hello.\nHow are you?\"\nTurn #2\nTurn #3\nAna Lopez [action] sits"
	if got := e.JudgeHistory(); got != want {
		t.Errorf("judge history %s", goldenFirstDiff(got, want))
	}
	if got, want := e.DialogueText(), "Ana Lopez said: \"Hello. How are you?\" Ana Lopez [action] sits"; got != want {
		t.Errorf("DialogueText = %q, want %q", got, want)
	}
}

// Same actions, same log: the machine has no hidden state or randomness.
func TestEnvDeterministicAndResettable(t *testing.T) {
	run := func(e *Env) [][]Message {
		play(t, e, speak("one"), speak("two"), leave)
		return e.Messages()
	}
	e := newTestEnv(t, EraBenchmark, 20)
	first := run(e)
	e.Reset()
	if !reflect.DeepEqual(run(e), first) || !reflect.DeepEqual(run(newTestEnv(t, EraBenchmark, 20)), first) {
		t.Error("replaying the same actions gave a different log")
	}
}
