package llm

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/llm/llmtest"
)

func cachedRig(t *testing.T, dir string, mode CacheMode) *testRig {
	t.Helper()
	c, err := NewCache(dir, mode)
	if err != nil {
		t.Fatal(err)
	}
	return newRig(t, llmtest.Config{Handler: func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: "answer #" + r.Prompt(), PromptTokens: 10, CompletionTokens: 5}
	}}, func(cfg *RouterConfig) { cfg.Cache = c })
}

func TestCacheRecordThenReplayMakesNoRequests(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rec := cachedRig(t, dir, CacheRecord)
	m := rec.model(t, "openrouter/a/b")
	want, err := m.Chat(ctx, userReq("q1"))
	if err != nil {
		t.Fatal(err)
	}
	wantVec, err := m.Embed(ctx, EmbedRequest{Input: []string{"x", "y"}})
	if err != nil {
		t.Fatal(err)
	}
	// Record mode always calls, even for a request it has stored.
	if _, err := m.Chat(ctx, userReq("q1")); err != nil {
		t.Fatal(err)
	}
	if rec.srv.Count() != 3 {
		t.Fatalf("record: %d requests, want 3", rec.srv.Count())
	}

	rep := cachedRig(t, dir, CacheReplay)
	m2 := rep.model(t, "openrouter/a/b")
	got, err := m2.Chat(ctx, userReq("q1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Content != want.Content || got.Usage.CacheHits != 1 || got.Usage.CostUSD != 0 || got.Usage.PromptTokens != 10 {
		t.Errorf("replayed %+v, recorded %+v", got, want)
	}
	gotVec, err := m2.Embed(ctx, EmbedRequest{Input: []string{"x", "y"}})
	if err != nil || len(gotVec.Vectors) != 2 || gotVec.Vectors[1][0] != wantVec.Vectors[1][0] {
		t.Errorf("replayed vectors %v, %v", gotVec.Vectors, err)
	}
	_, err = m2.Chat(ctx, userReq("never recorded"))
	if !errors.Is(err, ErrCacheMiss) || !strings.Contains(err.Error(), "record or auto") {
		t.Errorf("miss: %v", err)
	}
	if rep.srv.Count() != 0 {
		t.Errorf("replay made %d HTTP requests", rep.srv.Count())
	}
}

func TestCacheReplayNeedsNoKey(t *testing.T) {
	c, err := NewCache(t.TempDir(), CacheReplay)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRouter(RouterConfig{Env: NewEnv(nil, nil), Timeout: 1, Retry: DefaultRetryPolicy(), Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Model("openrouter/a/b"); err != nil {
		t.Errorf("replay mode asked for a key: %v", err)
	}
	if _, err := NewCache(filepath.Join(t.TempDir(), "absent"), CacheReplay); err == nil {
		t.Error("replay from a missing directory accepted")
	}
}

func TestCacheAuto(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rig := cachedRig(t, dir, CacheAuto)
	m := rig.model(t, "openrouter/a/b")
	first, err := m.Chat(ctx, userReq("q"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Chat(ctx, userReq("q"))
	if err != nil {
		t.Fatal(err)
	}
	if rig.srv.Count() != 1 || second.Content != first.Content || second.Usage.CacheHits != 1 || first.Usage.CacheHits != 0 {
		t.Errorf("requests %d, first %+v, second %+v", rig.srv.Count(), first, second)
	}
	// A different cache tag (a judge's retry) is a different entry.
	req := userReq("q")
	req.CacheTag = "attempt 2"
	if _, err := m.Chat(ctx, req); err != nil {
		t.Fatal(err)
	}
	if rig.srv.Count() != 2 {
		t.Errorf("tagged request served from cache")
	}
	// Files: one JSON per key, no leftovers from the atomic writes.
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, filepath.Base(p))
		}
		return nil
	})
	if len(files) != 2 {
		t.Errorf("files %v", files)
	}
	for _, f := range files {
		if !strings.HasSuffix(f, ".json") || strings.HasPrefix(f, ".") {
			t.Errorf("unexpected file %s", f)
		}
	}
}

func TestCacheKeyStability(t *testing.T) {
	base := ChatRequest{
		Messages:       []Message{{Role: "user", Content: "hello"}},
		Temperature:    Float(0.7),
		MaxTokens:      256,
		ResponseFormat: &ResponseFormat{Type: "json_schema", Name: "action", Schema: json.RawMessage(`{"type":"object","required":["a"]}`)},
		Seed:           Int64(42),
	}
	key := func(model string, r ChatRequest) string {
		k, err := ChatKey(model, r)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k0 := key("openrouter/a/b", base)
	// Pinned: a change here invalidates every recorded cache, so it must be deliberate.
	const golden = "b95ae67b7353633d03328e135f8b1a816c1cbe677edfb89d48e13be6cf5754d3"
	if k0 != golden {
		t.Errorf("key %s, golden %s", k0, golden)
	}
	// Schema formatting and key order do not matter.
	same := base
	same.ResponseFormat = &ResponseFormat{Type: "json_schema", Name: "action", Schema: json.RawMessage(`{ "required": ["a"], "type": "object" }`)}
	if key("openrouter/a/b", same) != k0 {
		t.Error("schema key order changed the key")
	}
	variants := map[string]func(*ChatRequest){
		"message":     func(r *ChatRequest) { r.Messages = []Message{{Role: "user", Content: "hello!"}} },
		"role":        func(r *ChatRequest) { r.Messages = []Message{{Role: "system", Content: "hello"}} },
		"temperature": func(r *ChatRequest) { r.Temperature = Float(0) },
		"no temp":     func(r *ChatRequest) { r.Temperature = nil },
		"max tokens":  func(r *ChatRequest) { r.MaxTokens = 257 },
		"format":      func(r *ChatRequest) { r.ResponseFormat = &ResponseFormat{Type: "json_object"} },
		"seed":        func(r *ChatRequest) { r.Seed = Int64(43) },
		"tag":         func(r *ChatRequest) { r.CacheTag = "x" },
		"provider":    func(r *ChatRequest) { p := ArtifactDeepSeekPin(); r.Provider = &p },
		"provider order": func(r *ChatRequest) {
			p := ArtifactDeepSeekPin()
			p.Order = []string{"deepinfra"}
			r.Provider = &p
		},
	}
	seen := map[string]string{k0: "base"}
	for name, mutate := range variants {
		r := base
		mutate(&r)
		k := key("openrouter/a/b", r)
		if prev, dup := seen[k]; dup {
			t.Errorf("%s has the same key as %s", name, prev)
		}
		seen[k] = name
	}
	if key("openrouter/a/c", base) == k0 {
		t.Error("model not in the key")
	}
	e1, _ := EmbedKey("m", EmbedRequest{Input: []string{"a", "b"}})
	e2, _ := EmbedKey("m", EmbedRequest{Input: []string{"b", "a"}})
	e3, _ := EmbedKey("m", EmbedRequest{Input: []string{"a", "b"}, Dimensions: 8})
	pin := ArtifactDeepSeekPin()
	e4, _ := EmbedKey("m", EmbedRequest{Input: []string{"a", "b"}, Provider: &pin})
	if e1 == e2 || e1 == e3 || e1 == e4 {
		t.Error("embedding keys collide")
	}
}

func TestCacheCustomKeyIgnoresURL(t *testing.T) {
	a, _ := ParseModel("custom/qwen@http://127.0.0.1:8000/v1")
	b, _ := ParseModel("custom/qwen@http://gpu-box:9000/v1")
	if a.CacheName() != b.CacheName() {
		t.Errorf("%s vs %s", a.CacheName(), b.CacheName())
	}
}

func TestParseCacheMode(t *testing.T) {
	for _, s := range []string{"off", "record", "replay", "auto"} {
		if m, err := ParseCacheMode(s); err != nil || string(m) != s {
			t.Errorf("%s: %v %v", s, m, err)
		}
	}
	if _, err := ParseCacheMode("sometimes"); err == nil || !strings.Contains(err.Error(), "off, record, replay or auto") {
		t.Errorf("got %v", err)
	}
	if _, err := NewCache("", CacheRecord); err == nil {
		t.Error("record without a directory accepted")
	}
}
