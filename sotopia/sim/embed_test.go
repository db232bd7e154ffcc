package sim

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

func mustEmbedder(t testing.TB, dim int) *HashEmbedder {
	t.Helper()
	h, err := NewHashEmbedder(dim)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func norm(v []float64) float64 { return math.Sqrt(dot(v, v)) }

func TestHashEmbedderBasics(t *testing.T) {
	for _, dim := range []int{0, 8, 256, 4096} {
		h := mustEmbedder(t, dim)
		want := dim
		if dim == 0 {
			want = DefaultDim
		}
		v := h.Vector("I would appreciate some empathy here, Ana.")
		if len(v) != want || h.Dim() != want {
			t.Fatalf("dim %d: vector of length %d", dim, len(v))
		}
		if math.Abs(norm(v)-1) > 1e-12 {
			t.Errorf("dim %d: norm %v, want 1", dim, norm(v))
		}
		if !slices.Equal(v, h.Vector("I would appreciate some empathy here, Ana.")) {
			t.Errorf("dim %d: not deterministic", dim)
		}
	}
	h := mustEmbedder(t, 256)
	if !slices.Equal(h.Vector("Hello WORLD"), h.Vector("hello world")) {
		t.Error("embedding is case-sensitive")
	}
	if !slices.Equal(h.Vector("the cat, and the hat"), h.Vector("cat hat")) {
		t.Error("stop words and punctuation change the embedding")
	}
	if slices.Equal(h.Vector("dog bites man"), h.Vector("man bites dog")) {
		t.Error("word order is lost: bigrams missing")
	}
	if n := norm(h.Vector("")); n != 0 {
		t.Errorf("empty text has norm %v", n)
	}
	if n := norm(h.Vector("... the, and !")); n != 0 {
		t.Errorf("text of stop words has norm %v", n)
	}
	if v := h.Vector("Café Ünïcode ПРИВЕТ"); !slices.Equal(v, h.Vector("café ünïcode привет")) || norm(v) == 0 {
		t.Error("non-ASCII words are not lower-cased or not counted")
	}
	if _, err := NewHashEmbedder(-1); err == nil {
		t.Error("negative dimension accepted")
	}
}

// Texts that share content words are closer than texts that do not.
func TestHashEmbedderSimilarity(t *testing.T) {
	h := mustEmbedder(t, 256)
	a := h.Vector("Let us solve this problem together with creative options and mutual gain.")
	b := h.Vector("Creative options for mutual gain help us solve the problem.")
	c := h.Vector("The deadline is tomorrow and the price is final, take it or leave it.")
	if dot(a, b) < 0.4 || dot(a, c) > 0.2 {
		t.Errorf("cos(related) = %v, cos(unrelated) = %v", dot(a, b), dot(a, c))
	}
}

func TestHashEmbedderEmbed(t *testing.T) {
	h := mustEmbedder(t, 64)
	out, err := h.Embed(context.Background(), []string{"one text", "another text"})
	if err != nil || len(out) != 2 || !slices.Equal(out[0], h.Vector("one text")) {
		t.Fatalf("Embed: %v %v", out, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Embed(ctx, []string{"x"}); err == nil {
		t.Error("cancelled context ignored")
	}
	defer func() {
		if recover() == nil {
			t.Error("EmbedInto accepted a buffer of the wrong length")
		}
	}()
	h.EmbedInto(make([]float64, 3), "x")
}

func longDialogue() string {
	var b strings.Builder
	for i := range 40 {
		b.WriteString(`Ana Lopez said: "I hear you, Ben. I would appreciate some empathy and patience here; what I value is honesty." `)
		b.WriteString(`Ben Smith said: "To be convinced I need rational arguments and data. Let's think about the price, turn ` + itoa(i) + `." `)
	}
	return b.String()
}

func BenchmarkHashEmbedder(b *testing.B) {
	text := longDialogue() // about 2,500 words, a long episode's context
	for _, dim := range []int{256, 4096} {
		b.Run("dim"+itoa(dim), func(b *testing.B) {
			h := mustEmbedder(b, dim)
			dst := make([]float64, dim)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				h.EmbedInto(dst, text)
			}
		})
	}
}
