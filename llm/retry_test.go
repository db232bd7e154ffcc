package llm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/llm/llmtest"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{map[string]string{"Retry-After": "0.25"}, 250 * time.Millisecond, true},
		{map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, true},
		{map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0, true},
		{map[string]string{"Retry-After-Ms": "1500", "Retry-After": "9"}, 1500 * time.Millisecond, true},
		{map[string]string{"Retry-After": "soon"}, 0, false},
		{map[string]string{"Retry-After": "-3"}, 0, false},
		{nil, 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.header {
			h.Set(k, v)
		}
		got, ok := parseRetryAfter(h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%v: got %v %v, want %v %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffFullJitterBounds(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: time.Minute}
	for retry, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 80: time.Second} {
		if got := p.backoff(retry, 0); got != 0 {
			t.Errorf("retry %d, u=0: %v, want 0", retry, got)
		}
		if got := p.backoff(retry, 0.999999); got > ceil || got < ceil*99/100 {
			t.Errorf("retry %d, u~1: %v, want just under %v", retry, got, ceil)
		}
	}
	if got := p.delay(1, 0.5, 3*time.Minute, true); got != time.Minute {
		t.Errorf("Retry-After above the cap: %v, want %v", got, time.Minute)
	}
}

func TestRetryHonoursRetryAfterOn429(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, nil)
	rig.srv.Enqueue(
		llmtest.Reply{Status: 429, ErrorMessage: "slow down", Header: map[string]string{"Retry-After": "7"}},
		llmtest.Reply{Status: 429, ErrorMessage: "slow down", Header: map[string]string{"Retry-After-Ms": "250"}},
		llmtest.Reply{Content: "hello"},
	)
	resp, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Content != "hello" || resp.Usage.Retries != 2 {
		t.Errorf("got %+v", resp)
	}
	got := rig.clock.nonZeroSleeps()
	if len(got) != 2 || got[0] != 7*time.Second || got[1] != 250*time.Millisecond {
		t.Errorf("sleeps %v, want [7s 250ms]", got)
	}
	if c := rig.srv.CountByStatus(); c[429] != 2 || c[200] != 1 {
		t.Errorf("server counts %v", c)
	}
}

func TestRetry500ThenGiveUp(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) { c.Retry.MaxAttempts = 3 })
	for range 5 {
		rig.srv.Enqueue(llmtest.Reply{Status: 500, ErrorMessage: "boom"})
	}
	_, err := rig.model(t, "openai/gpt-4o").Chat(context.Background(), userReq("hi"))
	var e *Error
	if !errors.As(err, &e) || e.Status != 500 || e.Attempts != 3 || !errors.Is(err, ErrStatus) {
		t.Fatalf("got %v", err)
	}
	if rig.srv.Count() != 3 {
		t.Errorf("server saw %d requests, want 3", rig.srv.Count())
	}
	// Backoff waits without Retry-After are jittered within [0, base*2^(k-1)].
	backoffs := rig.clock.Sleeps()
	if len(backoffs) != 2 || backoffs[0] > time.Second || backoffs[1] > 2*time.Second {
		t.Errorf("backoffs %v", backoffs)
	}
	if !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("error text %q", err)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404} {
		rig := newRig(t, llmtest.Config{}, nil)
		rig.srv.Enqueue(llmtest.Reply{Status: status, ErrorMessage: "nope"})
		_, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
		var e *Error
		if !errors.As(err, &e) || e.Status != status || e.Attempts != 1 {
			t.Errorf("status %d: got %v", status, err)
		}
		if rig.srv.Count() != 1 {
			t.Errorf("status %d: %d requests, want 1", status, rig.srv.Count())
		}
	}
}

func TestRetryableStatuses(t *testing.T) {
	for _, status := range []int{408, 409, 429, 500, 502, 503, 504} {
		if !retryableStatus(status) {
			t.Errorf("%d not retryable", status)
		}
	}
	for _, status := range []int{400, 401, 402, 403, 404, 422} {
		if retryableStatus(status) {
			t.Errorf("%d retryable", status)
		}
	}
}

func TestTimeoutOnHangIsRetriedThenReported(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) {
		c.Timeout = 50 * time.Millisecond
		c.Retry.MaxAttempts = 2
	})
	rig.srv.Enqueue(llmtest.Reply{Hang: true}, llmtest.Reply{Hang: true})
	start := time.Now()
	_, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v", el)
	}
	if rig.srv.Count() != 2 {
		t.Errorf("%d requests, want 2", rig.srv.Count())
	}

	// A hang followed by an answer succeeds.
	rig.srv.Enqueue(llmtest.Reply{Hang: true}, llmtest.Reply{Content: "late but fine"})
	resp, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
	if err != nil || resp.Content != "late but fine" || resp.Usage.Retries != 1 {
		t.Errorf("got %+v, %v", resp, err)
	}
}

func TestCallerCancellationIsNotRetried(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, nil)
	rig.srv.Enqueue(llmtest.Reply{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := rig.model(t, "openrouter/a/b").Chat(ctx, userReq("hi"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the caller's deadline", err)
	}
	if rig.srv.Count() != 1 {
		t.Errorf("%d requests, want 1", rig.srv.Count())
	}
}

func TestMalformedBodyIsRetried(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, nil)
	rig.srv.Enqueue(llmtest.Reply{RawBody: `{"choices": [`}, llmtest.Reply{Content: "ok"})
	resp, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
	if err != nil || resp.Content != "ok" || resp.Usage.Retries != 1 {
		t.Fatalf("got %+v, %v", resp, err)
	}
	rig2 := newRig(t, llmtest.Config{}, func(c *RouterConfig) { c.Retry.MaxAttempts = 2 })
	rig2.srv.Enqueue(llmtest.Reply{RawBody: `{"choices": []}`}, llmtest.Reply{RawBody: `{"choices": []}`})
	_, err = rig2.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
	if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "no choices") {
		t.Errorf("got %v", err)
	}
}

func TestConnectionErrorIsRetried(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) { c.Retry.MaxAttempts = 2 })
	rig.srv.Close()
	_, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrTransport) || e.Attempts != 2 {
		t.Fatalf("got %v", err)
	}
}

func TestFaultInjectionSurvivedByRetries(t *testing.T) {
	rig := newRig(t, llmtest.Config{Seed: 3, Faults: llmtest.Faults{RateLimit: 0.2, RetryAfter: "0", ServerError: 0.2, Malformed: 0.1}},
		func(c *RouterConfig) { c.Retry.MaxAttempts = 20 })
	m := rig.model(t, "openrouter/a/b")
	for i := range 20 {
		if _, err := m.Chat(context.Background(), userReq("hi")); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	c := rig.srv.CountByStatus()
	if c[429] == 0 || c[500] == 0 {
		t.Errorf("faults not exercised: %v", c)
	}
}

// A proxy's HTML error page has no JSON error object: the status still decides.
func TestNonJSONErrorBodyUsesStatus(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) { c.Retry.MaxAttempts = 2 })
	rig.srv.Enqueue(llmtest.Reply{Status: 502, RawBody: "<html>Bad Gateway</html>"}, llmtest.Reply{Content: "ok"})
	if resp, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi")); err != nil || resp.Content != "ok" {
		t.Fatalf("502 page: %+v, %v", resp, err)
	}
	rig.srv.Enqueue(llmtest.Reply{Status: 403, RawBody: "<html>Forbidden</html>"})
	_, err := rig.model(t, "openrouter/a/b").Chat(context.Background(), userReq("hi"))
	var e *Error
	if !errors.As(err, &e) || e.Status != 403 || e.Attempts != 1 {
		t.Errorf("403 page: %v", err)
	}
}
