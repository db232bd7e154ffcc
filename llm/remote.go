package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// remoteModel is a Model served over HTTP through an endpoint, with the router's cache, retry
// policy and prices.
type remoteModel struct {
	router *Router
	route  Route
	ep     *endpoint // nil in replay mode
	price  Price
}

func (m *remoteModel) Name() string { return m.route.Name }

func (m *remoteModel) Chat(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	if err := req.Validate(); err != nil {
		return ChatResponse{}, fmt.Errorf("%s: %w", m.route.Name, err)
	}
	if err := m.checkProvider(req.Provider); err != nil {
		return ChatResponse{}, err
	}
	cache := m.router.cfg.Cache
	var key string
	if cache.Mode() != CacheOff {
		var err error
		if key, err = ChatKey(m.route.CacheName(), req); err != nil {
			return ChatResponse{}, err
		}
	}
	if cache.reads() {
		e, ok, err := cache.load(key)
		if err != nil {
			return ChatResponse{}, err
		}
		if ok && e.Chat != nil {
			// A replayed call reports the usage it had when recorded (tokens, retries, the price
			// of the call as made), so replayed episodes are identical; CacheHits marks it, and the
			// meter never charges a hit against the budget.
			resp := *e.Chat
			resp.Usage.Calls, resp.Usage.CacheHits = 1, 1
			return resp, nil
		}
		if cache.Mode() == CacheReplay {
			return ChatResponse{}, cache.missError("chat", m.route.CacheName(), key)
		}
	}

	params := m.chatParams(req)
	var out ChatResponse
	retries, err := m.withRetries(ctx, "chat", estimateTokens(req.promptChars()), func(ctx context.Context, opts ...option.RequestOption) (int64, error) {
		c, err := m.ep.chat.New(ctx, params, withProvider(opts, req.Provider)...)
		if err != nil {
			return 0, err
		}
		if len(c.Choices) == 0 {
			return c.Usage.TotalTokens, fmt.Errorf("%w: no choices in the completion", ErrBadResponse)
		}
		u := c.Usage
		out = ChatResponse{
			Content:      c.Choices[0].Message.Content,
			FinishReason: c.Choices[0].FinishReason,
			Usage: Usage{Calls: 1, PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
				CachedTokens: u.PromptTokensDetails.CachedTokens},
		}
		return u.PromptTokens + u.CompletionTokens, nil
	})
	if err != nil {
		return ChatResponse{}, err
	}
	out.Usage.Retries = int64(retries)
	out.Usage.CostUSD = m.price.Cost(out.Usage.PromptTokens, out.Usage.CompletionTokens, out.Usage.CachedTokens)
	if cache.writes() {
		if err := cache.store(cacheEntry{Version: cacheKeyVersion, Key: key, Kind: "chat", Model: m.route.CacheName(),
			Request: chatRecord(req), Chat: &out}); err != nil {
			return ChatResponse{}, err
		}
	}
	return out, nil
}

func (m *remoteModel) Embed(ctx context.Context, req EmbedRequest) (EmbedResponse, error) {
	if err := req.Validate(); err != nil {
		return EmbedResponse{}, fmt.Errorf("%s: %w", m.route.Name, err)
	}
	if err := m.checkProvider(req.Provider); err != nil {
		return EmbedResponse{}, err
	}
	cache := m.router.cfg.Cache
	var key string
	if cache.Mode() != CacheOff {
		var err error
		if key, err = EmbedKey(m.route.CacheName(), req); err != nil {
			return EmbedResponse{}, err
		}
	}
	if cache.reads() {
		e, ok, err := cache.load(key)
		if err != nil {
			return EmbedResponse{}, err
		}
		if ok && e.Embed != nil {
			resp := *e.Embed
			resp.Usage.Calls, resp.Usage.CacheHits = 1, 1
			return resp, nil
		}
		if cache.Mode() == CacheReplay {
			return EmbedResponse{}, cache.missError("embed", m.route.CacheName(), key)
		}
	}

	params := openai.EmbeddingNewParams{
		Model:          openai.EmbeddingModel(m.route.Model),
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: req.Input},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
	}
	if req.Dimensions > 0 {
		params.Dimensions = openai.Int(int64(req.Dimensions))
	}
	chars := 0
	for _, s := range req.Input {
		chars += len(s)
	}
	var out EmbedResponse
	retries, err := m.withRetries(ctx, "embed", estimateTokens(chars), func(ctx context.Context, opts ...option.RequestOption) (int64, error) {
		var body []byte
		opts = append(slices.Clip(withProvider(opts, req.Provider)), option.WithResponseBodyInto(&body))
		if _, err := m.ep.embed.New(ctx, params, opts...); err != nil {
			return 0, err
		}
		vecs, tokens, err := decodeEmbeddings(body, len(req.Input))
		if err != nil {
			return tokens, err
		}
		out = EmbedResponse{Vectors: vecs, Usage: Usage{Calls: 1, PromptTokens: tokens}}
		return tokens, nil
	})
	if err != nil {
		return EmbedResponse{}, err
	}
	out.Usage.Retries = int64(retries)
	out.Usage.CostUSD = m.price.Cost(out.Usage.PromptTokens, 0, 0)
	if cache.writes() {
		if err := cache.store(cacheEntry{Version: cacheKeyVersion, Key: key, Kind: "embed", Model: m.route.CacheName(),
			Request: embedRecord(req), Embed: &out}); err != nil {
			return EmbedResponse{}, err
		}
	}
	return out, nil
}

func (m *remoteModel) chatParams(req ChatRequest) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{Model: shared.ChatModel(m.route.Model)}
	for _, msg := range req.Messages {
		switch msg.Role {
		case MessageSystem:
			p.Messages = append(p.Messages, openai.SystemMessage(msg.Content))
		case MessageAssistant:
			p.Messages = append(p.Messages, openai.AssistantMessage(msg.Content))
		default:
			p.Messages = append(p.Messages, openai.UserMessage(msg.Content))
		}
	}
	if req.Temperature != nil {
		p.Temperature = openai.Float(*req.Temperature)
	}
	if req.MaxTokens > 0 {
		p.MaxTokens = openai.Int(int64(req.MaxTokens))
	}
	if req.Seed != nil {
		p.Seed = openai.Int(*req.Seed)
	}
	if f := req.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object":
			jo := shared.NewResponseFormatJSONObjectParam()
			p.ResponseFormat.OfJSONObject = &jo
		case "json_schema":
			js := shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: f.Name, Strict: openai.Bool(f.Strict)}
			if len(f.Schema) > 0 {
				js.Schema = f.Schema
			}
			p.ResponseFormat.OfJSONSchema = &shared.ResponseFormatJSONSchemaParam{JSONSchema: js}
		}
	}
	return p
}

// chatRecord is the request as stored beside a cached answer (for people reading the cache).
func chatRecord(req ChatRequest) map[string]any {
	rec := map[string]any{"messages": req.Messages}
	if req.Temperature != nil {
		rec["temperature"] = *req.Temperature
	}
	if req.MaxTokens > 0 {
		rec["max_tokens"] = req.MaxTokens
	}
	if req.ResponseFormat != nil {
		rec["response_format"] = req.ResponseFormat
	}
	if req.Seed != nil {
		rec["seed"] = *req.Seed
	}
	if req.CacheTag != "" {
		rec["cache_tag"] = req.CacheTag
	}
	if req.Provider != nil {
		rec["provider"] = req.Provider
	}
	return rec
}

// checkProvider refuses routing preferences for a model that is not on OpenRouter: no other
// provider reads them, and sending them silently would misstate what the run did.
func (m *remoteModel) checkProvider(p *ProviderPreferences) error {
	if p != nil && m.route.Provider != ProviderOpenRouter {
		return fmt.Errorf("%s: provider preferences are OpenRouter's; this model is served by %s", m.route.Name, m.route.Provider)
	}
	return nil
}

// withProvider adds the body's "provider" object (openai-go has no field for it).
func withProvider(opts []option.RequestOption, p *ProviderPreferences) []option.RequestOption {
	if p == nil {
		return opts
	}
	return append(opts[:len(opts):len(opts)], option.WithJSONSet("provider", p))
}

// attemptFunc makes one HTTP attempt with the given extra options and returns the tokens the
// provider reported (for the tokens-per-minute bucket).
type attemptFunc func(ctx context.Context, opts ...option.RequestOption) (tokens int64, err error)

// withRetries runs attempts under the endpoint's limits until one succeeds, a failure is not
// retryable, the attempts are used up or ctx ends. It returns the number of retries made.
func (m *remoteModel) withRetries(ctx context.Context, op string, estTokens int, attempt attemptFunc) (int, error) {
	cfg := &m.router.cfg
	log := cfg.Logger
	for n := 1; ; n++ {
		release, err := m.ep.limiter.acquire(ctx, estTokens)
		if err != nil {
			return n - 1, m.fail(op, n-1, 0, err, context.Cause(ctx), "")
		}
		var status int
		var header http.Header
		capture := option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			resp, err := next(req)
			if resp != nil {
				status, header = resp.StatusCode, resp.Header.Clone()
			}
			return resp, err
		})
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		tokens, err := attempt(actx, capture)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		release()
		m.ep.limiter.charge(tokens - int64(estTokens))
		if err == nil {
			log.Debug("llm call", "op", op, "model", m.route.Name, "attempt", n, "tokens", tokens, "latency", since(start))
			return n - 1, nil
		}

		kind, retryable, msg := m.classify(err, status, timedOut)
		if ctx.Err() != nil {
			return n - 1, m.fail(op, n, status, ctx.Err(), nil, "")
		}
		if !retryable || n >= cfg.Retry.MaxAttempts {
			return n - 1, m.fail(op, n, status, kind, nil, msg)
		}
		retryAfter, has := parseRetryAfter(header, cfg.Clock.Now())
		wait := cfg.Retry.delay(n, m.router.jitter(), retryAfter, has && status != 0)
		log.Warn("llm retry", "op", op, "model", m.route.Name, "attempt", n, "status", status,
			"error", kind.Error(), "wait", wait)
		if err := cfg.Clock.Sleep(ctx, wait); err != nil {
			return n - 1, m.fail(op, n, status, err, nil, msg)
		}
	}
}

// classify maps an attempt's failure to an error kind, whether to retry, and a scrubbed
// message for the final error.
func (m *remoteModel) classify(err error, status int, timedOut bool) (kind error, retryable bool, msg string) {
	switch {
	case timedOut:
		return ErrTimeout, true, fmt.Sprintf("no answer within %v", m.router.cfg.Timeout)
	case status >= 400:
		var apiErr *openai.Error
		if errors.As(err, &apiErr) {
			msg = apiErr.Message
		}
		return ErrStatus, retryableStatus(status), m.router.scrubber.Scrub(msg)
	case errors.Is(err, ErrBadResponse):
		return ErrBadResponse, true, m.router.scrubber.Scrub(strings.TrimPrefix(err.Error(), ErrBadResponse.Error()+": "))
	case status != 0:
		// A 2xx whose body the SDK could not decode: malformed or cut-off JSON.
		return ErrBadResponse, true, m.router.scrubber.Scrub(err.Error())
	}
	return ErrTransport, true, m.router.scrubber.Scrub(err.Error())
}

func (m *remoteModel) fail(op string, attempts, status int, kind error, cause error, msg string) error {
	if cause != nil {
		kind = cause
	}
	return &Error{Op: op, Model: m.route.Name, Status: status, Attempts: attempts, Msg: msg, kind: kind}
}

// embedRecord is the embedding request as stored beside a cached answer.
func embedRecord(req EmbedRequest) map[string]any {
	rec := map[string]any{"input": req.Input, "dimensions": req.Dimensions}
	if req.Provider != nil {
		rec["provider"] = req.Provider
	}
	return rec
}
