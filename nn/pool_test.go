package nn

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolBoundsConcurrency(t *testing.T) {
	pool, err := NewPool(2)
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	seen := sync.Map{}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := pool.Do(context.Background(), func(ws *Workspace) error {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				seen.Store(ws, true)
				time.Sleep(time.Millisecond)
				running.Add(-1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak concurrency %d with 2 workers", p)
	}
	count := 0
	seen.Range(func(any, any) bool { count++; return true })
	if count > 2 {
		t.Fatalf("%d distinct workspaces from a pool of 2", count)
	}
}

func TestPoolWaitHonoursContext(t *testing.T) {
	pool, _ := NewPool(1)
	hold := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- pool.Do(context.Background(), func(*Workspace) error { <-hold; return nil })
	}()
	for pool.s.freeCount() != 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pool.Do(ctx, func(*Workspace) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := pool.Do(context.Background(), func(*Workspace) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("fn's error lost: %v", err)
	}
	if _, err := NewPool(0); err == nil {
		t.Fatal("a pool of 0 workers must be rejected")
	}
}

func TestWorkspaceReusesBuffers(t *testing.T) {
	ws := mustWorkspace(t, bestKernels())
	spec := Spec{In: 8, Hidden: 4, Depth: 1, Out: 1}
	a, _ := ws.Net(spec)
	b, _ := ws.Net(spec)
	if a != b {
		t.Fatal("same shape must reuse the scratch network")
	}
	d1 := ws.Data(3, 8, 1)
	d1.X[0] = 7
	d2 := ws.Data(2, 8, 1)
	if &d1.X[0] != &d2.X[0] || d2.X[0] != 0 {
		t.Fatal("Data must reuse and zero its buffer")
	}
	// Training twice in one workspace gives the same result as in a fresh one (no stale state).
	rng := newRand(1)
	data := randomData(rng, 5, spec)
	init := mustMLP(t, spec, rng)
	run := func(ws *Workspace) []float64 {
		net, _ := NewMLP(spec)
		_ = net.CopyFrom(init)
		if _, err := ws.Train(net, data, ALSOTrainConfig(5), newRand(9)); err != nil {
			t.Fatal(err)
		}
		return params(net)
	}
	big := Spec{In: 30, Hidden: 6, Depth: 2, Out: 7}
	bigNet := mustMLP(t, big, newRand(2))
	if _, err := ws.Train(bigNet, randomData(newRand(3), 9, big), ALSOTrainConfig(9), newRand(4)); err != nil {
		t.Fatal(err)
	}
	if maxRelDiff(run(ws), run(mustWorkspace(t, bestKernels()))) != 0 {
		t.Fatal("a reused workspace changed the result")
	}
}

// The pool counts its jobs and the CPU they burn (the thread's clock: sleeping costs nothing).
func TestPoolStats(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the thread CPU clock is Linux's; elsewhere jobs are timed by the wall clock")
	}
	p, _ := NewPool(2)
	spin := func(*Workspace) error {
		for start := threadCPU(); threadCPU()-start < 20*time.Millisecond; {
		}
		return nil
	}
	idle := func(*Workspace) error { time.Sleep(50 * time.Millisecond); return nil }
	for _, fn := range []func(*Workspace) error{spin, idle, spin} {
		if err := p.Do(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	st := p.Stats()
	if st.Jobs != 3 || st.CPU < 40*time.Millisecond || st.CPU > 45*time.Millisecond+40*time.Millisecond {
		t.Fatalf("stats %+v: want 3 jobs and about 40 ms of CPU (the sleep not counted)", st)
	}
}

func TestDefaultWorkersFollowsGOMAXPROCSUntilSet(t *testing.T) {
	if defaultWorkers.Load() == 0 && DefaultWorkers() != runtime.GOMAXPROCS(0) {
		t.Fatalf("unset: %d workers, GOMAXPROCS %d", DefaultWorkers(), runtime.GOMAXPROCS(0))
	}
	old := defaultWorkers.Load()
	defer defaultWorkers.Store(old)
	SetDefaultWorkers(5)
	SetDefaultWorkers(0) // ignored: after the 5, so a 0 taken as "unset" shows
	if DefaultWorkers() != 5 {
		t.Fatalf("set 5, then 0: %d", DefaultWorkers())
	}
}
