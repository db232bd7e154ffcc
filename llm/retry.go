package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Clock is the time source for backoff sleeps and rate limits; tests inject a fake one.
// Per-attempt timeouts use the context and therefore real time.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, returning ctx's error in the latter case.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RetryPolicy controls retries of failed attempts. Retried: HTTP 408, 409, 429 and 5xx,
// connection errors, attempt timeouts and unparsable response bodies. Never retried: other
// 4xx (400 bad request, 401/403 auth, 404 unknown model ...) and the caller's context ending.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts per call, at least 1.
	MaxAttempts int
	// BaseDelay and MaxDelay bound the exponential backoff: before retry k (k = 1, 2, ...) the
	// wait is uniform in [0, min(MaxDelay, BaseDelay*2^(k-1))] ("full jitter").
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter caps a server's Retry-After; the wait is the server's value when given.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy: 5 attempts, 1 s base, 30 s cap, Retry-After honoured up to 2 minutes.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 30 * time.Second, MaxRetryAfter: 2 * time.Minute}
}

// Validate reports the first bad field.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("retry: max attempts %d, want >= 1", p.MaxAttempts)
	case p.BaseDelay < 0:
		return fmt.Errorf("retry: base delay %v is negative", p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("retry: max delay %v is below base delay %v", p.MaxDelay, p.BaseDelay)
	case p.MaxRetryAfter < 0:
		return fmt.Errorf("retry: max retry-after %v is negative", p.MaxRetryAfter)
	}
	return nil
}

// backoff is the full-jitter wait before retry number retry (1-based); u is uniform in [0,1).
func (p RetryPolicy) backoff(retry int, u float64) time.Duration {
	ceil := float64(p.MaxDelay)
	if retry-1 < 62 {
		ceil = math.Min(ceil, float64(p.BaseDelay)*math.Pow(2, float64(retry-1)))
	}
	return time.Duration(u * ceil)
}

// delay is the wait before retry number retry: the server's Retry-After when it sent one
// (capped), else the jittered backoff.
func (p RetryPolicy) delay(retry int, u float64, retryAfter time.Duration, hasRetryAfter bool) time.Duration {
	if hasRetryAfter {
		return min(max(retryAfter, 0), p.MaxRetryAfter)
	}
	return p.backoff(retry, u)
}

// retryableStatus says whether an HTTP status is worth another attempt.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict ||
		code == http.StatusTooManyRequests || code >= 500
}

// parseRetryAfter reads retry-after-ms (milliseconds, OpenAI's extension) or Retry-After
// (seconds, possibly fractional, or an HTTP date relative to now).
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsInf(ms, 0) {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 && !math.IsInf(s, 0) && s < 1e9 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Error kinds; a call's *Error unwraps to one of these (or to the caller's context error).
var (
	ErrStatus      = errors.New("HTTP error status")
	ErrTimeout     = errors.New("attempt timed out")
	ErrTransport   = errors.New("connection error")
	ErrBadResponse = errors.New("unusable response")
)

// Error is a failed call after its last attempt. Its text is scrubbed of secrets.
type Error struct {
	Op       string // "chat" or "embed"
	Model    string
	Status   int // last HTTP status, 0 when no response arrived
	Attempts int
	Msg      string
	kind     error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "llm %s %s: ", e.Op, e.Model)
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d %s", e.Status, http.StatusText(e.Status))
	} else {
		b.WriteString(e.kind.Error())
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap exposes the kind (ErrStatus, ErrTimeout, ErrTransport, ErrBadResponse,
// context.Canceled, context.DeadlineExceeded).
func (e *Error) Unwrap() error { return e.kind }
