// Package fakellm is a fake OpenAI-compatible HTTP server on loopback for tests and benches:
// POST .../chat/completions and .../embeddings under any path prefix, with scripted replies,
// latency, and seeded fault injection (429 with Retry-After, 500, hangs, malformed JSON,
// truncated output). It records what it receives so tests can assert on prompts and headers.
// It does not import package testing, so the production binary can run it (also bench llm);
// tests use llm/llmtest, which closes the server when the test ends.
package fakellm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Message is one chat message as received.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is one request as received.
type Request struct {
	// Seq is the arrival order, from 0.
	Seq  int
	Kind string // "chat" or "embeddings"
	Path string
	// Authorization is the raw Authorization header (tests check it equals "Bearer <key>").
	Authorization string
	Header        http.Header
	Body          []byte

	Model          string
	Messages       []Message
	Temperature    *float64
	MaxTokens      int
	Seed           *int64
	ResponseFormat json.RawMessage
	Input          []string
	// Provider is the body's OpenRouter "provider" object as sent (nil when absent).
	Provider json.RawMessage
}

// Prompt is every message's content joined by newlines (the embedding inputs for embeddings).
func (r Request) Prompt() string {
	if r.Kind == KindEmbeddings {
		return strings.Join(r.Input, "\n")
	}
	parts := make([]string, len(r.Messages))
	for i, m := range r.Messages {
		parts[i] = m.Content
	}
	return strings.Join(parts, "\n")
}

// Request kinds.
const (
	KindChat       = "chat"
	KindEmbeddings = "embeddings"
)

// Reply scripts one answer. The zero Reply is a 200 with empty content.
type Reply struct {
	Content      string
	FinishReason string // default "stop"
	// Token counts; zero means estimated (about 4 characters per token).
	PromptTokens, CompletionTokens, CachedTokens int64
	// Vectors answers an embeddings request (default: a deterministic hash of each input).
	Vectors [][]float64

	// Status, when not 200, sends an OpenAI-style error body with ErrorMessage.
	Status       int
	ErrorMessage string
	// Header is added to the response (e.g. Retry-After).
	Header map[string]string
	// Delay is latency on top of Config.Latency.
	Delay time.Duration
	// Hang holds the request until the client gives up or the server closes.
	Hang bool
	// RawBody, when set, is sent verbatim with Status (default 200): malformed JSON, an HTML
	// error page from a proxy, and the like.
	RawBody string
}

// Handler scripts replies from requests. Handlers run one at a time under the server's lock, so
// they may keep state without their own mutex; keep them fast (latency belongs in Reply.Delay).
type Handler func(Request) Reply

// Faults injects failures at the given rates (each in [0,1], summing to at most 1), drawn
// from a seeded source in arrival order.
type Faults struct {
	RateLimit float64 // 429 with Retry-After: RetryAfter
	// RetryAfter is the Retry-After header of injected 429s (default "1").
	RetryAfter  string
	ServerError float64 // 500
	Hang        float64 // no answer until the client gives up
	Malformed   float64 // 200 with a body that is not JSON
	Truncated   float64 // 200 whose content is cut in half, finish_reason "length"
}

// Config configures a Server.
type Config struct {
	// Handler answers requests no queued reply or prompt route claims.
	Handler Handler
	// Latency delays every answer (not hangs).
	Latency time.Duration
	Faults  Faults
	Seed    uint64
	// EmbeddingDim is the length of default embedding vectors (default 8).
	EmbeddingDim int
	// Float32 writes embedding values as the hosted APIs do, rounded to float32 and in its
	// shortest decimal (about 9 digits instead of 17: half the bytes to write and parse). The
	// client then reads that decimal, not the float64 the handler gave.
	Float32 bool
	// APIKey, when set, makes requests without "Authorization: Bearer <APIKey>" fail with 401.
	APIKey string
	// NoRecord keeps request bodies out of memory (for benches); counts are still kept.
	NoRecord bool
	// Probe answers endpoint checks (requests carrying the header llm.ProbeHeader) instead of
	// the default success. Checks bypass the queue, routes, Handler and faults and are counted
	// apart (Probes), so scripted runs see only their own calls.
	Probe Handler
}

// Server is the fake. Safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	cfg  Config
	done chan struct{}

	mu       sync.Mutex
	rng      *rand.Rand
	faults   Faults
	queue    []Reply
	routes   []route
	requests []Request
	seq      int
	byStatus map[int]int
	inflight int
	peak     int
	closed   bool
	probes   []Request
}

// ProbeHeader marks an endpoint check (the same name as llm.ProbeHeader; fakellm does not
// import llm).
const ProbeHeader = "X-Also-Endpoint-Check"

// Probes returns the endpoint checks received, in arrival order.
func (s *Server) Probes() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.probes...)
}

type route struct {
	substr string
	h      Handler
}

// Start starts a server on loopback; call Close when done.
func Start(cfg Config) *Server {
	if cfg.EmbeddingDim <= 0 {
		cfg.EmbeddingDim = 8
	}
	s := &Server{
		cfg:      cfg,
		done:     make(chan struct{}),
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x11a7e5)),
		faults:   cfg.Faults,
		byStatus: map[int]int{},
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.MaxHeaderBytes = 1 << 16
	s.srv.Start()
	return s
}

// URL is the base URL to give a client: the server address plus "/v1".
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Close releases hung requests and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.srv.Close()
}

// Enqueue adds replies answered in order before anything else.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// OnPrompt routes requests whose prompt contains substr to h (first registered match wins),
// e.g. judge prompts to a judge script and agent prompts to an agent script.
func (s *Server) OnPrompt(substr string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes = append(s.routes, route{substr, h})
}

// SetFaults changes the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Requests returns the recorded requests in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is the number of requests received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// CountByStatus counts answers by HTTP status (hangs count as 0: no status was sent).
func (s *Server) CountByStatus() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.byStatus))
	for k, v := range s.byStatus {
		out[k] = v
	}
	return out
}

// PeakInFlight is the largest number of requests handled at once.
func (s *Server) PeakInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	kind := ""
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions"):
		kind = KindChat
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/embeddings"):
		kind = KindEmbeddings
	default:
		writeError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path, nil)
		s.count(http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error(), nil)
		s.count(http.StatusBadRequest)
		return
	}
	req := Request{Kind: kind, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body}
	parseErr := decodeRequest(&req, body)
	if r.Header.Get(ProbeHeader) != "" && parseErr == nil {
		s.serveProbe(w, req)
		return
	}

	reply, fault, truncate := s.admit(&req, r.Header)
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()

	switch {
	case parseErr != nil:
		reply = Reply{Status: http.StatusBadRequest, ErrorMessage: "invalid request body: " + parseErr.Error()}
	case s.cfg.APIKey != "" && req.Authorization != "Bearer "+s.cfg.APIKey:
		reply = Reply{Status: http.StatusUnauthorized, ErrorMessage: "invalid API key"}
	case fault != nil:
		reply = *fault
	case reply.Status == 0 && reply.RawBody == "" && !reply.Hang:
		reply = s.complete(req, reply)
		if truncate && kind == KindChat {
			r := []rune(reply.Content)
			reply.Content = string(r[:len(r)/2])
			reply.FinishReason = "length"
		}
	}
	if !s.wait(r.Context(), reply) {
		s.count(0)
		return
	}
	s.write(w, req, reply)
}

// serveProbe answers an endpoint check: the key is checked as for any request, then Config.Probe
// (or a plain success) answers.
func (s *Server) serveProbe(w http.ResponseWriter, req Request) {
	s.mu.Lock()
	s.probes = append(s.probes, req)
	reply := Reply{}
	if s.cfg.Probe != nil {
		reply = s.cfg.Probe(req)
	}
	s.mu.Unlock()
	if s.cfg.APIKey != "" && req.Authorization != "Bearer "+s.cfg.APIKey {
		reply = Reply{Status: http.StatusUnauthorized, ErrorMessage: "invalid API key"}
	}
	if reply.Status == 0 && reply.RawBody == "" {
		reply = s.complete(req, reply)
	}
	s.write(w, req, reply)
}

// admit records the request and picks its reply under the lock. A panicking handler becomes
// a 500 naming the panic, so a broken script fails fast instead of wedging the server.
func (s *Server) admit(req *Request, header http.Header) (reply Reply, fault *Reply, truncate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req.Seq = s.seq
	s.seq++
	s.inflight++
	s.peak = max(s.peak, s.inflight)
	if !s.cfg.NoRecord {
		req.Header = header.Clone()
		s.requests = append(s.requests, *req)
	}
	defer func() {
		if p := recover(); p != nil {
			reply, fault, truncate = Reply{Status: http.StatusInternalServerError, ErrorMessage: fmt.Sprintf("fakellm: handler panicked: %v", p)}, nil, false
		}
	}()
	return s.pickLocked(*req)
}

// pickLocked chooses the scripted reply and, independently, a fault (or truncation).
func (s *Server) pickLocked(req Request) (reply Reply, fault *Reply, truncate bool) {
	f := s.faults
	if total := f.RateLimit + f.ServerError + f.Hang + f.Malformed + f.Truncated; total > 0 {
		u := s.rng.Float64()
		switch {
		case u < f.RateLimit:
			ra := f.RetryAfter
			if ra == "" {
				ra = "1"
			}
			fault = &Reply{Status: http.StatusTooManyRequests, ErrorMessage: "rate limited (injected)", Header: map[string]string{"Retry-After": ra}}
		case u < f.RateLimit+f.ServerError:
			fault = &Reply{Status: http.StatusInternalServerError, ErrorMessage: "internal error (injected)"}
		case u < f.RateLimit+f.ServerError+f.Hang:
			fault = &Reply{Hang: true}
		case u < f.RateLimit+f.ServerError+f.Hang+f.Malformed:
			fault = &Reply{RawBody: `{"id": "chatcmpl-broken", "choices": [{"message": {"content": "tru`}
		case u < total:
			truncate = true
		}
	}
	switch {
	case len(s.queue) > 0:
		reply = s.queue[0]
		s.queue = s.queue[1:]
	default:
		h := s.cfg.Handler
		prompt := req.Prompt()
		for _, rt := range s.routes {
			if strings.Contains(prompt, rt.substr) {
				h = rt.h
				break
			}
		}
		if h != nil {
			// Handlers run under the lock: they may keep state without their own mutex.
			reply = h(req)
		}
	}
	return reply, fault, truncate
}

// wait applies latency or a hang; false means the client went away (or the server closed).
func (s *Server) wait(ctx context.Context, reply Reply) bool {
	if reply.Hang {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		return false
	}
	d := s.cfg.Latency + reply.Delay
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) count(status int) {
	s.mu.Lock()
	s.byStatus[status]++
	s.mu.Unlock()
}
