package llm

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/llm/llmtest"
)

// fakeClock advances only when slept on, and records every sleep.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// nonZeroSleeps drops the zero waits the rate limiter makes when a bucket has room.
func (c *fakeClock) nonZeroSleeps() []time.Duration {
	var out []time.Duration
	for _, d := range c.Sleeps() {
		if d > 0 {
			out = append(out, d)
		}
	}
	return out
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testKey = "sk-or-v1-TESTKEY0123456789abcdef"

type testRig struct {
	srv    *llmtest.Server
	router *Router
	clock  *fakeClock
	logs   *syncBuffer
}

// newRig starts a fake server expecting testKey and a router whose openrouter and openai
// providers point at it.
func newRig(t *testing.T, srvCfg llmtest.Config, mutate func(*RouterConfig)) *testRig {
	t.Helper()
	if srvCfg.APIKey == "" {
		srvCfg.APIKey = testKey
	}
	srv := llmtest.NewServer(t, srvCfg)
	clock := newFakeClock()
	logs := &syncBuffer{}
	env := NewEnv(func(name string) (string, bool) {
		switch name {
		case OpenRouterKeyVar, OpenAIKeyVar, CustomKeyVar:
			return testKey, true
		}
		return "", false
	}, nil)
	cfg := DefaultRouterConfig()
	cfg.Env = env
	cfg.BaseURLs = map[Provider]string{ProviderOpenRouter: srv.URL(), ProviderOpenAI: srv.URL()}
	cfg.Timeout = 2 * time.Second
	cfg.Clock = clock
	cfg.Rand = rand.New(rand.NewPCG(7, 7))
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if mutate != nil {
		mutate(&cfg)
	}
	r, err := NewRouter(cfg)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	return &testRig{srv: srv, router: r, clock: clock, logs: logs}
}

func (rig *testRig) model(t *testing.T, name string) Model {
	t.Helper()
	m, err := rig.router.Model(name)
	if err != nil {
		t.Fatalf("Model(%q): %v", name, err)
	}
	return m
}

func userReq(text string) ChatRequest {
	return ChatRequest{Messages: []Message{User(text)}, Temperature: Float(0)}
}
