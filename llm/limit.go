package llm

import (
	"context"
	"fmt"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what one provider endpoint is sent; zero fields mean unlimited.
type Limits struct {
	// MaxConcurrent is the number of requests in flight at once.
	MaxConcurrent int `toml:"max_concurrent"`
	// RequestsPerMinute and TokensPerMinute are token-bucket rates with a burst of one
	// minute's worth. Tokens are estimated (prompt characters / 4) before a call and the
	// difference to the reported usage is charged afterwards.
	RequestsPerMinute float64 `toml:"requests_per_minute"`
	TokensPerMinute   float64 `toml:"tokens_per_minute"`
}

// DefaultLimits is what an endpoint gets unless configured: hosted APIs 32 requests in
// flight, local servers 8 (a single GPU serves few streams well); no rate caps.
func DefaultLimits(p Provider) Limits {
	if p == ProviderCustom {
		return Limits{MaxConcurrent: 8}
	}
	return Limits{MaxConcurrent: 32}
}

// Validate reports the first bad field.
func (l Limits) Validate() error {
	switch {
	case l.MaxConcurrent < 0:
		return fmt.Errorf("limits: max concurrent %d is negative", l.MaxConcurrent)
	case l.RequestsPerMinute < 0 || math.IsNaN(l.RequestsPerMinute):
		return fmt.Errorf("limits: requests per minute %v is negative", l.RequestsPerMinute)
	case l.TokensPerMinute < 0 || math.IsNaN(l.TokensPerMinute):
		return fmt.Errorf("limits: tokens per minute %v is negative", l.TokensPerMinute)
	}
	return nil
}

// SharedRate is a rate budget shared by many processes (a cluster's members): Reserve takes n
// units from the bucket named key, refilled at perMinute with a burst of one minute's worth,
// and returns how long the caller must wait before using them.
type SharedRate interface {
	Reserve(ctx context.Context, key string, perMinute float64, n int) (time.Duration, error)
}

// limiter enforces Limits for one endpoint, shared by every model routed to it.
type limiter struct {
	sem    chan struct{}
	rpm    *rate.Limiter
	tpm    *rate.Limiter
	tburst int
	clock  Clock
	// shared, if set, also holds this endpoint's rates across processes, under key.
	shared SharedRate
	key    string
	limits Limits
}

func newLimiter(l Limits, clock Clock) *limiter {
	lim := &limiter{clock: clock, limits: l}
	if l.MaxConcurrent > 0 {
		lim.sem = make(chan struct{}, l.MaxConcurrent)
	}
	if l.RequestsPerMinute > 0 {
		lim.rpm = rate.NewLimiter(rate.Limit(l.RequestsPerMinute/60), max(1, int(l.RequestsPerMinute)))
	}
	if l.TokensPerMinute > 0 {
		lim.tburst = max(1, int(l.TokensPerMinute))
		lim.tpm = rate.NewLimiter(rate.Limit(l.TokensPerMinute/60), lim.tburst)
	}
	return lim
}

// acquire waits for the rate buckets, then a concurrency slot. The returned release must be
// called once the attempt is over. Rate waits come first so that a slot is never held while
// sleeping.
func (l *limiter) acquire(ctx context.Context, estTokens int) (release func(), err error) {
	if err := l.wait(ctx, l.rpm, 1); err != nil {
		return nil, err
	}
	if err := l.wait(ctx, l.tpm, min(max(estTokens, 1), l.tburst)); err != nil {
		return nil, err
	}
	if err := l.waitShared(ctx, "rpm", l.limits.RequestsPerMinute, 1); err != nil {
		return nil, err
	}
	if err := l.waitShared(ctx, "tpm", l.limits.TokensPerMinute, min(max(estTokens, 1), max(1, int(l.limits.TokensPerMinute)))); err != nil {
		return nil, err
	}
	if l.sem == nil {
		return func() {}, nil
	}
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *limiter) wait(ctx context.Context, lim *rate.Limiter, n int) error {
	if lim == nil {
		return nil
	}
	now := l.clock.Now()
	r := lim.ReserveN(now, n)
	if !r.OK() {
		return fmt.Errorf("rate limit: %d exceeds the bucket size", n)
	}
	if err := l.clock.Sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(l.clock.Now())
		return err
	}
	return nil
}

// waitShared waits for n units of the cross-process bucket (kind rpm or tpm) when there is one.
func (l *limiter) waitShared(ctx context.Context, kind string, perMinute float64, n int) error {
	if l.shared == nil || perMinute <= 0 {
		return nil
	}
	d, err := l.shared.Reserve(ctx, l.key+" "+kind, perMinute, n)
	if err != nil {
		return fmt.Errorf("shared rate limit: %w", err)
	}
	return l.clock.Sleep(ctx, d)
}

// charge takes tokens used beyond the estimate from the bucket without waiting: the debt
// delays later calls instead.
func (l *limiter) charge(extra int64) {
	if l.tpm == nil || extra <= 0 {
		return
	}
	l.tpm.ReserveN(l.clock.Now(), int(min(extra, int64(l.tburst))))
}

// estimateTokens is a cheap pre-call guess: about four characters per token.
func estimateTokens(chars int) int { return EstimateTokens(chars) }

// EstimateTokens guesses the tokens of a text of this many bytes before any tokenizer sees it:
// about 4 characters per token, the usual rule of thumb for English with BPE tokenizers.
func EstimateTokens(chars int) int { return chars/4 + 1 }

// since reports elapsed real time for logs.
func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
