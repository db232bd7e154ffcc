package llm

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/llm/llmtest"
)

func TestScrubber(t *testing.T) {
	s := &Scrubber{}
	s.Add("my-custom-key-123", "EMPTY", "")
	tests := map[string]string{
		"key my-custom-key-123 rejected":                   "key [REDACTED] rejected",
		"Authorization: Bearer abc.def":                    "Authorization: [REDACTED]",
		`{"authorization":"Bearer zzz"}`:                   `{"authorization":"Bearer [REDACTED]"}`,
		"got bearer tok_123-xyz from proxy":                "got Bearer [REDACTED] from proxy",
		"Incorrect API key provided: sk-proj-AbCdEf123456": "Incorrect API key provided: [REDACTED]",
		"EMPTY is not a secret":                            "EMPTY is not a secret",
	}
	for in, want := range tests {
		if got := s.Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

// A server that echoes the credential in its error message, and a run that records its cache
// and logs: the key must appear nowhere we write.
func TestKeyNeverLeaks(t *testing.T) {
	t.Setenv("OPENAI_ORG_ID", "org-ambient")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/ambient")
	dir := t.TempDir()
	cache, err := NewCache(dir, CacheRecord)
	if err != nil {
		t.Fatal(err)
	}
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) { c.Cache = cache; c.Retry.MaxAttempts = 2 })
	rig.srv.OnPrompt("echo", func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Status: 401, ErrorMessage: "bad credentials: " + r.Authorization + " (key " + testKey + ")"}
	})
	rig.srv.OnPrompt("flaky", func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Status: 503, ErrorMessage: "upstream saw " + testKey}
	})
	m := rig.model(t, "openrouter/a/b")
	ctx := context.Background()
	var outputs []string
	for _, prompt := range []string{"echo", "flaky"} {
		_, err := m.Chat(ctx, userReq(prompt))
		if err == nil {
			t.Fatalf("%s: no error", prompt)
		}
		outputs = append(outputs, err.Error())
	}
	resp, err := m.Chat(ctx, userReq("fine"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(resp)
	outputs = append(outputs, string(b), rig.logs.String())
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			outputs = append(outputs, string(data))
		}
		return nil
	})
	if len(outputs) < 5 {
		t.Fatalf("no cache file written: %d outputs", len(outputs))
	}
	for _, out := range outputs {
		if strings.Contains(out, testKey) || strings.Contains(out, "TESTKEY") {
			t.Errorf("key leaked in %q", out)
		}
	}
	if !strings.Contains(outputs[0], "HTTP 401") || !strings.Contains(outputs[0], "[REDACTED]") {
		t.Errorf("401 error text %q", outputs[0])
	}
	// The key went where it belongs, and ambient OPENAI_* settings did not follow it.
	for _, r := range rig.srv.Requests() {
		if r.Authorization != "Bearer "+testKey {
			t.Errorf("request %d: Authorization %q", r.Seq, r.Authorization)
		}
		if r.Header.Get("OpenAI-Organization") != "" {
			t.Errorf("request %d carries the ambient organisation header", r.Seq)
		}
	}
}
