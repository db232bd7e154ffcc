package fakellm

import (
	"hash/fnv"
	"math"
	"strings"
	"testing"
)

// hashVectorReference is HashVector written plainly with hash/fnv: the interleaved version must
// give the same vectors bit for bit (recorded runs against the fake server depend on them).
func hashVectorReference(text string, dim int) []float64 {
	v := make([]float64, dim)
	var norm float64
	for i := range v {
		h := fnv.New64a()
		h.Write([]byte{byte(i), byte(i >> 8)})
		h.Write([]byte(text))
		v[i] = float64(int64(h.Sum64()>>11))/float64(1<<52) - 1
		norm += v[i] * v[i]
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] /= norm
	}
	return v
}

func TestHashVectorMatchesFNVReference(t *testing.T) {
	for _, text := range []string{"", "a", "arm a", "Ünïcode bios", strings.Repeat("long arm text ", 90)} {
		for _, dim := range []int{1, 3, 7, 8, 9, 64, 300, 4096} {
			got, want := HashVector(text, dim), hashVectorReference(text, dim)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("text %.20q dim %d: component %d = %v, want %v", text, dim, i, got[i], want[i])
				}
			}
		}
	}
}

func BenchmarkHashVector4096(b *testing.B) {
	text := strings.Repeat("long arm text ", 90)
	for b.Loop() {
		HashVector(text, 4096)
	}
}

func BenchmarkHashVectorReference4096(b *testing.B) {
	text := strings.Repeat("long arm text ", 90)
	for b.Loop() {
		hashVectorReference(text, 4096)
	}
}
