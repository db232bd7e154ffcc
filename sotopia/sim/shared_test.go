package sim

import (
	"math"
	"slices"
	"testing"
)

// TestSharedPrefAlignsScenarios: at SharedPref 1 every scenario's theta(1) is the shared vector
// (whatever the task or seed), at 0 they are unrelated, and in between the cosine grows with s.
func TestSharedPrefAlignsScenarios(t *testing.T) {
	cosine := func(s float64) float64 {
		cfg := DefaultConfig()
		cfg.SharedPref = s
		a, b := newTestGame(t, cfg, 3, 5).Theta(0), newTestGame(t, cfg, 9, 77).Theta(0)
		return dot(a, b) / math.Sqrt(dot(a, a)*dot(b, b))
	}
	c0, cHalf, c1 := cosine(0), cosine(0.5), cosine(1)
	if math.Abs(c1-1) > 1e-9 {
		t.Errorf("SharedPref 1: cos = %v between scenarios, want 1", c1)
	}
	if !(c0 < cHalf && cHalf < c1) {
		t.Errorf("cos across scenarios not increasing with SharedPref: 0 -> %v, 0.5 -> %v, 1 -> %v", c0, cHalf, c1)
	}
}

// TestSharedPrefZeroKeepsTheta: the default 0 leaves theta exactly as drawn before the setting existed.
func TestSharedPrefZeroKeepsTheta(t *testing.T) {
	g := newTestGame(t, DefaultConfig(), 3, 5)
	s := &g.m.seats[0]
	want := make([]float64, len(s.base))
	g.m.drawTheta(stream(5, g.m.task, "theta", "0"), s, want, -1)
	if !slices.Equal(g.Theta(0), want) {
		t.Error("SharedPref 0 changed theta(1)")
	}
}
