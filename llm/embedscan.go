package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unsafe"
)

// scanEmbeddings is decodeEmbeddings' fast path for the usual response, arrays of numbers: it
// lifts each "embedding" array out of the body, parses its numbers itself, and leaves encoding/json
// only the small rest, where each array became its ordinal. Whatever it does not recognise
// (a base64 string, a number outside JSON's grammar, a key it cannot place) makes it give up
// (ok false), and the full decoder then answers, with its errors. Where it succeeds the vectors
// are the full decoder's to the bit: the same strconv.ParseFloat on the same tokens.
func scanEmbeddings(body []byte, inputs int) (vecs [][]float64, tokens int64, ok bool) {
	const key = `"embedding"`
	var arrays [][]float64
	skeleton := make([]byte, 0, 512)
	rest := body
	for {
		at := bytes.Index(rest, []byte(key))
		if at < 0 {
			break
		}
		colon := skipSpace(rest, at+len(key))
		if colon >= len(rest) || rest[colon] != ':' {
			// "embedding" as a value ("object":"embedding"): copy it and go on.
			skeleton = append(skeleton, rest[:at+len(key)]...)
			rest = rest[at+len(key):]
			continue
		}
		open := skipSpace(rest, colon+1)
		if open >= len(rest) || rest[open] != '[' {
			return nil, 0, false
		}
		vec, end, err := parseNumbers(rest, open+1)
		if err != nil {
			return nil, 0, false
		}
		skeleton = append(skeleton, rest[:open]...)
		skeleton = strconv.AppendInt(skeleton, int64(len(arrays)), 10)
		arrays = append(arrays, vec)
		rest = rest[end:]
	}
	skeleton = append(skeleton, rest...)
	var r struct {
		Data []struct {
			Index     int64 `json:"index"`
			Embedding *int  `json:"embedding"`
		} `json:"data"`
		Usage struct {
			PromptTokens int64 `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if json.Unmarshal(skeleton, &r) != nil || len(r.Data) != len(arrays) {
		return nil, 0, false
	}
	vecs = make([][]float64, inputs)
	used := make([]bool, len(arrays))
	for _, d := range r.Data {
		e := d.Embedding
		if e == nil || *e < 0 || *e >= len(arrays) || used[*e] || d.Index < 0 || int(d.Index) >= inputs || vecs[d.Index] != nil {
			return nil, 0, false
		}
		used[*e] = true
		vecs[d.Index] = arrays[*e]
	}
	for _, v := range vecs {
		if len(v) == 0 {
			return nil, 0, false
		}
	}
	return vecs, r.Usage.PromptTokens, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// parseNumbers reads JSON numbers separated by commas from b[i:] up to the closing bracket and
// returns them with the index after the bracket. Both decoders read arrays with it, so a number
// parses the same whichever takes the response.
func parseNumbers(b []byte, i int) ([]float64, int, error) {
	size := 1
	if end := bytes.IndexByte(b[i:], ']'); end >= 0 {
		size += bytes.Count(b[i:i+end], []byte(","))
	}
	out := make([]float64, 0, size)
	i = skipSpace(b, i)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, nil
	}
	for {
		i = skipSpace(b, i)
		start := i
		for i < len(b) && b[i] != ',' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
			i++
		}
		tok := b[start:i]
		if !jsonNumber(tok) {
			return nil, 0, fmt.Errorf("embedding element %d: %.40q is not a JSON number", len(out), tok)
		}
		// The token is not kept: the string shares b's bytes only for the call.
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 64)
		if err != nil {
			return nil, 0, fmt.Errorf("embedding element %d: %w", len(out), err)
		}
		out = append(out, f)
		i = skipSpace(b, i)
		switch {
		case i >= len(b):
			return nil, 0, fmt.Errorf("embedding: the array is not closed after element %d", len(out)-1)
		case b[i] == ']':
			return out, i + 1, nil
		case b[i] != ',':
			return nil, 0, fmt.Errorf("embedding: %q after element %d", b[i], len(out)-1)
		}
		i++
	}
}

// jsonNumber reports whether tok is a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(tok []byte) bool {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(tok) && tok[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(tok)
}
