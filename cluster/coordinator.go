package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	protocluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/messages"
	"github.com/also-project/also/session"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// Coordinator is a session.Dispatcher: it joins the cluster as its coordinator and places the
// run's task attempts on the worker members, at most each member's slots at once. A member that
// leaves (dies, or is cut off for longer than the membership TTL) has its attempts placed again
// elsewhere; an attempt it stored before dying is found in the store by the next worker and not
// played twice. One Coordinator serves many runs (an experiment's cells) one after another, on
// one cluster member started by the first; Close leaves the cluster.
type Coordinator struct {
	Node NodeConfig
	// Drain bounds how long a cancelled run waits for the attempts in flight on workers (they
	// are stored whatever happens; a --resume picks up the rest).
	Drain time.Duration
	// WaitForWorkers holds the first placement until this many workers are ready (the bench
	// times placement, not joining).
	WaitForWorkers int
	// Elapsed is set by Dispatch: from the first placement to the last result.
	Elapsed time.Duration

	mu   sync.Mutex
	node *Node
	runs int
}

// Close leaves the cluster (after the last run).
func (d *Coordinator) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.node != nil {
		d.node.Close()
		d.node = nil
	}
}

// Dispatch implements session.Dispatcher. Runs take the cluster one at a time: each has every
// worker's slots.
func (d *Coordinator) Dispatch(ctx context.Context, run session.DispatchedRun) (*actors.Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cfgJSON, err := json.Marshal(run.Config)
	if err != nil {
		return nil, err
	}
	if d.node == nil {
		d.Node.Kind = KindCoordinator
		if d.node, err = StartNode(d.Node, nil); err != nil {
			return nil, err
		}
	}
	node := d.node
	d.runs++
	var id [6]byte
	rand.Read(id[:])
	done := make(chan struct{})
	co := &coordinator{spec: run.Spec, store: run.Store, config: cfgJSON, runID: run.Config.Tag + "/" + hex.EncodeToString(id[:]),
		taskTimeout: taskTimeout(run.Spec), minWorkers: d.WaitForWorkers, members: map[string]*member{}, accounted: map[attemptKey]bool{},
		refusals: map[attemptKey]int{}, result: &actors.Result{}, done: done, budget: run.Config.BudgetUSD, cluster: d.Node.Cluster}
	system := node.System
	pid, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return co }), fmt.Sprintf("also-coordinator-%d", d.runs))
	if err != nil {
		return nil, err
	}
	defer system.Root.Stop(pid)
	sub := system.EventStream.Subscribe(func(evt any) {
		if t, ok := evt.(*protocluster.ClusterTopology); ok {
			system.Root.Send(pid, t)
		}
	})
	defer system.EventStream.Unsubscribe(sub)
	// The members already there, as if they had just joined (a repeat is ignored).
	system.Root.Send(pid, &protocluster.ClusterTopology{Joined: node.Cluster.MemberList.Members().Members()})
	co.spec.Logf("cluster %s: coordinator at %s; waiting for workers (also worker --cluster %s --peers %s --redis-url ...)",
		d.Node.Cluster, node.Address(), d.Node.Cluster, node.Address())
	select {
	case <-done:
	case <-ctx.Done():
		system.Root.Send(pid, &stopLaunching{reason: "cancelled: " + context.Cause(ctx).Error()})
		drain := d.Drain
		if drain <= 0 {
			drain = 30 * time.Second
		}
		select {
		case <-done:
		case <-time.After(drain):
			res, _ := system.Root.RequestFuture(pid, &snapshot{}, 5*time.Second).Result()
			if r, ok := res.(*actors.Result); ok {
				return r, nil
			}
			return &actors.Result{StoppedEarly: "cancelled"}, nil
		}
	}
	d.Elapsed = co.elapsed
	return co.result, nil
}

type stopLaunching struct{ reason string }

type helloAgain struct{ id string }

// snapshot asks a coordinator that is still waiting for workers for what it has so far.
type snapshot struct{}

type attemptKey struct{ index, attempt int }

type pending struct {
	index   int
	task    sotopia.Task
	attempt int
}

type member struct {
	id, host string
	pid      *actor.PID
	slots    int
	ready    bool // answered WorkerHello
	broken   string
	inflight []pending
}

func (m *member) free() int {
	if !m.ready || m.broken != "" {
		return 0
	}
	return m.slots - len(m.inflight)
}

type coordinator struct {
	cluster string
	pidOf   func(*protocluster.Member) *actor.PID // where a member's worker actor is (tests: local)
	spec    actors.Spec
	store   store.Store
	config  []byte
	runID   string
	// taskTimeout bounds the wait for one attempt's result (then it is placed again).
	taskTimeout time.Duration
	queue       []pending
	members     map[string]*member
	accounted   map[attemptKey]bool
	refusals    map[attemptKey]int
	result      *actors.Result
	done        chan struct{}
	// budget is --budget-usd, spent what the workers reported: the workers' own meters each see
	// only their share, so the coordinator stops placing once the sum reaches the budget.
	budget, spent float64
	// minWorkers, started and elapsed: see Coordinator.WaitForWorkers and Elapsed.
	minWorkers int
	started    time.Time
	elapsed    time.Duration
}

func (co *coordinator) Receive(c actor.Context) {
	switch m := unwire(c.Message()).(type) {
	case *actor.Started:
		for i, t := range co.spec.Tasks {
			co.queue = append(co.queue, pending{index: i, task: t, attempt: co.spec.FirstAttempt[t.PK]})
		}
	case *protocluster.ClusterTopology:
		co.topology(c, m)
	case *helloAgain:
		if mem := co.members[m.id]; mem != nil && !mem.ready {
			co.hello(c, mem)
		}
	case *stopLaunching:
		co.stop(m.reason)
		co.finishIfIdle()
	case *snapshot:
		// A copy: the run returns it while this actor may still append and sort (finishIfIdle).
		r := *co.result
		r.Attempts = slices.Clone(r.Attempts)
		c.Respond(&r)
	}
}

func (co *coordinator) topology(c actor.Context, t *protocluster.ClusterTopology) {
	for _, m := range t.Left {
		mem, ok := co.members[m.Id]
		if !ok {
			continue
		}
		delete(co.members, m.Id)
		if len(mem.inflight) > 0 {
			co.spec.Logf("worker %s (%s) left the cluster: its %d task(s) in flight go to other workers", mem.id, mem.host, len(mem.inflight))
			co.queue = append(slices.Clone(mem.inflight), co.queue...)
			mem.inflight = nil // a late answer from it is matched wherever the attempt is now
		} else {
			co.spec.Logf("worker %s (%s) left the cluster", mem.id, mem.host)
		}
	}
	for _, m := range t.Joined {
		if !slices.Contains(m.Kinds, KindWorker) || co.members[m.Id] != nil {
			continue
		}
		pid := actor.NewPID(m.Address(), workerActor)
		if co.pidOf != nil {
			pid = co.pidOf(m)
		}
		mem := &member{id: m.Id, host: m.Address(), pid: pid}
		co.members[m.Id] = mem
		co.hello(c, mem)
	}
	co.launch(c)
}

// hello asks a new member for its slots, again while it stays a member and does not answer.
func (co *coordinator) hello(c actor.Context, mem *member) {
	f := c.RequestFuture(mem.pid, wire(&messages.WorkerHello{Cluster: co.cluster}), 10*time.Second)
	c.ReenterAfter(f, func(res any, err error) {
		if co.members[mem.id] != mem {
			return
		}
		info, ok := unwire(res).(*messages.WorkerInfo)
		if err != nil || !ok || info.Slots < 1 {
			// Ask again in a second (an unreachable member answers at once with a dead letter).
			self, system := c.Self(), c.ActorSystem()
			time.AfterFunc(time.Second, func() { system.Root.Send(self, &helloAgain{id: mem.id}) })
			return
		}
		mem.slots, mem.ready = info.Slots, true
		mem.host = info.Host + " " + mem.host
		co.spec.Logf("worker %s (%s) joined with %d slot(s)", mem.id, mem.host, mem.slots)
		co.launch(c)
	})
}

func (co *coordinator) launch(c actor.Context) {
	if co.started.IsZero() {
		ready := 0
		for _, m := range co.members {
			if m.ready {
				ready++
			}
		}
		if ready == 0 || ready < co.minWorkers {
			return
		}
		co.started = time.Now()
	}
	for len(co.queue) > 0 && co.result.StoppedEarly == "" {
		mem := co.freest()
		if mem == nil {
			break
		}
		if co.budget > 0 && co.spent >= co.budget {
			co.stop(fmt.Sprintf("budget: $%.4f spent of $%.4f", co.spent, co.budget))
			break
		}
		if co.spec.Stop != nil {
			if reason := co.spec.Stop(); reason != "" {
				co.stop(reason)
				break
			}
		}
		p := co.queue[0]
		co.queue = co.queue[1:]
		if co.accounted[attemptKey{p.index, p.attempt}] {
			continue
		}
		mem.inflight = append(mem.inflight, p)
		f := c.RequestFuture(mem.pid, wire(&messages.RunTask{RunID: co.runID, Config: co.config, Index: p.index, TaskID: p.task.PK, Attempt: p.attempt}), co.taskTimeout)
		c.ReenterAfter(f, func(res any, err error) {
			if r, ok := unwire(res).(*messages.TaskResult); ok && err == nil {
				co.onResult(c, r)
				return
			}
			co.lost(c, mem, p, err)
		})
	}
	co.finishIfIdle()
}

// freest is the ready member with the most free slots (ties: by id, for a stable order).
func (co *coordinator) freest() *member {
	var best *member
	for _, m := range co.members {
		if f := m.free(); f > 0 && (best == nil || f > best.free() || f == best.free() && m.id < best.id) {
			best = m
		}
	}
	return best
}

// take removes an attempt from wherever it waits or runs; it says whether it was there.
func (co *coordinator) take(k attemptKey) (pending, bool) {
	for _, m := range co.members {
		for i, p := range m.inflight {
			if p.index == k.index && p.attempt == k.attempt {
				m.inflight = slices.Delete(m.inflight, i, i+1)
				return p, true
			}
		}
	}
	for i, p := range co.queue {
		if p.index == k.index && p.attempt == k.attempt {
			co.queue = slices.Delete(co.queue, i, i+1)
			return p, true
		}
	}
	return pending{}, false
}

// lost re-queues an attempt whose request failed (undeliverable, or no answer within the task
// timeout) if it is still in flight on that member. Should the member still be playing it, the
// second player finds it stored, or the store refuses a different record under its id.
func (co *coordinator) lost(c actor.Context, mem *member, p pending, err error) {
	k := attemptKey{p.index, p.attempt}
	if co.accounted[k] || !slices.ContainsFunc(mem.inflight, func(q pending) bool { return q.index == p.index && q.attempt == p.attempt }) {
		return
	}
	co.take(k)
	// It gets no more work: an undeliverable request or a stuck attempt says it is unwell.
	mem.broken = fmt.Sprint(err)
	co.spec.Logf("task %s attempt %d on worker %s (%s): no result (%v); placing it again, the worker gets no more", p.task.PK, p.attempt, mem.id, mem.host, err)
	co.queue = append([]pending{p}, co.queue...)
	co.launch(c)
}

func (co *coordinator) onResult(c actor.Context, r *messages.TaskResult) {
	k := attemptKey{r.Index, r.Attempt}
	if r.RunID != co.runID || co.accounted[k] {
		return // another run's, or a late second report of an attempt already counted
	}
	p, ok := co.take(k)
	if !ok {
		return
	}
	if !r.Stored {
		co.spent += r.Usage.CostUSD
	}
	switch {
	case r.Status == "":
		// The member could not play it at all (no key for a provider, a store it cannot read):
		// not the task's fault. The member gets no more work; the attempt goes elsewhere.
		if mem := co.members[r.Member]; mem != nil {
			mem.broken = r.Error
			co.spec.Logf("worker %s (%s) cannot play this run's tasks: %s; it gets no more", mem.id, mem.host, r.Error)
		}
		co.refusals[k]++
		if co.refusals[k] < 3 {
			co.queue = append([]pending{p}, co.queue...)
			break
		}
		co.account(c, p, r, fmt.Sprintf("refused by %d workers: %s", co.refusals[k], r.Error))
	case r.Status == sotopia.StatusInterrupted && co.result.StoppedEarly == "":
		// Its worker was shut down; the attempt is stored as interrupted: play the next one.
		co.accounted[k] = true
		co.spec.Logf("task %s attempt %d interrupted on its worker (%s): playing attempt %d elsewhere", r.TaskID, r.Attempt, r.Error, r.Attempt+1)
		a := attemptOf(r)
		a.Final = false
		if err := co.record(c, r); err != nil {
			// Not silently: the attempt is not what the worker said (not stored, or not recorded).
			a.Status, a.Error = sotopia.StatusFailed, err.Error()
			co.spec.Logf("episode %d (task %s) attempt %d failed: %s", a.Index, a.TaskID, a.Attempt, a.Error)
		}
		co.result.Attempts = append(co.result.Attempts, a)
		if co.spec.OnDone != nil {
			co.spec.OnDone(a)
		}
		co.queue = append([]pending{{index: p.index, task: p.task, attempt: p.attempt + 1}}, co.queue...)
	default:
		co.account(c, p, r, "")
	}
	co.launch(c)
}

// record hands the stored episode to the run's sink (the run folder; for the store, saving the
// same record again is a no-op, so it also checks that what the worker stored is what it said).
func (co *coordinator) record(c actor.Context, r *messages.TaskResult) error {
	ep, err := co.store.Episode(context.Background(), r.EpisodePK)
	if err != nil {
		return fmt.Errorf("episode %s reported stored by worker %s: %w", r.EpisodePK, r.Member, err)
	}
	return co.spec.Sink.Save(context.Background(), ep)
}

func attemptOf(r *messages.TaskResult) actors.Attempt {
	return actors.Attempt{Index: r.Index, Attempt: r.Attempt, TaskID: r.TaskID, EpisodePK: r.EpisodePK, Status: r.Status, Error: r.Error, Usage: r.Usage, Final: true}
}

// account counts a finished attempt under the runner's rules: failed attempts are retried up to
// MaxRetries (none once the run stopped launching).
func (co *coordinator) account(c actor.Context, p pending, r *messages.TaskResult, refused string) {
	co.accounted[attemptKey{r.Index, r.Attempt}] = true
	a := attemptOf(r)
	if refused != "" {
		a.Status, a.Error = sotopia.StatusFailed, refused
	} else if err := co.record(c, r); err != nil {
		a.Status, a.Error = sotopia.StatusFailed, err.Error()
	}
	if a.Status == sotopia.StatusFailed {
		co.spec.Logf("episode %d (task %s) attempt %d failed: %s", a.Index, a.TaskID, a.Attempt, a.Error)
		if refused == "" && co.spec.Retries(p.task.PK, a.Attempt) && co.result.StoppedEarly == "" {
			a.Final = false
			co.queue = append([]pending{{index: p.index, task: p.task, attempt: p.attempt + 1}}, co.queue...)
		}
	}
	co.result.Attempts = append(co.result.Attempts, a)
	if co.spec.OnDone != nil {
		co.spec.OnDone(a)
	}
}

func (co *coordinator) stop(reason string) {
	co.spec.StopLaunching(co.result, reason, len(co.queue))
	co.queue = nil
}

func (co *coordinator) finishIfIdle() {
	if co.done == nil || len(co.queue) > 0 {
		return
	}
	for _, m := range co.members {
		if len(m.inflight) > 0 {
			return
		}
	}
	co.result.SortAttempts()
	if !co.started.IsZero() {
		co.elapsed = time.Since(co.started)
	}
	close(co.done)
	co.done = nil
}

// taskTimeout is generous: every step of the episode may take StepTimeout (and a worker may
// queue the attempt behind surrogate training); at least ten minutes.
func taskTimeout(spec actors.Spec) time.Duration {
	return max(10*time.Minute, spec.StepTimeout*time.Duration(4*spec.MaxTurns+4))
}
