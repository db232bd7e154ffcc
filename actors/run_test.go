package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	res, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Attempts {
		// Only the retried attempt is not final.
		if want := a.TaskID != victim || a.Attempt == 1; a.Final != want {
			t.Errorf("task %s attempt %d (%s): Final %v, want %v", a.TaskID, a.Attempt, a.Status, a.Final, want)
		}
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
	moved := 0
	for _, ep := range sink.eps {
		for i := 1; i < len(ep.Turns); i++ {
			prev, cur := ep.Turns[i-1], ep.Turns[i]
			other := 1 - prev.Seat
			if cur.Seats[other].Arm != prev.Seats[other].Arm || cur.Seats[other].ArmProb != prev.Seats[other].ArmProb {
				t.Fatalf("turn %d: seat %d's arm changed after seat %d spoke", cur.Turn, other, prev.Seat)
			}
			if cur.Seats[prev.Seat].Arm != prev.Seats[prev.Seat].Arm {
				moved++
			}
		}
	}
	// A uniform draw over 13 arms repeats the arm 1 time in 13: most transitions must move the
	// speaker's arm, or the speaker never reselects.
	if moved < 10 {
		t.Fatalf("the speaker's arm changed after only %d turns: the speaker does not reselect", moved)
	}
}

// spyPolicy records, per seat, every update (turn, arm, reward) and selection (turn); it picks
// arm (turn + 5 seat) mod K so the records show whose selection took effect.
type spyPolicy struct {
	seat int
	k    int
	log  *spyLog
}

type spyLog struct {
	mu     sync.Mutex
	events []string
}

func (l *spyLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
}

func (s *spyPolicy) Name() string { return "spy" }

func (s *spyPolicy) Update(fb policy.Feedback) error {
	s.log.add("t%d update s%d arm%d r%.12f", fb.Turn, s.seat, fb.Arm, fb.Reward)
	return nil
}

func (s *spyPolicy) Select(turn int, _ []float64) (policy.Choice, error) {
	s.log.add("t%d select s%d", turn, s.seat)
	arm := (turn + 5*s.seat) % s.k
	return policy.Choice{Arm: arm, Prob: 1}, nil
}

// spyRun plays one task with the spy policy and returns its log and the episode.
func spyRun(t *testing.T, mutate func(*Spec)) ([]string, *sotopia.EpisodeLog) {
	t.Helper()
	spec, sink := testSpec(t, 1, "random")
	log := &spyLog{}
	spec.NewPolicy = func(seat int, p policy.Params) (policy.Policy, error) {
		return &spyPolicy{seat: seat, k: len(p.Arms), log: log}, nil
	}
	mutate(&spec)
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if len(sink.eps) != 1 || sink.eps[0].Status != sotopia.StatusDone {
		t.Fatalf("episodes: %+v", summarize(sink.eps))
	}
	return log.events, sink.eps[0]
}

// expectedSteps rebuilds, from the episode's turn records, what each seat's policy must have
// been told after every non-final turn: its own reward for the arm it played, and whether it
// reselects. Within a turn the seats are ordered 0, 1 and updates precede the selection.
func expectedSteps(ep *sotopia.EpisodeLog, fed func(tr sotopia.TurnRecord, seat int) bool, selects func(tr sotopia.TurnRecord, seat int) bool) []string {
	var out []string
	for _, tr := range ep.Turns[:len(ep.Turns)-1] { // the terminal turn has no per-turn judge
		for s := range sotopia.Seats {
			if fed(tr, s) {
				out = append(out, fmt.Sprintf("t%d update s%d arm%d r%.12f", tr.Turn, s, tr.Seats[s].Arm, *tr.Seats[s].Reward))
			}
			if selects(tr, s) {
				out = append(out, fmt.Sprintf("t%d select s%d", tr.Turn, s))
			}
		}
	}
	return out
}

// sortedPerTurn orders a seat-interleaved log by turn, then seat (the two policy actors run
// concurrently, so events of one turn may arrive in either order).
func sortedPerTurn(events []string) []string {
	out := slices.Clone(events)
	slices.SortStableFunc(out, func(a, b string) int {
		var ta, tb int
		fmt.Sscanf(a, "t%d", &ta)
		fmt.Sscanf(b, "t%d", &tb)
		if ta != tb {
			return ta - tb
		}
		return strings.Compare(seatOf(a), seatOf(b))
	})
	return out
}

func seatOf(event string) string {
	for _, f := range strings.Fields(event) {
		if strings.HasPrefix(f, "s") && len(f) == 2 {
			return f
		}
	}
	return ""
}

// Which seat's policy gets which reward after which turn, and who reselects, end to end in the
// sim world; each selection must then be the arm the seat plays in the following turns.
func TestCreditAssignmentEndToEnd(t *testing.T) {
	always := func(sotopia.TurnRecord, int) bool { return true }
	speaker := func(tr sotopia.TurnRecord, s int) bool { return tr.Seat == s }
	cases := []struct {
		name            string
		mutate          func(*Spec)
		fed, selects    func(sotopia.TurnRecord, int) bool
		speakerSelected bool
	}{
		{"all", func(s *Spec) { s.Credit = CreditAll }, always, always, true},
		{"own-turn", func(s *Spec) { s.Credit = CreditOwnTurn }, speaker, speaker, true},
		{"alternate", func(s *Spec) { s.Policy.AlternateOptimization = true }, always,
			func(tr sotopia.TurnRecord, s int) bool { return s == (tr.Turn-1)%2 }, true},
	}
	for _, c := range cases {
		events, ep := spyRun(t, c.mutate)
		if len(ep.Turns) < 6 {
			t.Fatalf("%s: only %d turns", c.name, len(ep.Turns))
		}
		want := expectedSteps(ep, c.fed, c.selects)
		if got := sortedPerTurn(events); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, want)
		}
		// The arm a seat plays at turn t+1 is its own choice after turn t if it reselected then,
		// and unchanged otherwise.
		for i := 1; i < len(ep.Turns); i++ {
			prev, cur := ep.Turns[i-1], ep.Turns[i]
			for s := range sotopia.Seats {
				want := prev.Seats[s].Arm
				if c.selects(prev, s) {
					want = (prev.Turn + 5*s) % 13
				}
				if cur.Seats[s].Arm != want {
					t.Fatalf("%s: turn %d seat %d plays arm %d, want %d", c.name, cur.Turn, s, cur.Seats[s].Arm, want)
				}
			}
		}
	}
}

// The policies see the run's update interval (the artifact's --update-interval), and with
// alternation a real retrained policy reselects only on its seat's turns.
func TestUpdateIntervalAndAlternationReachThePolicies(t *testing.T) {
	spec, sink := testSpec(t, 1, "instinct")
	spec.Policy.UpdateInterval, spec.Policy.AlternateOptimization = 3, true
	var intervals sync.Map
	spec.NewPolicy = func(seat int, p policy.Params) (policy.Policy, error) {
		intervals.Store(seat, p.Config.UpdateInterval)
		return policy.New(spec.Bandit, p)
	}
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	for s := range sotopia.Seats {
		if v, _ := intervals.Load(s); v != 3 {
			t.Fatalf("seat %d policy built with update interval %v, want 3", s, v)
		}
	}
	ep := sink.eps[0]
	if ep.Status != sotopia.StatusDone {
		t.Fatalf("%s: %s", ep.Status, ep.Error)
	}
	for i := 1; i < len(ep.Turns); i++ {
		prev, cur := ep.Turns[i-1], ep.Turns[i]
		idle := prev.Turn % 2 // seat 0 reselects after odd turns, seat 1 after even ones
		if cur.Seats[idle].Arm != prev.Seats[idle].Arm {
			t.Fatalf("turn %d: seat %d changed arm although it was not its turn to reselect", cur.Turn, idle)
		}
	}
	spec.Optimised = [2]bool{true, false}
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), "alternate_optimization") {
		t.Errorf("alternation with one optimised seat accepted: %v", err)
	}
}

// countingWorld counts the judge's and the embedder's calls.
type countingWorld struct {
	sotopia.World
	turnJudged, episodeJudged, embedded atomic.Int64
}

func (w *countingWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	ew, err := w.World.NewEpisode(ctx, spec)
	if err == nil {
		ew.Judge = &countingJudge{Judge: ew.Judge, w: w}
		ew.Embedder = &countingEmbedder{Embedder: ew.Embedder, w: w}
	}
	return ew, err
}

type countingJudge struct {
	sotopia.Judge
	w *countingWorld
}

func (j *countingJudge) JudgeTurn(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	j.w.turnJudged.Add(1)
	return j.Judge.JudgeTurn(ctx, req)
}

func (j *countingJudge) JudgeEpisode(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	j.w.episodeJudged.Add(1)
	return j.Judge.JudgeEpisode(ctx, req)
}

type countingEmbedder struct {
	sotopia.Embedder
	w *countingWorld
}

func (e *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float64, error) {
	e.w.embedded.Add(1)
	return e.Embedder.Embed(ctx, texts)
}

// Original (--optimize none): the judge is called once per episode, at the end, and nothing is
// embedded (also-method.md 2.1); an optimised run judges every non-final turn.
func TestNoOptimisationHasNoPerTurnJudge(t *testing.T) {
	spec, sink := testSpec(t, 2, "static")
	spec.Optimised = [2]bool{}
	w := &countingWorld{World: spec.World}
	spec.World = w
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
	if n, e, m := w.turnJudged.Load(), w.episodeJudged.Load(), w.embedded.Load(); n != 0 || e != 2 || m != 0 {
		t.Fatalf("optimize none: %d per-turn judgements, %d terminal ones, %d embedding calls; want 0, 2, 0", n, e, m)
	}
	// The same counter sees the per-turn judge when a seat is optimised, so 0 above is not an
	// artefact of the wrapper.
	spec, sink = testSpec(t, 1, "static")
	w = &countingWorld{World: spec.World}
	spec.World = w
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if n, turns := w.turnJudged.Load(), len(sink.eps[0].Turns); n != int64(turns-1) {
		t.Fatalf("optimised run: %d per-turn judgements for %d turns, want %d", n, turns, turns-1)
	}
}

// The dialogue is embedded after every turn only for a policy that reads it: also (context on)
// and the neural UCBs with ucb_context_embedding; instinct by default (the paper's Instinct
// runs have no context) embeds only the arms.
func TestDialogueEmbeddedOnlyForPoliciesThatReadIt(t *testing.T) {
	cases := []struct {
		bandit  string
		ucbCtx  bool
		perTurn bool
	}{{"also", false, true}, {"instinct", false, false}, {"instinct", true, true}, {"exp3", false, false}}
	for _, c := range cases {
		spec, sink := testSpec(t, 1, c.bandit)
		spec.Policy.UCBContext = c.ucbCtx
		spec.Policy.ALSO.Hidden, spec.Policy.ALSO.Epochs = 8, 5
		spec.MaxTurns = 4 // instinct's network is the artifact's fixed 100 x 100 epochs: keep it short
		w := &countingWorld{World: spec.World}
		spec.World = w
		if _, err := Run(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
		ep := sink.eps[0]
		want := int64(1) // the arms
		if c.perTurn {
			want += int64(len(ep.Turns) - 1)
		}
		if got := w.embedded.Load(); got != want || (ep.Turns[0].ContextHash != "") != c.perTurn {
			t.Errorf("%s (ucb context %v): %d embedding calls, want %d; context hash %q", c.bandit, c.ucbCtx, got, want, ep.Turns[0].ContextHash)
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
