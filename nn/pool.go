package nn

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool bounds how many trainings run at once (size it to the cores) and lends each one a
// Workspace whose buffers (the scratch network, Adam moments, activations) are reused by the
// next. Thousands of waiting bandits therefore hold no training memory: they wait in Do.
// Pool starts no goroutines; work runs on the caller's goroutine while it holds a workspace.
//
// A Pool value is a lane into its workers (NewPool's and every Lane of it share them): a
// workspace that comes free goes to the longest-waiting urgent job, else to the longest-waiting
// other one. An episode marks urgent the training it is blocked on, so the trainings it can
// wait for later do not delay it.
type Pool struct {
	s      *scheduler
	urgent *atomic.Bool // this lane's priority; nil for the pool itself (never urgent)
	// waiting is this lane's queued job, if any, so SetUrgent can move it.
	waiting *waiter
}

type scheduler struct {
	mu      sync.Mutex
	workers int
	free    []*Workspace
	queues  [2][]*waiter // by priority: background, urgent; each in arrival order
	jobs    atomic.Int64
	cpu     atomic.Int64 // nanoseconds of thread CPU time spent in jobs
}

// waiter is one job waiting for a workspace; got receives it (buffered: the giver never blocks).
type waiter struct {
	got    chan *Workspace
	urgent bool
}

// PoolStats is what a pool's jobs have cost so far.
type PoolStats struct {
	Jobs int64
	// CPU is the CPU time the jobs' threads spent in them (on systems without a per-thread
	// clock, their wall time).
	CPU time.Duration
}

// Stats returns the jobs run so far (by every lane of the pool) and their cost.
func (p *Pool) Stats() PoolStats {
	return PoolStats{Jobs: p.s.jobs.Load(), CPU: time.Duration(p.s.cpu.Load())}
}

// defaultWorkers is DefaultWorkers' answer when set (SetDefaultWorkers).
var defaultWorkers atomic.Int64

// SetDefaultWorkers sets how many training workers DefaultWorkers gives (n >= 1): the command
// sets the cores it found before raising GOMAXPROCS above them.
func SetDefaultWorkers(n int) {
	if n >= 1 {
		defaultWorkers.Store(int64(n))
	}
}

// DefaultWorkers is the size of a pool made for a whole run: the value SetDefaultWorkers set, else
// GOMAXPROCS.
func DefaultWorkers() int {
	if n := defaultWorkers.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// NewPool makes a pool of workers workspaces; their buffers are allocated on first use.
func NewPool(workers int) (*Pool, error) {
	if workers < 1 {
		return nil, fmt.Errorf("nn: pool workers = %d: must be >= 1", workers)
	}
	s := &scheduler{workers: workers}
	for range workers {
		s.free = append(s.free, &Workspace{k: bestKernels()})
	}
	return &Pool{s: s}, nil
}

// Workers is the pool's size.
func (p *Pool) Workers() int { return p.s.workers }

// Lane returns a handle on the same workers whose jobs' priority SetUrgent changes. A lane is
// meant for one job at a time (one bandit's trainings, which run one after another).
func (p *Pool) Lane() *Pool {
	return &Pool{s: p.s, urgent: new(atomic.Bool)}
}

// SetUrgent sets the priority of the lane's jobs, including one already waiting (it moves to
// the urgent queue in its arrival order). On the pool itself (not a lane) it does nothing.
func (p *Pool) SetUrgent(urgent bool) {
	if p.urgent == nil {
		return
	}
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p.urgent.Store(urgent)
	// A waiter already handed a workspace (not yet cleared by its goroutine) is out of the
	// queues and must stay out: queued again, it would be handed a second workspace.
	if w := p.waiting; w != nil && w.urgent != urgent && s.remove(w) {
		w.urgent = urgent
		s.insert(w)
	}
}

// Urgent reports the lane's priority.
func (p *Pool) Urgent() bool { return p.urgent != nil && p.urgent.Load() }

// Do waits for a free workspace (or ctx's end), runs fn with it and returns it to the pool.
// fn must not keep the workspace, or anything it lent, after returning.
func (p *Pool) Do(ctx context.Context, fn func(*Workspace) error) error {
	ws, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.s.release(ws)
	// The job stays on one thread so the thread's CPU clock measures it alone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	defer func() {
		p.s.cpu.Add(int64(threadCPU() - t0))
		p.s.jobs.Add(1)
	}()
	return fn(ws)
}

func (p *Pool) acquire(ctx context.Context) (*Workspace, error) {
	s := p.s
	s.mu.Lock()
	if n := len(s.free); n > 0 {
		ws := s.free[n-1]
		s.free = s.free[:n-1]
		s.mu.Unlock()
		return ws, nil
	}
	w := &waiter{got: make(chan *Workspace, 1), urgent: p.Urgent()}
	s.insert(w)
	if p.urgent != nil {
		p.waiting = w
	}
	s.mu.Unlock()
	select {
	case ws := <-w.got:
		p.clearWaiting()
		return ws, nil
	case <-ctx.Done():
		s.mu.Lock()
		handed := !s.remove(w)
		if p.urgent != nil {
			p.waiting = nil
		}
		s.mu.Unlock()
		if handed { // a workspace reached us as we gave up: pass it on
			s.release(<-w.got)
		}
		return nil, fmt.Errorf("nn: waiting for a training worker: %w", ctx.Err())
	}
}

func (p *Pool) clearWaiting() {
	if p.urgent != nil {
		p.s.mu.Lock()
		p.waiting = nil
		p.s.mu.Unlock()
	}
}

// release gives ws to the first urgent waiter, else the first other one, else back to free.
func (s *scheduler) release(ws *Workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pri := len(s.queues) - 1; pri >= 0; pri-- {
		if q := s.queues[pri]; len(q) > 0 {
			w := q[0]
			s.queues[pri] = q[1:]
			w.got <- ws
			return
		}
	}
	s.free = append(s.free, ws)
}

// insert queues w behind the waiters of its priority. Called with mu held.
func (s *scheduler) insert(w *waiter) {
	pri := 0
	if w.urgent {
		pri = 1
	}
	s.queues[pri] = append(s.queues[pri], w)
}

// remove takes w out of its queue and reports whether it was there (not yet handed a
// workspace). Called with mu held.
func (s *scheduler) remove(w *waiter) bool {
	for pri, q := range s.queues {
		for i, x := range q {
			if x == w {
				s.queues[pri] = append(q[:i:i], q[i+1:]...)
				return true
			}
		}
	}
	return false
}

// queued is how many jobs wait, urgent and not (for tests).
func (s *scheduler) queued() (urgent, background int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues[1]), len(s.queues[0])
}

// Workspace is one worker's reusable memory.
type Workspace struct {
	k   kernels
	net *MLP
	tr  trainer
	x   []float64
	y   []float64
	in  []float64
}

// KernelName says which kernels the workspace runs: "avx512", "avx2" or "portable".
func (ws *Workspace) KernelName() string { return ws.k.name }

// Net returns the workspace's scratch network of the given shape, with undefined parameters
// (call Init or CopyFrom). It is reused while the shape stays the same.
func (ws *Workspace) Net(spec Spec) (*MLP, error) {
	if ws.net != nil && ws.net.spec == spec {
		return ws.net, nil
	}
	net, err := NewMLP(spec)
	if err != nil {
		return nil, err
	}
	ws.net = net
	return net, nil
}

// Data returns a zeroed dataset buffer of n rows, in inputs and out targets, reused across jobs.
func (ws *Workspace) Data(n, in, out int) Dataset {
	ws.x = grow(ws.x, n*in)
	ws.y = grow(ws.y, n*out)
	return Dataset{X: ws.x, Y: ws.y, N: n}
}

// Inputs returns a zeroed buffer for rows x width prediction inputs, reused across jobs and
// separate from Data's.
func (ws *Workspace) Inputs(rows, width int) []float64 {
	ws.in = grow(ws.in, rows*width)
	return ws.in
}

// KernelName says which kernels this process uses on this CPU: "avx512", "avx2" or "portable".
func KernelName() string { return bestKernels().name }

func (s *scheduler) freeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.free)
}
