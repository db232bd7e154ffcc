package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/loop"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

type memSink struct {
	mu  sync.Mutex
	eps []*sotopia.EpisodeLog
}

func (m *memSink) Save(_ context.Context, ep *sotopia.EpisodeLog) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.eps = append(m.eps, ep)
	return nil
}

func (m *memSink) byTask() map[string][]*sotopia.EpisodeLog {
	out := map[string][]*sotopia.EpisodeLog{}
	for _, ep := range m.eps {
		out[ep.TaskID] = append(out[ep.TaskID], ep)
	}
	return out
}

func testSpec(t *testing.T, n int, bandit string) (Spec, *memSink) {
	t.Helper()
	ds := sotopia.MustEmbedded()
	tasks, err := ds.Subset("hard_small")
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.New(sim.DefaultConfig(), ds)
	if err != nil {
		t.Fatal(err)
	}
	strategies, err := sotopia.Strategies("v3")
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	pol := policy.DefaultConfig()
	return Spec{Dataset: ds, World: w, Tasks: tasks[:n], Era: sotopia.EraBenchmark, MaxTurns: 10,
		Optimised: [2]bool{true, true}, Bandit: bandit, Policy: pol, Strategies: strategies, UseContext: true,
		Credit: CreditAll, Seed: 7, Tag: "test", BatchSize: 3, StepTimeout: 10 * time.Second, Sink: sink}, sink
}

// faultyWorld wraps a world so that one task's seat-0 agent misbehaves.
type faultyWorld struct {
	sotopia.World
	task     string         // "" = every task
	attempts map[int64]bool // seeds of the attempts that misbehave; nil = all
	mode     string         // "panic" or "hang"
	hung     chan struct{}  // if set, told each time an agent starts hanging
}

func (f *faultyWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	w, err := f.World.NewEpisode(ctx, spec)
	if err != nil || (f.task != "" && spec.Setup.Task.PK != f.task) || (f.attempts != nil && !f.attempts[spec.Seed]) {
		return w, err
	}
	w.Agents[0] = &faultyAgent{Agent: w.Agents[0], mode: f.mode, hung: f.hung}
	return w, nil
}

type faultyAgent struct {
	sotopia.Agent
	mode string
	acts int
	hung chan struct{}
}

func (a *faultyAgent) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if a.acts++; a.acts == 3 {
		if a.mode == "hang" {
			if a.hung != nil {
				a.hung <- struct{}{}
			}
			<-ctx.Done()
			return sotopia.AgentAction{}, ctx.Err()
		}
		panic("agent exploded on purpose")
	}
	return a.Agent.Act(ctx, obs)
}

func TestAgentPanicFailsOnlyItsEpisode(t *testing.T) {
	spec, sink := testSpec(t, 4, "random")
	victim := spec.Tasks[1].PK
	spec.World = &faultyWorld{World: spec.World, task: victim, mode: "panic"}
	res, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attempts) != 4 || len(sink.eps) != 4 {
		t.Fatalf("%d attempts, %d recorded; want 4 and 4", len(res.Attempts), len(sink.eps))
	}
	for task, eps := range sink.byTask() {
		ep := eps[0]
		if task == victim {
			if ep.Status != sotopia.StatusFailed || !strings.Contains(ep.Error, "seat 0 agent panicked: agent exploded on purpose") {
				t.Errorf("victim episode: status %s, error %q", ep.Status, ep.Error)
			}
			if len(ep.Turns) == 0 {
				t.Error("the failed episode lost the turns it had played")
			}
			continue
		}
		if ep.Status != sotopia.StatusDone || !ep.Rewards[0].Valid || !ep.Rewards[1].Valid {
			t.Errorf("task %s: status %s, error %q", task, ep.Status, ep.Error)
		}
	}
}

func TestFailedEpisodeIsRetried(t *testing.T) {
	spec, sink := testSpec(t, 2, "random")
	victim := spec.Tasks[0].PK
	spec.MaxRetries = 2
	spec.World = &faultyWorld{World: spec.World, task: victim, mode: "panic",
		attempts: map[int64]bool{loop.Seed(spec.Seed, victim, 0): true}}
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	eps := sink.byTask()[victim]
	if len(eps) != 2 || eps[0].Status != sotopia.StatusFailed || eps[1].Status != sotopia.StatusDone || eps[1].Attempt != 1 {
		t.Fatalf("victim attempts: %+v", summarize(eps))
	}
	if eps[0].PK == eps[1].PK {
		t.Error("attempts share a pk: the failed one would be overwritten")
	}
}

func TestHangingAgentTimesOut(t *testing.T) {
	spec, sink := testSpec(t, 2, "random")
	spec.StepTimeout = 300 * time.Millisecond
	victim := spec.Tasks[0].PK
	spec.World = &faultyWorld{World: spec.World, task: victim, mode: "hang"}
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	ep := sink.byTask()[victim][0]
	if ep.Status != sotopia.StatusFailed || !strings.Contains(ep.Error, "deadline") && !strings.Contains(ep.Error, "timed out") {
		t.Fatalf("hung episode: %s %q", ep.Status, ep.Error)
	}
}

func summarize(eps []*sotopia.EpisodeLog) []string {
	var out []string
	for _, ep := range eps {
		out = append(out, ep.Status+":"+ep.Error)
	}
	return out
}

func TestSameSeedSameEpisodes(t *testing.T) {
	encode := func() string {
		spec, sink := testSpec(t, 3, "exp3")
		if _, err := Run(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, task := range spec.Tasks {
			for _, ep := range sink.byTask()[task.PK] {
				j, _ := json.Marshal(ep)
				b.Write(j)
			}
		}
		return b.String()
	}
	a, b := encode(), encode()
	if a != b {
		t.Fatal("two runs with one seed differ")
	}
}

func TestOwnTurnCreditOnlyMovesTheSpeakersArm(t *testing.T) {
	spec, sink := testSpec(t, 2, "random")
	spec.Credit = CreditOwnTurn
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	for _, ep := range sink.eps {
		for i := 1; i < len(ep.Turns); i++ {
			prev, cur := ep.Turns[i-1], ep.Turns[i]
			other := 1 - prev.Seat
			if cur.Seats[other].Arm != prev.Seats[other].Arm || cur.Seats[other].ArmProb != prev.Seats[other].ArmProb {
				t.Fatalf("turn %d: seat %d's arm changed after seat %d spoke", cur.Turn, other, prev.Seat)
			}
		}
	}
}

func TestNoOptimisationHasNoPerTurnJudge(t *testing.T) {
	spec, sink := testSpec(t, 2, "static")
	spec.Optimised = [2]bool{}
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	for _, ep := range sink.eps {
		if ep.Status != sotopia.StatusDone {
			t.Fatalf("%s: %s", ep.Status, ep.Error)
		}
		for _, tr := range ep.Turns {
			if tr.Seats[0].Reward != nil || tr.Seats[0].Arm != 0 {
				t.Fatal("unoptimised run has per-turn rewards or strategies")
			}
		}
	}
}

// flakyJudgeWorld fails the per-turn judge on one turn of every episode.
type flakyJudgeWorld struct {
	sotopia.World
	turn int
}

func (f *flakyJudgeWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	w, err := f.World.NewEpisode(ctx, spec)
	if err == nil {
		w.Judge = &flakyJudge{Judge: w.Judge, turn: f.turn}
	}
	return w, err
}

type flakyJudge struct {
	sotopia.Judge
	turn int
}

func (j *flakyJudge) JudgeTurn(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	if req.Turn == j.turn {
		return sotopia.Judgement{}, errors.New("judge output unparsable after 3 attempts")
	}
	return j.Judge.JudgeTurn(ctx, req)
}

// A failed per-turn judgement leaves that turn without a reward (never a silent zero), the
// episode goes on, and the policies are not fed anything for it.
func TestFailedTurnJudgementIsRecordedNotZero(t *testing.T) {
	spec, sink := testSpec(t, 2, "exp3")
	spec.World = &flakyJudgeWorld{World: spec.World, turn: 3}
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	for _, ep := range sink.eps {
		if ep.Status != sotopia.StatusDone {
			t.Fatalf("%s: %s", ep.Status, ep.Error)
		}
		for _, tr := range ep.Turns {
			failed := tr.Turn == 3
			if failed != (tr.JudgeError != "") {
				t.Errorf("turn %d: judge error %q", tr.Turn, tr.JudgeError)
			}
			if !ep.Rewards[0].Valid {
				t.Error("final reward missing")
			}
			if tr.Turn < len(ep.Turns) && failed != (tr.Seats[0].Reward == nil) {
				t.Errorf("turn %d: reward %v with judge error %q", tr.Turn, tr.Seats[0].Reward, tr.JudgeError)
			}
		}
	}
}

// notingWorld gives seat 1 an agent that reports a note on every turn it acts.
type notingWorld struct{ sotopia.World }

func (n notingWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	w, err := n.World.NewEpisode(ctx, spec)
	if err == nil {
		w.Agents[1] = notingAgent{w.Agents[1]}
	}
	return w, err
}

type notingAgent struct{ sotopia.Agent }

func (notingAgent) ActionNote(turn int) string { return fmt.Sprintf("parse: no JSON on turn %d", turn) }

// What an agent says about its own action (unusable output turned into none) reaches the log.
func TestAgentActionNotesAreRecorded(t *testing.T) {
	spec, sink := testSpec(t, 1, "random")
	spec.World = notingWorld{spec.World}
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	for _, tr := range sink.eps[0].Turns {
		want := ""
		if tr.Seat == 1 {
			want = fmt.Sprintf("parse: no JSON on turn %d", tr.Turn-1)
		}
		if tr.ActionNote != want {
			t.Fatalf("turn %d seat %d: note %q, want %q", tr.Turn, tr.Seat, tr.ActionNote, want)
		}
	}
}

// Issue 9.6: episodes cut by the run's cancellation (SIGINT/SIGTERM) are recorded as
// interrupted, not failed, and are not retried.
func TestCancelledRunRecordsInterruptedNotFailed(t *testing.T) {
	spec, sink := testSpec(t, 3, "random")
	spec.MaxRetries = 2
	hung := make(chan struct{}, 3)
	spec.World = &faultyWorld{World: spec.World, mode: "hang", hung: hung}
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		// Cancel once every episode is mid-flight, waiting for its agent.
		for range 3 {
			<-hung
		}
		cancel(errors.New("interrupt signal received"))
	}()
	res, err := Run(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.eps) != 3 || len(res.Attempts) != 3 {
		t.Fatalf("%d recorded, %d attempts; want 3 and 3 (no retries of interrupted episodes)", len(sink.eps), len(res.Attempts))
	}
	for _, ep := range sink.eps {
		if ep.Status != sotopia.StatusInterrupted || !strings.Contains(ep.Error, "interrupt signal received") {
			t.Errorf("task %s: status %s, error %q; want interrupted by the signal", ep.TaskID, ep.Status, ep.Error)
		}
		if len(ep.Turns) == 0 {
			t.Errorf("task %s: the interrupted episode lost its turns", ep.TaskID)
		}
	}
	for _, a := range res.Attempts {
		if a.Status != sotopia.StatusInterrupted {
			t.Errorf("attempt %+v: want interrupted", a)
		}
	}
}
