package fakellm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type chatOut struct {
	Choices []struct {
		FinishReason string `json:"finish_reason"`
		Message      struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
}

func post(t *testing.T, client *http.Client, url, auth string, body any) (int, http.Header, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func chat(prompt string) map[string]any {
	return map[string]any{"model": "m", "messages": []map[string]string{{"role": "user", "content": prompt}}, "temperature": 0.5, "seed": 3}
}

func TestScriptingOrder(t *testing.T) {
	s := newServer(t, Config{Handler: func(r Request) Reply { return Reply{Content: "default:" + r.Prompt()} }})
	s.OnPrompt("JUDGE", func(r Request) Reply { return Reply{Content: "judge", PromptTokens: 7, CompletionTokens: 3} })
	s.Enqueue(Reply{Content: "queued"})
	c := http.DefaultClient
	var got []string
	for _, p := range []string{"JUDGE this", "JUDGE this", "hello"} {
		status, _, body := post(t, c, s.URL()+"/chat/completions", "", chat(p))
		var out chatOut
		if status != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("status %d body %s", status, body)
		}
		got = append(got, out.Choices[0].Message.Content)
		if p == "JUDGE this" && out.Choices[0].Message.Content == "judge" && out.Usage.PromptTokens != 7 {
			t.Errorf("usage %+v", out.Usage)
		}
	}
	if strings.Join(got, "|") != "queued|judge|default:hello" {
		t.Errorf("replies %v", got)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[0].Kind != KindChat || *reqs[0].Temperature != 0.5 || *reqs[0].Seed != 3 || reqs[2].Prompt() != "hello" {
		t.Errorf("recorded %+v", reqs)
	}
}

func TestAnyPrefixEmbeddingsAndErrors(t *testing.T) {
	s := newServer(t, Config{EmbeddingDim: 4, APIKey: "k1"})
	c := http.DefaultClient
	status, _, body := post(t, c, strings.TrimSuffix(s.URL(), "/v1")+"/api/v1/embeddings", "Bearer k1", map[string]any{"model": "e", "input": []string{"a", "b"}})
	var out chatOut
	if status != 200 || json.Unmarshal(body, &out) != nil || len(out.Data) != 2 || len(out.Data[1].Embedding) != 4 {
		t.Fatalf("embeddings: %d %s", status, body)
	}
	if out.Data[0].Embedding[0] != HashVector("a", 4)[0] {
		t.Error("default vectors are not the text hash")
	}
	if status, _, _ := post(t, c, s.URL()+"/chat/completions", "Bearer wrong", chat("x")); status != 401 {
		t.Errorf("wrong key: %d", status)
	}
	if status, _, _ := post(t, c, s.URL()+"/chat/completions", "Bearer k1", map[string]any{"model": "m"}); status != 400 {
		t.Errorf("no messages: %d", status)
	}
	if status, _, _ := post(t, c, s.URL()+"/models", "Bearer k1", nil); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
	if got := s.CountByStatus(); got[200] != 1 || got[401] != 1 || got[400] != 1 || got[404] != 1 {
		t.Errorf("counts %v", got)
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t, Config{Seed: 1, Handler: func(Request) Reply { return Reply{Content: "0123456789"} }})
	c := http.DefaultClient

	s.SetFaults(Faults{RateLimit: 1, RetryAfter: "3"})
	status, h, _ := post(t, c, s.URL()+"/chat/completions", "", chat("x"))
	if status != 429 || h.Get("Retry-After") != "3" {
		t.Errorf("rate limit: %d %v", status, h)
	}
	s.SetFaults(Faults{ServerError: 1})
	if status, _, _ := post(t, c, s.URL()+"/chat/completions", "", chat("x")); status != 500 {
		t.Errorf("server error: %d", status)
	}
	s.SetFaults(Faults{Malformed: 1})
	_, _, body := post(t, c, s.URL()+"/chat/completions", "", chat("x"))
	if json.Valid(body) {
		t.Errorf("malformed body is valid JSON: %s", body)
	}
	s.SetFaults(Faults{Truncated: 1})
	_, _, body = post(t, c, s.URL()+"/chat/completions", "", chat("x"))
	var out chatOut
	json.Unmarshal(body, &out)
	if out.Choices[0].Message.Content != "01234" || out.Choices[0].FinishReason != "length" {
		t.Errorf("truncated: %s", body)
	}

	s.SetFaults(Faults{Hang: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}]}`))
	start := time.Now()
	if _, err := c.Do(req); err == nil {
		t.Error("hang answered")
	}
	if time.Since(start) > time.Second {
		t.Error("hang outlived the client's deadline")
	}

	// Rates are honoured roughly, from a seeded source.
	s.SetFaults(Faults{ServerError: 0.3})
	before := s.CountByStatus()[500]
	for range 200 {
		post(t, c, s.URL()+"/chat/completions", "", chat("x"))
	}
	if n := s.CountByStatus()[500] - before; n < 35 || n > 85 {
		t.Errorf("%d/200 injected 500s at rate 0.3", n)
	}
}

func TestHandlerPanicIsA500(t *testing.T) {
	s := newServer(t, Config{Handler: func(Request) Reply { panic("script bug") }})
	status, _, body := post(t, http.DefaultClient, s.URL()+"/chat/completions", "", chat("x"))
	if status != 500 || !strings.Contains(string(body), "script bug") {
		t.Errorf("%d %s", status, body)
	}
	// The server still answers.
	s.Enqueue(Reply{Content: "fine"})
	if status, _, _ := post(t, http.DefaultClient, s.URL()+"/chat/completions", "", chat("x")); status != 200 {
		t.Errorf("after a panic: %d", status)
	}
}

// The bench runs 512 parallel requests at 200 ms latency: the fake must serve them all at once.
func TestSustains512ConcurrentRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	// The latency is long enough that every request is in flight at once even on a loaded
	// machine: what is checked is overlap, not speed.
	const n, latency = 512, 2 * time.Second
	s := newServer(t, Config{Latency: latency, NoRecord: true, Handler: func(Request) Reply { return Reply{Content: "ok"} }})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	start := time.Now()
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"x"}]}`))
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("%d requests at %v latency in %v, peak in flight %d", n, latency, el, s.PeakInFlight())
	if s.Count() != n || s.CountByStatus()[200] != n {
		t.Errorf("count %d, by status %v", s.Count(), s.CountByStatus())
	}
	if raceEnabled {
		return // the detector's slowdown makes timing meaningless; correctness is checked above
	}
	if s.PeakInFlight() < n*9/10 {
		t.Errorf("peak in flight %d of %d: requests were serialised", s.PeakInFlight(), n)
	}
	if el > 5*latency {
		t.Errorf("took %v for one round of %v latency", el, latency)
	}
}

// newServer starts a server closed when the test ends (llmtest.NewServer, which imports this package).
func newServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s := Start(cfg)
	tb.Cleanup(s.Close)
	return s
}

// Embedding values go out as the shortest decimal of their float64, or with Float32 of their
// float32 (as hosted APIs write them); a value JSON cannot hold is a 500, not a broken body.
func TestEmbeddingNumbersFloat64AndFloat32(t *testing.T) {
	vec := []float64{0.1, -1.0 / 3, 1e-300, 12345.678901234567}
	for _, f32 := range []bool{false, true} {
		s := newServer(t, Config{Float32: f32, Handler: func(Request) Reply { return Reply{Vectors: [][]float64{vec}} }})
		status, _, body := post(t, http.DefaultClient, s.URL()+"/embeddings", "", map[string]any{"model": "e", "input": []string{"a"}})
		var out struct {
			Data []struct {
				Embedding []float64 `json:"embedding"`
			} `json:"data"`
		}
		if status != 200 || json.Unmarshal(body, &out) != nil || len(out.Data) != 1 {
			t.Fatalf("float32 %v: %d %s", f32, status, body)
		}
		for i, x := range vec {
			want := x
			if f32 {
				want, _ = strconv.ParseFloat(strconv.FormatFloat(float64(float32(x)), 'g', -1, 32), 64)
			}
			if got := out.Data[0].Embedding[i]; got != want {
				t.Errorf("float32 %v: value %d read back as %v, want %v", f32, i, got, want)
			}
		}
	}
	s := newServer(t, Config{Handler: func(Request) Reply { return Reply{Vectors: [][]float64{{math.NaN()}}} }})
	if status, _, _ := post(t, http.DefaultClient, s.URL()+"/embeddings", "", map[string]any{"model": "e", "input": []string{"a"}}); status != 500 {
		t.Errorf("NaN embedding: status %d, want 500", status)
	}
}
