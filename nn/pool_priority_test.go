package nn

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// order records which jobs ran, in the order they got a workspace.
type order struct {
	mu   sync.Mutex
	jobs []string
}

func (o *order) job(name string) func(*Workspace) error {
	return func(*Workspace) error {
		o.mu.Lock()
		o.jobs = append(o.jobs, name)
		o.mu.Unlock()
		return nil
	}
}

// holdWorker keeps the pool's only worker busy until the returned func is called.
func holdWorker(t *testing.T, pool *Pool) (release func()) {
	t.Helper()
	hold, held, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- pool.Do(context.Background(), func(*Workspace) error { close(held); <-hold; return nil })
	}()
	<-held
	return func() {
		close(hold)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// waitQueued waits (no deadline but the test's) until the pool holds that many waiting jobs.
func waitQueued(pool *Pool, urgent, background int) {
	for {
		u, b := pool.s.queued()
		if u == urgent && b == background {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// A freed worker goes to the urgent jobs first, in their arrival order, then to the others in
// theirs; the queue is built one job at a time, so the order is decided, not raced.
func TestPoolServesUrgentJobsFirst(t *testing.T) {
	pool, _ := NewPool(1)
	release := holdWorker(t, pool)
	var o order
	var wg sync.WaitGroup
	submit := func(name string, urgent bool, queuedUrgent, queuedBackground int) {
		lane := pool.Lane()
		lane.SetUrgent(urgent)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := lane.Do(context.Background(), o.job(name)); err != nil {
				t.Error(err)
			}
		}()
		waitQueued(pool, queuedUrgent, queuedBackground)
	}
	submit("b1", false, 0, 1)
	submit("u1", true, 1, 1)
	submit("b2", false, 1, 2)
	submit("u2", true, 2, 2)
	release()
	wg.Wait()
	want := []string{"u1", "u2", "b1", "b2"}
	if len(o.jobs) != len(want) {
		t.Fatalf("ran %v, want %v", o.jobs, want)
	}
	for i := range want {
		if o.jobs[i] != want[i] {
			t.Fatalf("ran %v, want %v", o.jobs, want)
		}
	}
	if st := pool.Stats(); st.Jobs != 5 {
		t.Fatalf("%d jobs counted, want 5 (lanes share the pool's counters)", st.Jobs)
	}
}

// A job already waiting that becomes urgent (its episode is now blocked on it) overtakes the
// background jobs queued before it, but not the urgent ones.
func TestPoolPromotesWaitingJob(t *testing.T) {
	pool, _ := NewPool(1)
	release := holdWorker(t, pool)
	var o order
	var wg sync.WaitGroup
	lanes := map[string]*Pool{}
	for i, name := range []string{"b1", "b2", "late"} {
		lane := pool.Lane()
		lanes[name] = lane
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := lane.Do(context.Background(), o.job(name)); err != nil {
				t.Error(err)
			}
		}()
		waitQueued(pool, 0, i+1)
	}
	u := pool.Lane()
	u.SetUrgent(true)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := u.Do(context.Background(), o.job("u")); err != nil {
			t.Error(err)
		}
	}()
	waitQueued(pool, 1, 3)
	lanes["late"].SetUrgent(true)
	waitQueued(pool, 2, 2)
	pool.SetUrgent(true) // the pool itself has no priority to change
	release()
	wg.Wait()
	want := []string{"u", "late", "b1", "b2"}
	for i := range want {
		if i >= len(o.jobs) || o.jobs[i] != want[i] {
			t.Fatalf("ran %v, want %v", o.jobs, want)
		}
	}
	if pool.Urgent() {
		t.Fatal("the pool itself is never urgent")
	}
}

// A job that gives up waiting leaves the queue; the worker goes to the next one.
func TestPoolCancelledWaiterLeavesQueue(t *testing.T) {
	pool, _ := NewPool(1)
	release := holdWorker(t, pool)
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- pool.Lane().Do(ctx, func(*Workspace) error { return errors.New("must not run") }) }()
	waitQueued(pool, 0, 1)
	var o order
	done := make(chan error, 1)
	go func() { done <- pool.Do(context.Background(), o.job("next")) }()
	waitQueued(pool, 0, 2)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	waitQueued(pool, 0, 1)
	release()
	if err := <-done; err != nil || len(o.jobs) != 1 {
		t.Fatalf("next job: err %v, ran %v", err, o.jobs)
	}
	if n := pool.s.freeCount(); n != 1 {
		t.Fatalf("%d free workspaces after all jobs, want 1", n)
	}
}

// A lane's job that was just handed a workspace, but has not yet noted it, is out of the queues;
// changing the lane's priority then must not queue it again (it would be handed a second
// workspace, lost to the pool, or block the releaser on the full channel).
func TestPoolPromotingHandedJobDoesNotRequeueIt(t *testing.T) {
	pool, err := NewPool(1)
	if err != nil {
		t.Fatal(err)
	}
	lane := pool.Lane()
	ws, err := pool.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The state between release handing ws to the lane's waiter and the lane's goroutine
	// clearing it: the waiter is out of the queues, its workspace in its channel.
	w := &waiter{got: make(chan *Workspace, 1)}
	pool.s.mu.Lock()
	pool.s.insert(w)
	lane.waiting = w
	pool.s.mu.Unlock()
	pool.s.release(ws)
	lane.SetUrgent(true)
	if u, b := pool.s.queued(); u != 0 || b != 0 {
		t.Fatalf("after promoting a handed job: %d urgent and %d background jobs queued, want none", u, b)
	}
	if got := <-w.got; got != ws {
		t.Fatal("the handed job did not get the released workspace")
	}
}
