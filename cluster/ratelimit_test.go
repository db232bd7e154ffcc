package cluster

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/sotopia/store/storetest"
)

// Two members sharing Redis draw on one budget: of 120 requests at 60 per minute, at most a
// minute's burst (60) goes at once and the k-th beyond it waits about k seconds, whichever member
// asks. (The waits are what the bucket grants, not measured time; the slack covers how long the
// test itself takes.)
func TestRedisRateIsOneBudgetAcrossMembers(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	var members []*RedisRate
	for range 2 {
		r, err := NewRedisRate(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		members = append(members, r)
	}
	var mu sync.Mutex
	var waits []time.Duration
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 60 {
				d, err := m.Reserve(context.Background(), "openrouter https://x rpm", 60, 1)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				waits = append(waits, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	const slack = 10 * time.Second
	for i, w := range waits {
		// Unit i (0-based) may go after i-59 seconds, not before.
		want := time.Duration(i-59) * time.Second
		if w < want-slack {
			t.Fatalf("reservation %d waits %v, want at least %v: the members spend more than one budget", i, w, want)
		}
	}
	if waits[len(waits)-1] < 50*time.Second {
		t.Fatalf("the last of 120 requests at 60/min waits only %v", waits[len(waits)-1])
	}
	// Another key is another budget.
	d, err := members[0].Reserve(context.Background(), "openai https://y rpm", 60, 1)
	if err != nil || d != 0 {
		t.Fatalf("a fresh bucket made the first request wait %v (%v)", d, err)
	}
}
