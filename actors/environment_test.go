package actors

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/also-project/also/messages"
	"github.com/also-project/also/sotopia"
)

// logSetup is an episode setup of the given length.
func logSetup(t testing.TB, turns int) *sotopia.Setup {
	t.Helper()
	ds := sotopia.MustEmbedded()
	tasks, err := ds.Subset("hard_small")
	if err != nil {
		t.Fatal(err)
	}
	env, agents, err := ds.Resolve(tasks[0])
	if err != nil {
		t.Fatal(err)
	}
	return &sotopia.Setup{Task: tasks[0], Env: env, Agents: agents, Era: sotopia.EraBenchmark, MaxTurns: turns}
}

// playLog plays a whole episode against the Environment actor's handlers, following its log
// updates as the Episode does. It returns the message-log entries the updates carried in all,
// and (with check) checks that the followed log is the environment's.
func playLog(t testing.TB, setup *sotopia.Setup, check bool) (shipped int) {
	t.Helper()
	turns := setup.MaxTurns
	e, err := sotopia.NewEnv(setup)
	if err != nil {
		t.Fatal(err)
	}
	a := &environmentActor{env: e}
	a.obs, a.sent = e.Reset(), 0
	ep := &episodeActor{}
	follow := func(u messages.LogUpdate) {
		for _, list := range u.Lists {
			shipped += len(list)
		}
		if err := ep.follow(u); err != nil {
			t.Fatal(err)
		}
	}
	for played := 0; ; played++ {
		ts := a.turnStart()
		follow(ts.Log)
		st := a.step(&messages.StepEnv{Seat: ts.Acting, Action: sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "hello"}})
		if st.Error != "" {
			t.Fatal(st.Error)
		}
		follow(st.Log)
		if st.Done {
			break
		}
		if played > 2*turns {
			t.Fatalf("the episode of %d turns does not end", turns)
		}
	}
	if check && !reflect.DeepEqual(ep.log, e.Messages()) {
		t.Fatalf("the followed message log differs from the environment's:\n%v\n%v", ep.log, e.Messages())
	}
	return shipped
}

// The message log travels incrementally: twice the turns ship about twice the log entries (the
// whole log in every TurnStart and Stepped shipped about four times as many: quadratic).
func TestEnvironmentLogUpdatesAreLinear(t *testing.T) {
	short, long := playLog(t, logSetup(t, 20), true), playLog(t, logSetup(t, 40), true)
	if ratio := float64(long) / float64(short); ratio > 2.2 {
		t.Errorf("40 turns ship %d log entries, 20 turns %d: ratio %.2f, want about 2 (linear)", long, short, ratio)
	}
}

// An update that does not continue the log the episode holds is an error, not a silent gap.
func TestLogUpdateOutOfOrderIsRefused(t *testing.T) {
	held := func() [][]sotopia.Message { return [][]sotopia.Message{{{Sender: "a", Text: "hello"}}} }
	ep := &episodeActor{log: held()}
	for _, from := range []int{2, -1} {
		if err := ep.follow(messages.LogUpdate{From: from, Lists: [][]sotopia.Message{{}}}); err == nil {
			t.Fatalf("an update from list %d of a one-list log was accepted", from)
		}
		if !reflect.DeepEqual(ep.log, held()) {
			t.Fatalf("a refused update from list %d changed the log: %v", from, ep.log)
		}
	}
}

// BenchmarkEnvironmentLog reports the bytes allocated by the environment's side of whole
// episodes of 20 and 40 turns (compare B/op: linear is about 2x; the whole log each turn was 4x).
func BenchmarkEnvironmentLog(b *testing.B) {
	for _, turns := range []int{20, 40} {
		setup := logSetup(b, turns)
		b.Run(fmt.Sprintf("turns=%d", turns), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				playLog(b, setup, false)
			}
		})
	}
}
