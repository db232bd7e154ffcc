package llm

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// Our decoder must give exactly the vectors openai-go's would, for every way a server may
// write the numbers.
func TestDecodeEmbeddingsMatchesOpenAIGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var nums []string
	for range 2000 {
		x := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-8))
		switch rng.IntN(4) {
		case 0:
			nums = append(nums, fmt.Sprint(float32(x))) // float32 shortest form, as the APIs send
		case 1:
			nums = append(nums, fmt.Sprintf("%.10e", x))
		case 2:
			nums = append(nums, fmt.Sprintf("%.17g", x))
		default:
			nums = append(nums, fmt.Sprintf("%.9f", x))
		}
	}
	nums = append(nums, "0", "-0", "1", "-1E-7", "3.0e+2")
	raw := make([]byte, 4*3)
	for i, f := range []float32{0.25, -1.5e-3, 7} {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	body := fmt.Sprintf(`{"object":"list","model":"m","data":[`+
		`{"object":"embedding","index":1,"embedding":[%s]},`+
		`{"object":"embedding","index":0,"embedding": [ %s ] },`+
		`{"object":"embedding","index":2,"embedding":%q}],"usage":{"prompt_tokens":17,"total_tokens":17}}`,
		strings.Join(nums, ","), strings.Join(nums[:5], " , "), base64.StdEncoding.EncodeToString(raw))
	got, tokens, err := decodeEmbeddings([]byte(body), 3)
	if err != nil {
		t.Fatal(err)
	}
	var want openai.CreateEmbeddingResponse
	if err := json.Unmarshal([]byte(body), &want); err != nil {
		t.Fatal(err)
	}
	if tokens != want.Usage.PromptTokens {
		t.Errorf("prompt tokens %d, want %d", tokens, want.Usage.PromptTokens)
	}
	for _, d := range want.Data {
		g := got[d.Index]
		if len(g) != len(d.Embedding) {
			t.Fatalf("input %d: %d values, openai-go %d", d.Index, len(g), len(d.Embedding))
		}
		for i := range g {
			if math.Float64bits(g[i]) != math.Float64bits(d.Embedding[i]) {
				t.Fatalf("input %d value %d: %v, openai-go %v", d.Index, i, g[i], d.Embedding[i])
			}
		}
	}
	if got[2][1] != float64(float32(-1.5e-3)) {
		t.Errorf("base64 vector %v", got[2])
	}
}

func TestDecodeEmbeddingsRejectsBadResponses(t *testing.T) {
	for name, body := range map[string]string{
		"not json":        `{"data":[`,
		"trailing comma":  `{"data":[{"index":0,"embedding":[1,2,]}]}`,
		"bad number":      `{"data":[{"index":0,"embedding":[1,"x"]}]}`,
		"not an array":    `{"data":[{"index":0,"embedding":{"a":1}}]}`,
		"missing input":   `{"data":[{"index":0,"embedding":[1,2]}]}`,
		"index past":      `{"data":[{"index":0,"embedding":[1]},{"index":2,"embedding":[1]}]}`,
		"duplicate index": `{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]}`,
		"empty vector":    `{"data":[{"index":0,"embedding":[]},{"index":1,"embedding":[1]}]}`,
		"odd base64":      `{"data":[{"index":0,"embedding":"AAA="},{"index":1,"embedding":[1]}]}`,
	} {
		inputs := 2
		if name == "trailing comma" || name == "bad number" || name == "not an array" {
			inputs = 1
		}
		if _, _, err := decodeEmbeddings([]byte(body), inputs); !errors.Is(err, ErrBadResponse) {
			t.Errorf("%s: err %v, want ErrBadResponse", name, err)
		}
	}
}

// BenchmarkDecodeEmbedding4096 compares the decoders on one 4096-d vector (go test -bench
// DecodeEmbedding ./llm).
func BenchmarkDecodeEmbedding4096(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	nums := make([]string, 4096)
	for i := range nums {
		nums[i] = fmt.Sprint(float32(rng.NormFloat64() * 0.02))
	}
	body := []byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[` + strings.Join(nums, ",") + `]}],"model":"m","usage":{"prompt_tokens":3,"total_tokens":3}}`)
	b.Run("also", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := decodeEmbeddings(body, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("openai-go", func(b *testing.B) {
		for b.Loop() {
			var r openai.CreateEmbeddingResponse
			if err := json.Unmarshal(body, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The fast path takes the usual responses and gives exactly the full decoder's vectors; anything
// unusual it leaves to the full decoder, whose answer (vectors or error) is then decodeEmbeddings'.
func TestScanEmbeddingsAgreesWithTheFullDecoder(t *testing.T) {
	nums := []string{"0", "-0", "1", "-1E-7", "3.0e+2", "0.1234567", "-2.5e-05", "12345678901234567890"}
	usual := map[string]string{
		"compact": `{"object":"list","data":[{"object":"embedding","index":1,"embedding":[` + strings.Join(nums, ",") +
			`]},{"object":"embedding","index":0,"embedding":[1,2]}],"model":"m","usage":{"prompt_tokens":9,"total_tokens":9}}`,
		"spaced": "{ \"data\" : [ { \"embedding\" :\n [ 1.5 , -2 ,\t3e1 ] , \"index\" : 0 } ] , \"usage\" : { \"prompt_tokens\" : 4 } }",
		"empty":  `{"data":[{"index":0,"embedding":[]}]}`,
	}
	for name, body := range usual {
		inputs := strings.Count(body, `"index"`)
		fast, ft, ok := scanEmbeddings([]byte(body), inputs)
		full, jt, err := decodeEmbeddingsJSON([]byte(body), inputs)
		if name == "empty" {
			if ok || err == nil {
				t.Errorf("empty vector: fast ok %v, full err %v", ok, err)
			}
			continue
		}
		if !ok || err != nil || ft != jt || len(fast) != len(full) {
			t.Fatalf("%s: fast ok %v tokens %d, full err %v tokens %d", name, ok, ft, err, jt)
		}
		for i := range fast {
			for j := range fast[i] {
				if math.Float64bits(fast[i][j]) != math.Float64bits(full[i][j]) {
					t.Fatalf("%s: vector %d value %d: %v, full %v", name, i, j, fast[i][j], full[i][j])
				}
			}
		}
	}
	unusual := map[string]string{
		"base64":           `{"data":[{"index":0,"embedding":"AACAPw=="}]}`,
		"plus sign":        `{"data":[{"index":0,"embedding":[+1]}]}`,
		"leading zero":     `{"data":[{"index":0,"embedding":[01]}]}`,
		"bare fraction":    `{"data":[{"index":0,"embedding":[.5]}]}`,
		"nan":              `{"data":[{"index":0,"embedding":[NaN]}]}`,
		"hex":              `{"data":[{"index":0,"embedding":[0x1p-2]}]}`,
		"short exponent":   `{"data":[{"index":0,"embedding":[1e]}]}`,
		"trailing comma":   `{"data":[{"index":0,"embedding":[1,]}]}`,
		"unclosed":         `{"data":[{"index":0,"embedding":[1,2`,
		"key in a key":     `{"data":[{"index":0,"x\"embedding":[9],"embedding":[1]}]}`,
		"embedding object": `{"data":[{"index":0,"embedding":{"a":[1]}}]}`,
		"two embeddings":   `{"data":[{"index":0,"embedding":[1],"embedding":[2]}]}`,
	}
	for name, body := range unusual {
		fast, _, ok := scanEmbeddings([]byte(body), 1)
		full, _, err := decodeEmbeddingsJSON([]byte(body), 1)
		if ok && (err != nil || !slices.Equal(fast[0], full[0])) {
			t.Errorf("%s: the fast path took it (%v) where the full decoder says %v, %v", name, fast, full, err)
		}
		got, _, gerr := decodeEmbeddings([]byte(body), 1)
		if (gerr == nil) != (err == nil) || (err == nil && !slices.Equal(got[0], full[0])) {
			t.Errorf("%s: decodeEmbeddings %v, %v; full decoder %v, %v", name, got, gerr, full, err)
		}
	}
	if _, _, ok := scanEmbeddings([]byte(unusual["base64"]), 1); ok {
		t.Error("the fast path took a base64 embedding")
	}
}

// FuzzScanEmbeddings: whatever the body, the fast path either gives up or agrees with the full
// decoder bit for bit (go test -fuzz ScanEmbeddings ./llm explores beyond the seeds).
func FuzzScanEmbeddings(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"index":0,"embedding":[1,2.5e-3,-0]}],"usage":{"prompt_tokens":3}}`,
		`{"data":[{"index":1,"embedding":[1]},{"index":0,"embedding":[2]}]}`,
		`{"data":[{"object":"embedding","index":0,"embedding":[ 1 ,2 ]}]}`,
		`{"data":[{"index":0,"embedding":"AACAPw=="}]}`,
	} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, body []byte, inputs int) {
		if inputs < 0 || inputs > 8 {
			return
		}
		fast, ft, ok := scanEmbeddings(body, inputs)
		if !ok {
			return
		}
		full, jt, err := decodeEmbeddingsJSON(body, inputs)
		if err != nil || ft != jt || len(fast) != len(full) {
			t.Fatalf("fast path took %q: full decoder err %v", body, err)
		}
		for i := range fast {
			if len(fast[i]) != len(full[i]) {
				t.Fatalf("%q: vector %d lengths %d, %d", body, i, len(fast[i]), len(full[i]))
			}
			for j := range fast[i] {
				if math.Float64bits(fast[i][j]) != math.Float64bits(full[i][j]) {
					t.Fatalf("%q: vector %d value %d differs", body, i, j)
				}
			}
		}
	})
}
