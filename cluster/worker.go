package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/config"
	"github.com/also-project/also/messages"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/session"
	"github.com/also-project/also/sotopia/store"
)

const workerActor = "also-worker"

// Worker hosts task attempts for coordinators: each RunTask is played here by a session
// TaskRunner (the whole Episode actor tree) and stored straight into the shared store.
type Worker struct {
	cluster string
	slots   int
	store   store.Store
	pool    *nn.Pool
	log     io.Writer
	logMu   sync.Mutex
	opt     session.Options

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	runs   map[string]*session.TaskRunner
	busy   map[string]int // attempts in flight per run
	latest string         // the run of the last RunTask: kept when idle, older idle runs are closed
	node   *Node
	host   string
}

// WorkerConfig configures a worker.
type WorkerConfig struct {
	Node  NodeConfig
	Slots int         // episodes played at once (default: the cores)
	Store store.Store // the shared store (Redis)
	Log   io.Writer   // one line per task; nil discards
	// Options reach each run's world (tests inject LLM settings this way).
	Options session.Options
}

// StartWorker joins the cluster and serves until Close.
func StartWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Slots < 1 {
		return nil, fmt.Errorf("--slots %d: must be at least 1", cfg.Slots)
	}
	if cfg.Store == nil {
		return nil, errors.New("worker: no store (the cluster's shared store is Redis: --redis-url)")
	}
	pool, err := nn.NewPool(cfg.Slots)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	host, _ := os.Hostname()
	w := &Worker{cluster: cfg.Node.Cluster, slots: cfg.Slots, store: cfg.Store, pool: pool, log: cfg.Log, opt: cfg.Options,
		runs: map[string]*session.TaskRunner{}, busy: map[string]int{}, host: host}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	cfg.Node.Kind = KindWorker
	node, err := StartNode(cfg.Node, func(s *actor.ActorSystem) error {
		_, err := s.Root.SpawnNamed(actor.PropsFromFunc(w.receive), workerActor)
		return err
	})
	if err != nil {
		w.cancel()
		return nil, err
	}
	w.node = node
	return w, nil
}

// Address is the worker's endpoint.
func (w *Worker) Address() string { return w.node.Address() }

// Close stops taking tasks, cancels the ones in flight (they are recorded as interrupted and
// their coordinator plays them again elsewhere) and leaves the cluster.
func (w *Worker) Close() {
	w.cancel()
	w.wg.Wait()
	w.node.Close()
	w.mu.Lock()
	for _, r := range w.runs {
		r.Close()
	}
	w.runs = map[string]*session.TaskRunner{}
	w.mu.Unlock()
}

func (w *Worker) receive(c actor.Context) {
	switch m := unwire(c.Message()).(type) {
	case *messages.WorkerHello:
		if m.Cluster == w.cluster {
			c.Respond(wire(&messages.WorkerInfo{MemberID: c.ActorSystem().ID, Host: w.host, Slots: w.slots}))
		}
	case *messages.RunTask:
		sender := c.Sender()
		if sender == nil {
			return
		}
		system := c.ActorSystem()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			res := w.play(m)
			res.Member = system.ID
			system.Root.Send(sender, wire(res))
		}()
	}
}

// play runs one attempt, unless the store has it already (its first player died after storing
// it, before reporting): then it reports the stored attempt. The store's no-overwrite rule is
// the last guard against a double: the same content is a no-op, other content a conflict.
func (w *Worker) play(m *messages.RunTask) *messages.TaskResult {
	res := &messages.TaskResult{RunID: m.RunID, Index: m.Index, TaskID: m.TaskID, Attempt: m.Attempt}
	r, err := w.runner(m)
	defer w.done(m.RunID)
	if err != nil {
		res.Error = err.Error()
		w.logf("task %s attempt %d: cannot play: %v\n", m.TaskID, m.Attempt, err)
		return res
	}
	res.EpisodePK = r.EpisodePK(m.TaskID, m.Attempt)
	if ep, err := w.store.Episode(w.ctx, res.EpisodePK); err == nil {
		res.Status, res.Error, res.Stored = ep.Status, ep.Error, true
		if ep.Usage != nil {
			res.Usage = *ep.Usage
		}
		w.logf("task %s attempt %d: already stored (%s)\n", m.TaskID, m.Attempt, ep.Status)
		return res
	} else if !errors.Is(err, store.ErrNotFound) {
		res.Error = fmt.Sprintf("cannot read the store: %v", err)
		return res
	}
	a, err := r.Play(w.ctx, m.TaskID, m.Attempt)
	if err != nil {
		res.Error = err.Error()
		w.logf("task %s attempt %d: cannot play: %v\n", m.TaskID, m.Attempt, err)
		return res
	}
	res.EpisodePK, res.Status, res.Error, res.Usage = a.EpisodePK, a.Status, a.Error, a.Usage
	w.logf("task %s attempt %d: %s\n", m.TaskID, m.Attempt, a.Status)
	return res
}

// runner is the run's TaskRunner, made on its first task.
func (w *Worker) runner(m *messages.RunTask) (*session.TaskRunner, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.busy[m.RunID]++
	w.latest = m.RunID
	if r, ok := w.runs[m.RunID]; ok {
		return r, nil
	}
	var cfg config.Run
	if err := json.Unmarshal(m.Config, &cfg); err != nil {
		return nil, fmt.Errorf("run configuration: %w", err)
	}
	r, err := session.NewTaskRunner(cfg, w.store, w.pool, w.opt)
	if err != nil {
		return nil, err
	}
	w.runs[m.RunID] = r
	return r, nil
}

func (w *Worker) logf(format string, args ...any) {
	w.logMu.Lock()
	defer w.logMu.Unlock()
	fmt.Fprintf(w.log, format, args...)
}

// done closes a run's world once it has nothing in flight and a newer run has come (a worker
// serving an experiment's cells keeps one world, not one per cell).
func (w *Worker) done(runID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.busy[runID]--
	if _, ok := w.runs[runID]; !ok && w.busy[runID] <= 0 {
		delete(w.busy, runID) // its runner could not be made
	}
	for id, r := range w.runs {
		if w.busy[id] <= 0 && id != w.latest {
			r.Close()
			delete(w.runs, id)
			delete(w.busy, id)
		}
	}
}
