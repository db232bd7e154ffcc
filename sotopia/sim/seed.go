package sim

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// streamSeed derives an independent seed pair from the episode seed and a label path (task id,
// purpose, seat, turn ...). Every random decision of the world draws from its own stream so that
// adding a draw in one place never shifts the numbers seen elsewhere.
func streamSeed(seed int64, parts ...string) (uint64, uint64) {
	h := uint64(fnvOffset)
	feed := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * fnvPrime
		}
		h = (h ^ 0xff) * fnvPrime // separator: ("ab","c") and ("a","bc") differ
	}
	feed(strconv.FormatInt(seed, 10))
	for _, p := range parts {
		feed(p)
	}
	return mix64(h), mix64(h ^ 0x6a09e667f3bcc909)
}

// stream returns a *rand.Rand for the labelled stream.
func stream(seed int64, parts ...string) *rand.Rand {
	a, b := streamSeed(seed, parts...)
	return rand.New(rand.NewPCG(a, b))
}

func itoa(i int) string { return strconv.Itoa(i) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func dot(a, b []float64) float64 {
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// normalise scales v to unit length in place; a zero vector stays zero.
func normalise(v []float64) {
	n := math.Sqrt(dot(v, v))
	if n == 0 {
		return
	}
	for i := range v {
		v[i] /= n
	}
}

// gaussianUnit fills v with a uniformly random unit direction.
func gaussianUnit(r *rand.Rand, v []float64) {
	for i := range v {
		v[i] = r.NormFloat64()
	}
	normalise(v)
}
