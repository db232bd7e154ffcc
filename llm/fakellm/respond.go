package fakellm

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
)

type wireRequest struct {
	Model          string          `json:"model"`
	Messages       []Message       `json:"messages"`
	Temperature    *float64        `json:"temperature"`
	MaxTokens      int             `json:"max_tokens"`
	MaxCompletion  int             `json:"max_completion_tokens"`
	Seed           *int64          `json:"seed"`
	ResponseFormat json.RawMessage `json:"response_format"`
	Input          json.RawMessage `json:"input"`
	Provider       json.RawMessage `json:"provider"`
}

// decodeRequest fills the parsed fields of req from the JSON body.
func decodeRequest(req *Request, body []byte) error {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return err
	}
	req.Model, req.Messages, req.Temperature, req.Seed = w.Model, w.Messages, w.Temperature, w.Seed
	req.MaxTokens = max(w.MaxTokens, w.MaxCompletion)
	req.ResponseFormat, req.Provider = w.ResponseFormat, w.Provider
	if req.Model == "" {
		return fmt.Errorf("missing model")
	}
	switch req.Kind {
	case KindChat:
		if len(req.Messages) == 0 {
			return fmt.Errorf("missing messages")
		}
	case KindEmbeddings:
		var one string
		if err := json.Unmarshal(w.Input, &one); err == nil {
			req.Input = []string{one}
			return nil
		}
		if err := json.Unmarshal(w.Input, &req.Input); err != nil || len(req.Input) == 0 {
			return fmt.Errorf("input must be a string or a non-empty array of strings")
		}
	}
	return nil
}

// complete fills token counts and default vectors of a successful reply.
func (s *Server) complete(req Request, r Reply) Reply {
	if r.PromptTokens == 0 {
		r.PromptTokens = tokens(req.Prompt())
	}
	if req.Kind == KindChat && r.CompletionTokens == 0 {
		r.CompletionTokens = tokens(r.Content)
	}
	if r.FinishReason == "" {
		r.FinishReason = "stop"
	}
	if req.Kind == KindEmbeddings && r.Vectors == nil {
		r.Vectors = make([][]float64, len(req.Input))
		for i, text := range req.Input {
			r.Vectors[i] = HashVector(text, s.cfg.EmbeddingDim)
		}
	}
	return r
}

func tokens(text string) int64 { return int64(len(text)/4 + 1) }

// HashVector is the default embedding: a deterministic unit vector derived from the text.
// Component i is FNV-1a 64 of (i as two little-endian bytes ++ text), scaled to [-1, 1), then the
// vector is normalised. The hashes are computed eight components at a time: each is a chain of
// dependent multiplications, so interleaving independent chains keeps the multiplier busy (a
// 4096-d embedding of a long arm text costs the fake server, which shares the machine with the
// run it serves, several times less).
func HashVector(text string, dim int) []float64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
		lanes  = 8
	)
	v := make([]float64, dim)
	var norm float64
	for i0 := 0; i0 < dim; i0 += lanes {
		var h [lanes]uint64
		n := min(lanes, dim-i0)
		for j := range n {
			i := i0 + j
			h[j] = ((offset^uint64(byte(i)))*prime ^ uint64(byte(i>>8))) * prime
		}
		if n == lanes {
			for k := 0; k < len(text); k++ {
				b := uint64(text[k])
				h[0] = (h[0] ^ b) * prime
				h[1] = (h[1] ^ b) * prime
				h[2] = (h[2] ^ b) * prime
				h[3] = (h[3] ^ b) * prime
				h[4] = (h[4] ^ b) * prime
				h[5] = (h[5] ^ b) * prime
				h[6] = (h[6] ^ b) * prime
				h[7] = (h[7] ^ b) * prime
			}
		} else {
			for j := range n {
				for k := 0; k < len(text); k++ {
					h[j] = (h[j] ^ uint64(text[k])) * prime
				}
			}
		}
		for j := range n {
			x := float64(int64(h[j]>>11))/float64(1<<52) - 1
			v[i0+j] = x
			norm += x * x
		}
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] /= norm
	}
	return v
}

func (s *Server) write(w http.ResponseWriter, req Request, r Reply) {
	for k, v := range r.Header {
		w.Header().Set(k, v)
	}
	switch {
	case r.RawBody != "":
		status := http.StatusOK
		if r.Status != 0 {
			status = r.Status
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(r.RawBody))
		s.count(status)
		return
	case r.Status != 0 && r.Status != http.StatusOK:
		writeError(w, r.Status, r.ErrorMessage, nil)
		s.count(r.Status)
		return
	}
	var b []byte
	var err error
	if req.Kind == KindEmbeddings {
		b, err = embeddingsBody(req.Model, r, s.cfg.Float32)
	} else {
		b, err = json.Marshal(map[string]any{
			"id": "chatcmpl-fake-" + strconv.Itoa(req.Seq), "object": "chat.completion", "created": 0, "model": req.Model,
			"choices": []map[string]any{{
				"index": 0, "finish_reason": r.FinishReason, "logprobs": nil,
				"message": map[string]any{"role": "assistant", "content": r.Content, "refusal": nil},
			}},
			"usage": map[string]any{
				"prompt_tokens": r.PromptTokens, "completion_tokens": r.CompletionTokens,
				"total_tokens":          r.PromptTokens + r.CompletionTokens,
				"prompt_tokens_details": map[string]any{"cached_tokens": r.CachedTokens},
			},
		})
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding reply: "+err.Error(), nil)
		s.count(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
	s.count(http.StatusOK)
}

// embeddingsBody writes an embeddings response by hand: encoding/json, through reflection, spent
// more CPU on 4096-d vectors than the client under test (it shares the cores in benchmarks).
// Each number is the shortest decimal that reads back as the same float64 (or, with float32, as
// the same float32).
func embeddingsBody(model string, r Reply, float32Text bool) ([]byte, error) {
	size := 128 + len(model)
	for _, v := range r.Vectors {
		size += 64 + 24*len(v)
	}
	b := make([]byte, 0, size)
	b = append(b, `{"object":"list","model":`...)
	b = appendJSONString(b, model)
	b = append(b, `,"data":[`...)
	for i, v := range r.Vectors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":[`...)
		for j, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("embedding %d value %d is %v, which JSON cannot hold", i, j, x)
			}
			if j > 0 {
				b = append(b, ',')
			}
			if float32Text {
				b = strconv.AppendFloat(b, float64(float32(x)), 'g', -1, 32)
			} else {
				b = strconv.AppendFloat(b, x, 'g', -1, 64)
			}
		}
		b = append(b, "]}"...)
	}
	b = append(b, `],"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, r.PromptTokens, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, r.PromptTokens, 10)
	return append(b, "}}"...), nil
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}

func writeError(w http.ResponseWriter, status int, msg string, header map[string]string) {
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "fake_error", "code": strconv.Itoa(status)}})
	_, _ = w.Write(b)
}
