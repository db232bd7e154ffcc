package llmtest

import (
	"net/http"
	"strings"
	"testing"
)

// The server NewServer starts answers during the test and is gone once its cleanup has run.
func TestNewServerClosesAtCleanup(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		s := NewServer(t, Config{Handler: func(Request) Reply { return Reply{Content: "hi"} }})
		url = s.URL() + "/chat/completions"
		body := `{"model":"m","messages":[{"role":"user","content":"x"}]}`
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || s.Count() != 1 {
			t.Fatalf("status %d, count %d; want 200, 1", resp.StatusCode, s.Count())
		}
	})
	if resp, err := http.Post(url, "application/json", strings.NewReader("{}")); err == nil {
		resp.Body.Close()
		t.Fatalf("server still answers after the test ended (status %d)", resp.StatusCode)
	}
}
