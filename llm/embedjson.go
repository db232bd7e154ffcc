package llm

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// The embeddings response is decoded here rather than by openai-go: its decoder (reflection
// plus gjson, per element) spent about 6 ms of CPU on each 4096-d vector, which at the paper's
// scale competed with the surrogates' training for the cores. The values are the same: every
// number goes through strconv.ParseFloat, as in openai-go, and a base64 string (a server that
// answers in that format whatever was asked) is read as little-endian float32 as it does.

// embedResponse is the part of an OpenAI embeddings response the client uses.
type embedResponse struct {
	Data []struct {
		Index     int64       `json:"index"`
		Embedding embedVector `json:"embedding"`
	} `json:"data"`
	Usage struct {
		PromptTokens int64 `json:"prompt_tokens"`
	} `json:"usage"`
}

// embedVector is one embedding: a JSON array of numbers, or a base64 string of float32s.
type embedVector []float64

func (v *embedVector) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*v = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		return v.fromBase64(b)
	case len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']':
		return fmt.Errorf("embedding: want an array of numbers, got %.40q", b)
	}
	out, end, err := parseNumbers(b, 1)
	if err == nil && end != len(b) {
		err = fmt.Errorf("embedding: %d bytes after the array", len(b)-end)
	}
	if err != nil {
		return err
	}
	*v = out
	return nil
}

func (v *embedVector) fromBase64(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("embedding: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw)%4 != 0 {
		return fmt.Errorf("embedding: a string that is not base64 float32s (%d bytes, %v)", len(raw), err)
	}
	out := make([]float64, len(raw)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:])))
	}
	*v = out
	return nil
}

// decodeEmbeddings turns a response body into one vector per input, in input order.
func decodeEmbeddings(body []byte, inputs int) ([][]float64, int64, error) {
	if vecs, tokens, ok := scanEmbeddings(body, inputs); ok {
		return vecs, tokens, nil
	}
	return decodeEmbeddingsJSON(body, inputs)
}

// decodeEmbeddingsJSON is the full decoder (encoding/json), for any response scanEmbeddings does
// not take, and the errors.
func decodeEmbeddingsJSON(body []byte, inputs int) ([][]float64, int64, error) {
	var r embedResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, 0, fmt.Errorf("%w: embeddings response: %v", ErrBadResponse, err)
	}
	vecs := make([][]float64, inputs)
	for _, d := range r.Data {
		if d.Index < 0 || int(d.Index) >= inputs || vecs[d.Index] != nil {
			return nil, r.Usage.PromptTokens, fmt.Errorf("%w: embedding index %d for %d inputs", ErrBadResponse, d.Index, inputs)
		}
		vecs[d.Index] = d.Embedding
	}
	for i, v := range vecs {
		if len(v) == 0 {
			return nil, r.Usage.PromptTokens, fmt.Errorf("%w: no embedding for input %d", ErrBadResponse, i)
		}
	}
	return vecs, r.Usage.PromptTokens, nil
}
