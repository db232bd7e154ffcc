package llm

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// RouterConfig configures a Router. Start from DefaultRouterConfig.
type RouterConfig struct {
	// Env resolves API keys (NewEnv / LoadEnv). Required.
	Env *Env
	// BaseURLs overrides a provider's endpoint (a proxy, or a fake server in tests).
	BaseURLs map[Provider]string
	// HTTPClient carries the requests; nil means a client pooled for many parallel requests.
	HTTPClient *http.Client
	// Timeout bounds each attempt (the caller's context bounds the whole call).
	Timeout time.Duration
	Retry   RetryPolicy
	// Limits per provider; a provider without an entry gets DefaultLimits. Each endpoint (each
	// base URL) has its own limiter, shared by every model routed to it.
	Limits map[Provider]Limits
	// Prices costs each call; nil means DefaultPrices. Unpriced models cost 0 (logged once).
	Prices *PriceTable
	// Shared, if set, holds each endpoint's requests and tokens per minute across processes too
	// (a cluster's members share one budget per provider instead of each spending it).
	Shared SharedRate
	// Cache is the record/replay cache; nil means off.
	Cache *Cache
	// Clock drives backoff sleeps and rate limits; nil means the system clock.
	Clock Clock
	// Rand draws backoff jitter; nil means a fixed-seed source (jitter only shifts timing).
	Rand *rand.Rand
	// Logger receives call and retry records (never prompts or keys); nil discards.
	Logger *slog.Logger
}

// DefaultRouterConfig is a production configuration minus Env: 120 s per attempt,
// DefaultRetryPolicy, DefaultLimits, the embedded prices, no cache.
func DefaultRouterConfig() RouterConfig {
	return RouterConfig{Timeout: 120 * time.Second, Retry: DefaultRetryPolicy()}
}

// Validate reports the first bad field.
func (c RouterConfig) Validate() error {
	if c.Env == nil {
		return fmt.Errorf("router: no Env to read API keys from")
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("router: timeout %v, want > 0", c.Timeout)
	}
	if err := c.Retry.Validate(); err != nil {
		return fmt.Errorf("router: %w", err)
	}
	for p, l := range c.Limits {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("router: %s %w", p, err)
		}
	}
	for p, u := range c.BaseURLs {
		if err := checkBaseURL(u); err != nil {
			return fmt.Errorf("router: %s %w", p, err)
		}
	}
	return nil
}

// Router turns model names into Models and owns what they share: endpoints, limiters, the
// cache, the secret scrubber. Safe for concurrent use.
type Router struct {
	cfg      RouterConfig
	scrubber *Scrubber

	mu        sync.Mutex
	endpoints map[string]*endpoint
	unpriced  map[string]bool
	randMu    sync.Mutex
}

// endpoint is one base URL with its key, openai-go services and limiter.
type endpoint struct {
	chat    openai.ChatCompletionService
	embed   openai.EmbeddingService
	limiter *limiter
}

// NewRouter validates cfg and fills its defaults.
func NewRouter(cfg RouterConfig) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = pooledHTTPClient()
	}
	if cfg.Prices == nil {
		p, err := DefaultPrices()
		if err != nil {
			return nil, err
		}
		cfg.Prices = p
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(1, 2))
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Router{cfg: cfg, scrubber: &Scrubber{}, endpoints: map[string]*endpoint{}, unpriced: map[string]bool{}}, nil
}

// pooledHTTPClient keeps enough idle connections per host for hundreds of parallel calls
// (the default of 2 would open and close a connection for nearly every request).
func pooledHTTPClient() *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t}
}

// Scrubber is the router's secret scrubber: it knows every key the router has loaded.
func (r *Router) Scrubber() *Scrubber { return r.scrubber }

// Cache is the router's cache (nil when off).
func (r *Router) Cache() *Cache { return r.cfg.Cache }

// Route resolves a name with this router's base-URL overrides.
func (r *Router) Route(name string) (Route, error) {
	rt, err := ParseModel(name)
	if err != nil {
		return Route{}, err
	}
	if u, ok := r.cfg.BaseURLs[rt.Provider]; ok && rt.Provider != ProviderCustom {
		rt.BaseURL = u
	}
	return rt, nil
}

// Model returns the model for a name. A missing key is an error naming its variable, except in
// replay mode, where no request is ever sent.
func (r *Router) Model(name string) (Model, error) {
	rt, err := r.Route(name)
	if err != nil {
		return nil, err
	}
	m := &remoteModel{router: r, route: rt}
	if r.cfg.Cache.Mode() != CacheReplay {
		if m.ep, err = r.endpoint(rt); err != nil {
			return nil, err
		}
	}
	if p, ok := r.cfg.Prices.Lookup(rt); ok {
		m.price = p
	} else {
		r.mu.Lock()
		if !r.unpriced[rt.Name] {
			r.unpriced[rt.Name] = true
			r.cfg.Logger.Warn("llm: model has no price; its calls count as $0 (add it with --prices)", "model", rt.Name)
		}
		r.mu.Unlock()
	}
	return m, nil
}

func (r *Router) endpoint(rt Route) (*endpoint, error) {
	key, err := r.cfg.Env.apiKey(rt)
	if err != nil {
		return nil, err
	}
	r.scrubber.Add(key)
	id := string(rt.Provider) + " " + rt.BaseURL
	r.mu.Lock()
	defer r.mu.Unlock()
	if ep, ok := r.endpoints[id]; ok {
		return ep, nil
	}
	lim, ok := r.cfg.Limits[rt.Provider]
	if !ok {
		lim = DefaultLimits(rt.Provider)
	}
	// The service constructors (not openai.NewClient) keep ambient OPENAI_* variables such as
	// OPENAI_BASE_URL or OPENAI_ORG_ID out of requests to other providers. The SDK's own
	// retries are off: ours honour the limiter and the injected clock.
	opts := []option.RequestOption{
		option.WithBaseURL(rt.BaseURL),
		option.WithAPIKey(key),
		option.WithHTTPClient(r.cfg.HTTPClient),
		option.WithMaxRetries(0),
	}
	ep := &endpoint{
		chat:    openai.NewChatCompletionService(opts...),
		embed:   openai.NewEmbeddingService(opts...),
		limiter: newLimiter(lim, r.cfg.Clock),
	}
	ep.limiter.shared, ep.limiter.key = r.cfg.Shared, id
	r.endpoints[id] = ep
	return ep, nil
}

// jitter draws a uniform [0,1) number from the shared source.
func (r *Router) jitter() float64 {
	r.randMu.Lock()
	defer r.randMu.Unlock()
	return r.cfg.Rand.Float64()
}
