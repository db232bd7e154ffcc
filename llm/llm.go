// Package llm is the project's access to language models over OpenAI-compatible HTTP APIs
// (OpenRouter, OpenAI, vLLM, Ollama, llama.cpp server ...), built on github.com/openai/openai-go/v3.
//
// A Router turns a model name (see ParseModel) into a Model. Every call goes through the same
// pipeline: request validation, the record/replay cache, per-provider limits (concurrency,
// requests and tokens per minute), a per-attempt timeout and retries with exponential backoff
// and full jitter that honour Retry-After. Each successful call reports its Usage (tokens and
// cost from a TOML price table); a Meter sums usage per role and a Budget stops a run.
//
// API keys come from the environment or a .env file and never appear in errors, logs, cache
// files or usage records.
package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
)

// Roles a Meter sums usage by.
const (
	RoleAgent    = "agent"
	RoleJudge    = "judge"
	RoleEmbedder = "embedder"
	// RoleOptimiser is the prompt optimisers' LLM (OPRO, EvoPrompt, PromptBreeder).
	RoleOptimiser = "optimiser"
)

// Message roles accepted in a ChatRequest.
const (
	MessageSystem    = "system"
	MessageUser      = "user"
	MessageAssistant = "assistant"
)

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// User is a shorthand for a user message (Sotopia sends one user message per call).
func User(content string) Message { return Message{Role: MessageUser, Content: content} }

// ResponseFormat asks for structured output: Type "json_object", or "json_schema" with a Name
// and a Schema.
type ResponseFormat struct {
	Type   string          `json:"type"`
	Name   string          `json:"name,omitempty"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict bool            `json:"strict,omitempty"`
}

// ChatRequest is one chat completion. Zero values mean "not sent" so providers apply their
// defaults: a nil Temperature, MaxTokens 0, a nil ResponseFormat, a nil Seed.
type ChatRequest struct {
	Messages       []Message
	Temperature    *float64
	MaxTokens      int
	ResponseFormat *ResponseFormat
	Seed           *int64
	// Provider, for an OpenRouter model, is sent as the body's "provider" object (routing
	// preferences); nil sends none. Part of the cache key.
	Provider *ProviderPreferences
	// CacheTag is part of the cache key and is never sent. It separates requests that are
	// identical on the wire but must not share an answer, e.g. a judge's second attempt after
	// an unparsable first answer (at temperature 0 the cache would replay the bad answer).
	CacheTag string
}

// Float returns a pointer to v, for ChatRequest.Temperature.
func Float(v float64) *float64 { return &v }

// Int64 returns a pointer to v, for ChatRequest.Seed.
func Int64(v int64) *int64 { return &v }

// ChatResponse is the first choice of a completion and the call's usage.
type ChatResponse struct {
	Content      string `json:"content"`
	FinishReason string `json:"finish_reason"`
	Usage        Usage  `json:"usage"`
}

// EmbedRequest embeds texts; Dimensions 0 means the model's default.
type EmbedRequest struct {
	Input      []string
	Dimensions int
	// Provider is as in ChatRequest.
	Provider *ProviderPreferences
}

// EmbedResponse holds one vector per input, in input order.
type EmbedResponse struct {
	Vectors [][]float64 `json:"vectors"`
	Usage   Usage       `json:"usage"`
}

// Model is a chat and embedding endpoint. Implementations are safe for concurrent use.
type Model interface {
	// Name is the routed model name, e.g. "openrouter/deepseek/deepseek-v3.2".
	Name() string
	Chat(ctx context.Context, req ChatRequest) (ChatResponse, error)
	Embed(ctx context.Context, req EmbedRequest) (EmbedResponse, error)
}

// Usage is what one or more calls consumed. Token counts are as the provider reported them;
// CachedTokens is the part of PromptTokens the provider served from its prompt cache. Calls
// answered by the record/replay cache count in CacheHits and cost nothing.
type Usage struct {
	Calls            int64   `json:"calls"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	CachedTokens     int64   `json:"cached_tokens"`
	CostUSD          float64 `json:"cost_usd"`
	Retries          int64   `json:"retries"`
	CacheHits        int64   `json:"cache_hits"`
}

// Add accumulates o into u.
func (u *Usage) Add(o Usage) {
	u.Calls += o.Calls
	u.PromptTokens += o.PromptTokens
	u.CompletionTokens += o.CompletionTokens
	u.CachedTokens += o.CachedTokens
	u.CostUSD += o.CostUSD
	u.Retries += o.Retries
	u.CacheHits += o.CacheHits
}

// Validate reports the first malformed field of a chat request.
func (r ChatRequest) Validate() error {
	if len(r.Messages) == 0 {
		return fmt.Errorf("chat request: no messages")
	}
	for i, m := range r.Messages {
		switch m.Role {
		case MessageSystem, MessageUser, MessageAssistant:
		default:
			return fmt.Errorf("chat request: message %d has role %q, want system, user or assistant", i, m.Role)
		}
	}
	if t := r.Temperature; t != nil && (math.IsNaN(*t) || *t < 0 || *t > 2) {
		return fmt.Errorf("chat request: temperature %v outside [0, 2]", *t)
	}
	if r.MaxTokens < 0 {
		return fmt.Errorf("chat request: max tokens %d is negative", r.MaxTokens)
	}
	if r.Provider != nil {
		if err := r.Provider.Validate(); err != nil {
			return fmt.Errorf("chat request: provider preferences: %w", err)
		}
	}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object":
		case "json_schema":
			if f.Name == "" {
				return fmt.Errorf("chat request: json_schema response format needs a name")
			}
			if len(f.Schema) > 0 && !json.Valid(f.Schema) {
				return fmt.Errorf("chat request: json_schema response format %q: schema is not valid JSON", f.Name)
			}
		default:
			return fmt.Errorf("chat request: response format type %q, want json_object or json_schema", f.Type)
		}
	}
	return nil
}

// Validate reports the first malformed field of an embedding request.
func (r EmbedRequest) Validate() error {
	if len(r.Input) == 0 {
		return fmt.Errorf("embed request: no input texts")
	}
	if r.Dimensions < 0 {
		return fmt.Errorf("embed request: dimensions %d is negative", r.Dimensions)
	}
	if r.Provider != nil {
		if err := r.Provider.Validate(); err != nil {
			return fmt.Errorf("embed request: provider preferences: %w", err)
		}
	}
	return nil
}

// promptChars is the request's text length, for token estimates before the call.
func (r ChatRequest) promptChars() int {
	n := 0
	for _, m := range r.Messages {
		n += len(m.Content)
	}
	return n
}
