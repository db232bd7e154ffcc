package llm

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/llm/llmtest"
)

func TestRequestsPerMinute(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) {
		c.Limits = map[Provider]Limits{ProviderOpenRouter: {RequestsPerMinute: 2}}
	})
	m := rig.model(t, "openrouter/a/b")
	for i := range 4 {
		if _, err := m.Chat(context.Background(), userReq("hi")); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// A burst of 2, then one request every 30 s.
	got := rig.clock.nonZeroSleeps()
	if len(got) != 2 || got[0] != 30*time.Second || got[1] != 30*time.Second {
		t.Errorf("waits %v, want [30s 30s]", got)
	}
}

func TestTokensPerMinuteChargesReportedUsage(t *testing.T) {
	rig := newRig(t, llmtest.Config{Handler: func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: "x", PromptTokens: 80, CompletionTokens: 40}
	}}, func(c *RouterConfig) {
		c.Limits = map[Provider]Limits{ProviderOpenRouter: {TokensPerMinute: 100}}
	})
	m := rig.model(t, "openrouter/a/b")
	prompt := strings.Repeat("abcd", 50) // estimated 51 tokens
	for range 2 {
		if _, err := m.Chat(context.Background(), userReq(prompt)); err != nil {
			t.Fatal(err)
		}
	}
	// Call 1 reserves 51 and is charged 69 more (120 used): the bucket is 20 in debt, so call 2
	// waits for 71 tokens at 100/60 per second = 42.6 s.
	got := rig.clock.nonZeroSleeps()
	if len(got) != 1 || math.Abs(got[0].Seconds()-42.6) > 0.1 {
		t.Errorf("waits %v, want [42.6s]", got)
	}
}

func TestMaxConcurrentPerProvider(t *testing.T) {
	run := func(limit int) int {
		rig := newRig(t, llmtest.Config{Latency: 40 * time.Millisecond}, func(c *RouterConfig) {
			c.Clock = SystemClock()
			c.Limits = map[Provider]Limits{ProviderOpenRouter: {MaxConcurrent: limit}}
		})
		// Two models on the same endpoint share its limiter.
		a, b := rig.model(t, "openrouter/a/one"), rig.model(t, "openrouter/a/two")
		var wg sync.WaitGroup
		for i := range 12 {
			m := a
			if i%2 == 1 {
				m = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := m.Chat(context.Background(), userReq("hi")); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		return rig.srv.PeakInFlight()
	}
	if peak := run(3); peak > 3 || peak < 2 {
		t.Errorf("limit 3: peak in flight %d", peak)
	}
	if peak := run(0); peak <= 3 {
		t.Errorf("unlimited: peak in flight %d, want > 3 (else the limit test proves nothing)", peak)
	}
}

func TestLimitWaitRespectsContext(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) {
		c.Limits = map[Provider]Limits{ProviderOpenRouter: {MaxConcurrent: 1}}
	})
	ep, err := rig.router.endpoint(Route{Provider: ProviderOpenRouter, BaseURL: rig.srv.URL(), KeyVar: OpenRouterKeyVar})
	if err != nil {
		t.Fatal(err)
	}
	release, err := ep.limiter.acquire(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := rig.model(t, "openrouter/a/b").Chat(ctx, userReq("hi")); err == nil {
		t.Fatal("call succeeded while the only slot was held")
	}
	if rig.srv.Count() != 0 {
		t.Errorf("%d requests reached the server", rig.srv.Count())
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, l := range []Limits{{MaxConcurrent: -1}, {RequestsPerMinute: -1}, {TokensPerMinute: math.NaN()}} {
		if l.Validate() == nil {
			t.Errorf("%+v accepted", l)
		}
	}
	_, err := NewRouter(RouterConfig{Env: NewEnv(nil, nil), Timeout: time.Second, Retry: DefaultRetryPolicy(),
		Limits: map[Provider]Limits{ProviderOpenAI: {MaxConcurrent: -2}}})
	if err == nil || !strings.Contains(err.Error(), "openai limits: max concurrent -2") {
		t.Errorf("got %v", err)
	}
}

// The router's pooled client must not serialise a burst of parallel calls (the bench runs
// hundreds at once against llmtest). The latency is long enough that every call is in flight at
// once even on a loaded machine: what is checked is overlap, not speed.
func TestParallelBurstThroughRouter(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n, latency = 256, 2 * time.Second
	rig := newRig(t, llmtest.Config{Latency: latency, NoRecord: true}, func(c *RouterConfig) {
		c.Clock = SystemClock()
		c.Timeout = time.Minute
		c.Limits = map[Provider]Limits{ProviderOpenRouter: {MaxConcurrent: n}}
	})
	m := rig.model(t, "openrouter/a/b")
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Chat(context.Background(), userReq("hi")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	t.Logf("%d calls at %v latency: %v, peak in flight %d", n, latency, el, rig.srv.PeakInFlight())
	if !raceEnabled && rig.srv.PeakInFlight() < n*9/10 {
		t.Errorf("peak in flight %d of %d", rig.srv.PeakInFlight(), n)
	}
}

// sharedBudget is a SharedRate that records what it is asked and makes every request wait 7 s.
type sharedBudget struct {
	mu   sync.Mutex
	keys []string
}

func (s *sharedBudget) Reserve(_ context.Context, key string, perMinute float64, n int) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
	return 7 * time.Second, nil
}

// With a shared budget (a cluster's Redis), every call also reserves its request and its
// estimated tokens there, under the endpoint's key, and waits what the shared bucket says.
func TestSharedRateIsAskedForEveryCall(t *testing.T) {
	shared := &sharedBudget{}
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) {
		c.Limits = map[Provider]Limits{ProviderOpenRouter: {RequestsPerMinute: 600, TokensPerMinute: 100000}}
		c.Shared = shared
	})
	m := rig.model(t, "openrouter/a/b")
	for range 2 {
		if _, err := m.Chat(context.Background(), userReq("hi")); err != nil {
			t.Fatal(err)
		}
	}
	if len(shared.keys) != 4 || !strings.HasPrefix(shared.keys[0], "openrouter ") || !strings.HasSuffix(shared.keys[0], " rpm") ||
		!strings.HasSuffix(shared.keys[1], " tpm") {
		t.Fatalf("shared reservations %q, want rpm and tpm per call under the endpoint", shared.keys)
	}
	if got := rig.clock.nonZeroSleeps(); len(got) != 4 || got[0] != 7*time.Second {
		t.Fatalf("waits %v, want the shared bucket's 7 s per reservation", got)
	}
}
