package nn

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// Pool bounds how many trainings run at once (size it to the cores) and lends each one a
// Workspace whose buffers (the scratch network, Adam moments, activations) are reused by the
// next. Thousands of waiting bandits therefore hold no training memory: they wait in Do.
// Pool starts no goroutines; work runs on the caller's goroutine while it holds a workspace.
type Pool struct {
	free chan *Workspace
	jobs atomic.Int64
	cpu  atomic.Int64 // nanoseconds of thread CPU time spent in jobs
}

// PoolStats is what a pool's jobs have cost so far.
type PoolStats struct {
	Jobs int64
	// CPU is the CPU time the jobs' threads spent in them (on systems without a per-thread
	// clock, their wall time).
	CPU time.Duration
}

// Stats returns the jobs run so far and their cost.
func (p *Pool) Stats() PoolStats {
	return PoolStats{Jobs: p.jobs.Load(), CPU: time.Duration(p.cpu.Load())}
}

// NewPool makes a pool of workers workspaces; their buffers are allocated on first use.
func NewPool(workers int) (*Pool, error) {
	if workers < 1 {
		return nil, fmt.Errorf("nn: pool workers = %d: must be >= 1", workers)
	}
	p := &Pool{free: make(chan *Workspace, workers)}
	for range workers {
		p.free <- &Workspace{k: bestKernels()}
	}
	return p, nil
}

// Workers is the pool's size.
func (p *Pool) Workers() int { return cap(p.free) }

// Do waits for a free workspace (or ctx's end), runs fn with it and returns it to the pool.
// fn must not keep the workspace, or anything it lent, after returning.
func (p *Pool) Do(ctx context.Context, fn func(*Workspace) error) error {
	select {
	case ws := <-p.free:
		defer func() { p.free <- ws }()
		// The job stays on one thread so the thread's CPU clock measures it alone.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t0 := threadCPU()
		defer func() {
			p.cpu.Add(int64(threadCPU() - t0))
			p.jobs.Add(1)
		}()
		return fn(ws)
	case <-ctx.Done():
		return fmt.Errorf("nn: waiting for a training worker: %w", ctx.Err())
	}
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
