package cluster

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/loop"
	"github.com/also-project/also/messages"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// fakeWorker answers like a Worker: it stores a done episode per RunTask and reports it, or
// (blackhole) takes tasks and never answers, as a member that died.
type fakeWorker struct {
	t         *testing.T
	slots     int
	blackhole bool
	cost      float64
	// report, when set, says what to report for an attempt and whether to store it first (a
	// worker whose store write failed, or that lies); nil: done, stored.
	report   func(attempt int) (status string, store bool)
	st       store.Store
	inflight atomic.Int32
	maxSeen  atomic.Int32
	got      chan string
	wg       *sync.WaitGroup
}

func (f *fakeWorker) receive(c actor.Context) {
	switch m := unwire(c.Message()).(type) {
	case *messages.WorkerHello:
		c.Respond(wire(&messages.WorkerInfo{Slots: f.slots}))
	case *messages.RunTask:
		n := f.inflight.Add(1)
		for old := f.maxSeen.Load(); n > old && !f.maxSeen.CompareAndSwap(old, n); old = f.maxSeen.Load() {
		}
		select {
		case f.got <- m.TaskID:
		default:
		}
		if f.blackhole {
			return
		}
		sender, system := c.Sender(), c.ActorSystem()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			pk := loop.PK("t", 1, m.TaskID, m.Attempt)
			status, stored := sotopia.StatusDone, true
			if f.report != nil {
				status, stored = f.report(m.Attempt)
			}
			ep := storetest.Episode(pk, "t", "E1", m.TaskID, status)
			ep.Attempt = m.Attempt
			if stored {
				if err := f.st.SaveEpisode(context.Background(), ep); err != nil {
					f.t.Error(err)
				}
			}
			time.Sleep(2 * time.Millisecond)
			f.inflight.Add(-1)
			system.Root.Send(sender, wire(&messages.TaskResult{RunID: m.RunID, Index: m.Index, TaskID: m.TaskID, Attempt: m.Attempt,
				EpisodePK: pk, Status: status, Usage: sotopia.Usage{CostUSD: f.cost}}))
		}()
	}
}

type memorySink struct {
	mu  sync.Mutex
	pks map[string]int
}

func (s *memorySink) Save(_ context.Context, ep *sotopia.EpisodeLog) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pks[ep.TaskID]++
	return nil
}

type coordRig struct {
	system  *actor.ActorSystem
	co      *coordinator
	pid     *actor.PID
	done    chan struct{}
	sink    *memorySink
	workers map[string]*actor.PID
}

func newCoordRig(t *testing.T, n int, budget float64, workers map[string]*fakeWorker) *coordRig {
	return newCoordRigRetries(t, n, budget, 0, workers)
}

func newCoordRigRetries(t *testing.T, n int, budget float64, retries int, workers map[string]*fakeWorker) *coordRig {
	t.Helper()
	ds, err := sotopia.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := ds.Subset("all")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	var wg sync.WaitGroup
	t.Cleanup(func() { wg.Wait(); system.Shutdown() })
	r := &coordRig{system: system, done: make(chan struct{}), sink: &memorySink{pks: map[string]int{}}, workers: map[string]*actor.PID{}}
	for id, f := range workers {
		f.t, f.st, f.wg, f.got = t, st, &wg, make(chan string, 100)
		r.workers[id] = system.Root.Spawn(actor.PropsFromFunc(f.receive))
	}
	spec := actors.Spec{Tasks: tasks[:n], Sink: r.sink, MaxTurns: 20, StepTimeout: time.Minute, Logf: t.Logf, MaxRetries: retries}
	r.co = &coordinator{cluster: "t", spec: spec, store: st, runID: "run", taskTimeout: time.Hour, members: map[string]*member{},
		accounted: map[attemptKey]bool{}, refusals: map[attemptKey]int{}, result: &actors.Result{}, done: r.done, budget: budget,
		pidOf: func(m *protocluster.Member) *actor.PID { return r.workers[m.Id] }}
	r.pid = system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r.co }))
	return r
}

func (r *coordRig) join(ids ...string) {
	var ms []*protocluster.Member
	for _, id := range ids {
		ms = append(ms, &protocluster.Member{Id: id, Host: "h", Port: 1, Kinds: []string{KindWorker}})
	}
	r.system.Root.Send(r.pid, &protocluster.ClusterTopology{Joined: ms})
}

func (r *coordRig) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		t.Fatal("the coordinator did not finish")
	}
}

// Placement stays within each member's slots; the attempts of a member that leaves are placed
// on the others; every task is counted once.
func TestCoordinatorPlacesWithinSlotsAndReplacesALeaver(t *testing.T) {
	workers := map[string]*fakeWorker{"a": {slots: 2}, "b": {slots: 1}, "dead": {slots: 3, blackhole: true}}
	r := newCoordRig(t, 12, 0, workers)
	r.join("a", "b", "dead")
	<-workers["dead"].got // it holds attempts now, and will never answer
	r.system.Root.Send(r.pid, &protocluster.ClusterTopology{Left: []*protocluster.Member{{Id: "dead", Host: "h", Port: 1}}})
	r.wait(t)
	if len(r.sink.pks) != 12 {
		t.Fatalf("%d tasks recorded, want 12", len(r.sink.pks))
	}
	for task, n := range r.sink.pks {
		if n != 1 {
			t.Errorf("task %s recorded %d times", task, n)
		}
	}
	done := 0
	for _, a := range r.co.result.Attempts {
		if a.Status == sotopia.StatusDone && a.Final {
			done++
		}
	}
	if done != 12 {
		t.Errorf("%d final done attempts, want 12", done)
	}
	for id, f := range workers {
		if got := int(f.maxSeen.Load()); got > f.slots {
			t.Errorf("worker %s had %d attempts at once, more than its %d slots", id, got, f.slots)
		}
	}
}

// --budget-usd on a cluster: the coordinator sums what workers report and stops placing.
func TestCoordinatorStopsAtTheBudget(t *testing.T) {
	r := newCoordRig(t, 12, 2.5, map[string]*fakeWorker{"a": {slots: 1, cost: 1}})
	r.join("a")
	r.wait(t)
	if r.co.result.StoppedEarly == "" || len(r.sink.pks) != 3 {
		t.Fatalf("stopped %q after %d episodes, want a budget stop after 3 at $1 each", r.co.result.StoppedEarly, len(r.sink.pks))
	}
}

// A worker that reports an attempt done (or interrupted) which is not in the store is not
// believed: the attempt counts as failed, saying so, and nothing reaches the run folder for it.
func TestCoordinatorDoesNotCountAnUnstoredAttempt(t *testing.T) {
	unstored := func(attempt int) (string, bool) {
		switch attempt {
		case 0:
			return sotopia.StatusInterrupted, false
		case 1:
			return sotopia.StatusDone, false
		}
		return sotopia.StatusDone, true
	}
	r := newCoordRigRetries(t, 1, 0, 2, map[string]*fakeWorker{"a": {slots: 1, report: unstored}})
	r.join("a")
	r.wait(t)
	got := r.co.result.Attempts
	if len(got) != 3 {
		t.Fatalf("%d attempts, want 3 (interrupted, then done, then the retry): %+v", len(got), got)
	}
	for i, a := range got[:2] {
		if a.Attempt != i || a.Status != sotopia.StatusFailed || !strings.Contains(a.Error, "reported stored") || a.Final {
			t.Errorf("attempt %d reported but not stored: %+v, want a failed, retried attempt naming the missing episode", i, a)
		}
	}
	if a := got[2]; a.Attempt != 2 || a.Status != sotopia.StatusDone || !a.Final {
		t.Errorf("last attempt %+v, want attempt 2 done and final", a)
	}
	if n := r.sink.pks[got[0].TaskID]; n != 1 {
		t.Errorf("task recorded %d times in the run folder, want once (its stored attempt)", n)
	}
}
