package llm

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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
