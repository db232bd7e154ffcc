package llm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/also-project/also/internal/atomicfile"
)

// CacheMode selects how the record/replay cache is used.
type CacheMode string

const (
	// CacheOff calls the API every time and stores nothing.
	CacheOff CacheMode = "off"
	// CacheRecord calls the API every time and stores every answer (overwriting).
	CacheRecord CacheMode = "record"
	// CacheReplay answers only from the cache; a miss is an error (no API call is made).
	CacheReplay CacheMode = "replay"
	// CacheAuto answers from the cache when it can, else calls the API and stores the answer.
	CacheAuto CacheMode = "auto"
)

// ParseCacheMode reads off | record | replay | auto.
func ParseCacheMode(s string) (CacheMode, error) {
	switch m := CacheMode(s); m {
	case CacheOff, CacheRecord, CacheReplay, CacheAuto:
		return m, nil
	case "":
		return CacheOff, nil
	}
	return "", fmt.Errorf("cache mode %q: want off, record, replay or auto", s)
}

// ErrCacheMiss is returned in replay mode when a request was never recorded.
var ErrCacheMiss = errors.New("llm cache: replay miss")

// Cache is a content-addressed store of model answers: one JSON file per request key,
// <dir>/<key[:2]>/<key>.json, written atomically (temporary file + rename) so concurrent
// writers and crashes never leave a half-written entry. Entries hold the request, the answer
// and token counts, never credentials.
type Cache struct {
	dir  string
	mode CacheMode
}

// NewCache opens a cache directory. Record and auto create it; replay requires it to exist.
func NewCache(dir string, mode CacheMode) (*Cache, error) {
	if _, err := ParseCacheMode(string(mode)); err != nil {
		return nil, err
	}
	if mode == CacheOff {
		return &Cache{mode: CacheOff}, nil
	}
	if dir == "" {
		return nil, fmt.Errorf("llm cache: mode %s needs a directory", mode)
	}
	if mode == CacheReplay {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("llm cache: replay needs an existing directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("llm cache: %s is not a directory", dir)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("llm cache: %w", err)
	}
	return &Cache{dir: dir, mode: mode}, nil
}

// Mode is the cache's mode (off for a nil cache).
func (c *Cache) Mode() CacheMode {
	if c == nil {
		return CacheOff
	}
	return c.mode
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) reads() bool  { m := c.Mode(); return m == CacheReplay || m == CacheAuto }
func (c *Cache) writes() bool { m := c.Mode(); return m == CacheRecord || m == CacheAuto }

// cacheKeyVersion changes when the key's content changes, so old entries stop matching.
const cacheKeyVersion = 1

type chatKeyDoc struct {
	V              int             `json:"v"`
	Kind           string          `json:"kind"`
	Model          string          `json:"model"`
	Messages       []Message       `json:"messages"`
	Temperature    *float64        `json:"temperature"`
	MaxTokens      int             `json:"max_tokens"`
	ResponseFormat *ResponseFormat `json:"response_format"`
	Seed           *int64          `json:"seed"`
	Tag            string          `json:"tag"`
	// Provider is omitted when nil, so keys of requests without preferences are unchanged.
	Provider *ProviderPreferences `json:"provider,omitempty"`
}

type embedKeyDoc struct {
	V          int                  `json:"v"`
	Kind       string               `json:"kind"`
	Model      string               `json:"model"`
	Input      []string             `json:"input"`
	Dimensions int                  `json:"dimensions"`
	Provider   *ProviderPreferences `json:"provider,omitempty"`
}

// ChatKey is the cache key of a chat request: sha256 over the model (Route.CacheName), the
// messages, temperature, max tokens, response format (schema with sorted keys), seed, tag and
// OpenRouter provider preferences (they choose the weights that answer).
func ChatKey(model string, req ChatRequest) (string, error) {
	doc := chatKeyDoc{V: cacheKeyVersion, Kind: "chat", Model: model, Messages: req.Messages,
		Temperature: req.Temperature, MaxTokens: req.MaxTokens, Seed: req.Seed, Tag: req.CacheTag, Provider: req.Provider}
	if f := req.ResponseFormat; f != nil {
		canon := *f
		if len(f.Schema) > 0 {
			s, err := canonicalJSON(f.Schema)
			if err != nil {
				return "", fmt.Errorf("cache key: response schema: %w", err)
			}
			canon.Schema = s
		}
		doc.ResponseFormat = &canon
	}
	return hashJSON(doc)
}

// EmbedKey is the cache key of an embedding request.
func EmbedKey(model string, req EmbedRequest) (string, error) {
	return hashJSON(embedKeyDoc{V: cacheKeyVersion, Kind: "embed", Model: model, Input: req.Input, Dimensions: req.Dimensions,
		Provider: req.Provider})
}

func hashJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// canonicalJSON re-encodes JSON with object keys sorted and no insignificant whitespace.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// cacheEntry is one file. Request is kept for inspection; only Key is used for lookups.
type cacheEntry struct {
	Version int            `json:"version"`
	Key     string         `json:"key"`
	Kind    string         `json:"kind"`
	Model   string         `json:"model"`
	Request any            `json:"request"`
	Chat    *ChatResponse  `json:"chat,omitempty"`
	Embed   *EmbedResponse `json:"embed,omitempty"`
}

func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".json")
}

// load reads an entry; ok is false when the key is absent.
func (c *Cache) load(key string) (e cacheEntry, ok bool, err error) {
	b, err := os.ReadFile(c.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("llm cache: %w", err)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, false, fmt.Errorf("llm cache: entry %s is corrupt: %w", c.path(key), err)
	}
	if e.Key != key {
		return e, false, fmt.Errorf("llm cache: entry %s holds key %s", c.path(key), e.Key)
	}
	return e, true, nil
}

// store writes an entry atomically.
func (c *Cache) store(e cacheEntry) error {
	b, err := json.MarshalIndent(e, "", " ")
	if err != nil {
		return fmt.Errorf("llm cache: %w", err)
	}
	final := c.path(e.Key)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("llm cache: %w", err)
	}
	if err := atomicfile.WriteFile(final, b, 0o644); err != nil {
		return fmt.Errorf("llm cache: %w", err)
	}
	return nil
}

// missError explains a replay miss and how to fill the cache.
func (c *Cache) missError(op, model, key string) error {
	return fmt.Errorf("%w: %s %s (key %s) is not in %s; record it first with cache mode record or auto",
		ErrCacheMiss, op, model, key[:12], c.dir)
}
