package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// randomData draws n rows of standard-normal inputs and uniform [0, 1) targets.
func randomData(rng *rand.Rand, n int, spec Spec) Dataset {
	d := Dataset{X: make([]float64, n*spec.In), Y: make([]float64, n*spec.Out), N: n}
	for i := range d.X {
		d.X[i] = rng.NormFloat64()
	}
	for i := range d.Y {
		d.Y[i] = rng.Float64()
	}
	return d
}

func mustMLP(t testing.TB, spec Spec, rng *rand.Rand) *MLP {
	t.Helper()
	m, err := NewMLP(spec)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rng)
	return m
}

// params flattens every parameter, layer by layer, weights then biases.
func params(m *MLP) []float64 {
	var out []float64
	for _, l := range m.Layers {
		out = append(out, l.Weights()...)
		out = append(out, l.Bias()...)
	}
	return out
}

// maxRelDiff is max_i |a_i - b_i| / max(1, |a_i|, |b_i|).
func maxRelDiff(a, b []float64) float64 {
	worst := 0.0
	for i := range a {
		d := math.Abs(a[i]-b[i]) / math.Max(1, math.Max(math.Abs(a[i]), math.Abs(b[i])))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst
}

func mustWorkspace(t testing.TB, k kernels) *Workspace {
	t.Helper()
	return &Workspace{k: k}
}
