package llm

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// ProbeHeader marks an endpoint check on the wire (servers ignore it; test servers answer it
// apart from the run's own calls).
const ProbeHeader = "X-Also-Endpoint-Check"

// probeAttempts bounds a check: a dead endpoint must fail in seconds, not after a run's backoff.
const probeAttempts = 3

// Check sends one cheap request to a model's endpoint before a run starts, so that a wrong base
// URL, key or model name is an immediate error instead of a run of failed episodes: a chat
// completion of one short message capped at 16 tokens (a 1-token cap is refused by some
// providers; the cost is a few tokens), or, with embed, the embedding of one word. Only a
// completion proves all three: listing /models needs no key on OpenRouter. The check bypasses
// the record/replay cache and no meter sees it. A 429 means the endpoint answered and is taken
// as success; 5xx, timeouts and connection errors are retried, at most three attempts in all.
func (r *Router) Check(ctx context.Context, name string, embed bool) error {
	rt, err := r.Route(name)
	if err != nil {
		return err
	}
	ep, err := r.endpoint(rt)
	if err != nil {
		return err
	}
	m := &remoteModel{router: r, route: rt, ep: ep}
	op := "chat"
	call := func(ctx context.Context, opts ...option.RequestOption) error {
		_, err := ep.chat.New(ctx, m.chatParams(ChatRequest{Messages: []Message{User("Reply with OK.")}, MaxTokens: 16}), opts...)
		return err
	}
	if embed {
		op = "embed"
		call = func(ctx context.Context, opts ...option.RequestOption) error {
			_, err := ep.embed.New(ctx, openai.EmbeddingNewParams{Model: openai.EmbeddingModel(rt.Model),
				Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"ping"}}}, opts...)
			return err
		}
	}
	timeout := min(r.cfg.Timeout, 30*time.Second)
	for n := 1; ; n++ {
		var status int
		capture := option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			resp, err := next(req)
			if resp != nil {
				status = resp.StatusCode
			}
			return resp, err
		})
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := call(actx, capture, option.WithHeader(ProbeHeader, "1"))
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		if err == nil || status == http.StatusTooManyRequests {
			return nil
		}
		if ctx.Err() != nil {
			return m.fail("check "+op, n, status, ctx.Err(), nil, "")
		}
		kind, retryable, msg := m.classify(err, status, timedOut)
		if !retryable || n >= probeAttempts {
			return m.fail("check "+op, n, status, kind, nil, msg)
		}
		if err := r.cfg.Clock.Sleep(ctx, r.cfg.Retry.backoff(n, r.jitter())); err != nil {
			return m.fail("check "+op, n, status, err, nil, msg)
		}
	}
}
