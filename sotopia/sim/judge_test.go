package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/also-project/also/sotopia"
)

// fitPoints always hits the total exactly with every dimension in [0, 10], and follows the shape:
// a dimension shaped higher never ends lower than one shaped lower with the same weight.
func TestFitPoints(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for range 5000 {
		var shape [sotopia.NumDimensions]float64
		for d := range shape {
			shape[d] = 10 * r.Float64()
		}
		total := r.IntN(71)
		pts := fitPoints(shape, total)
		sum := 0
		for _, p := range pts {
			if p < 0 || p > 10 {
				t.Fatalf("points %v out of range", pts)
			}
			sum += p
		}
		if sum != total {
			t.Fatalf("points %v sum to %d, want %d", pts, sum, total)
		}
		rel, goal := sotopia.Relationship, sotopia.Goal // both weight 1
		if shape[goal] > shape[rel]+1 && pts[goal] < pts[rel] {
			t.Fatalf("shape %v gave %v: goal below relationship", shape, pts)
		}
	}
}
