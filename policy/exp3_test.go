package policy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func newTestPolicy(t *testing.T, name string, k int, cfg Config, seed uint64) Policy {
	t.Helper()
	pol, err := New(name, Params{Arms: testArms(k), Rand: rand.New(rand.NewPCG(seed, 1)), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

func mustSelect(t *testing.T, pol Policy, turn int) Choice {
	t.Helper()
	c, err := pol.Select(turn, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustUpdate(t *testing.T, pol Policy, turn, arm int, r float64) {
	t.Helper()
	if err := pol.Update(Feedback{Turn: turn, Arm: arm, Reward: r}); err != nil {
		t.Fatal(err)
	}
}

func assertProbs(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("probs %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("probs %v, want %v", got, want)
		}
	}
}

// TestAuer2002_Exp3_Figure1_Updates replays Figure 1 by hand, with plain (not log-domain) weights:
// p_i = (1-γ) w_i/Σw + γ/K, x̂ = r/p for the drawn arm only, w ← w·exp(γ x̂/K).
func TestAuer2002_Exp3_Figure1_Updates(t *testing.T) {
	const k, gamma = 3, 0.3
	cfg := DefaultConfig()
	cfg.Gamma = gamma
	pol := newTestPolicy(t, "exp3", k, cfg, 1)
	w := []float64{1, 1, 1}
	hand := func() []float64 {
		sum := w[0] + w[1] + w[2]
		p := make([]float64, k)
		for i := range p {
			p[i] = (1-gamma)*w[i]/sum + gamma/k
		}
		return p
	}
	for turn, r := range []float64{0.6, 1, 0, 0.25, 0.9} {
		c := mustSelect(t, pol, turn)
		want := hand()
		assertProbs(t, c.Probs, want)
		if c.Prob != c.Probs[c.Arm] {
			t.Fatalf("turn %d: Prob %v is not Probs[%d] = %v", turn, c.Prob, c.Arm, c.Probs[c.Arm])
		}
		mustUpdate(t, pol, turn, c.Arm, r)
		w[c.Arm] *= math.Exp(gamma * (r / want[c.Arm]) / k)
	}
	assertProbs(t, mustSelect(t, pol, 5).Probs, hand())
}

// TestAuer2002_Exp3_Corollary32_GammaTuning: γ = min(1, sqrt(K ln K / ((e-1) g))), or Config.Gamma.
func TestAuer2002_Exp3_Corollary32_GammaTuning(t *testing.T) {
	tests := []struct {
		name    string
		k       int
		horizon int
		gamma   float64
		want    float64
	}{
		{"artifact's K=13, T=1000", 13, 1000, 0, math.Sqrt(13 * math.Log(13) / ((math.E - 1) * 1000))},
		{"one episode saturates at 1", 13, 19, 0, 1},
		{"two arms, g=100", 2, 100, 0, math.Sqrt(2 * math.Log(2) / ((math.E - 1) * 100))},
		{"explicit gamma wins", 13, 1000, 0.25, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Horizon, cfg.Gamma = tt.horizon, tt.gamma
			pol := newTestPolicy(t, "exp3", tt.k, cfg, 1).(*exp3)
			if math.Abs(pol.gamma-tt.want) > 1e-15 {
				t.Fatalf("gamma %v, want %v", pol.gamma, tt.want)
			}
		})
	}
	if g := exp3Gamma(13, 1000); math.Abs(g-0.1393) > 5e-4 {
		t.Fatalf("also-method.md 2.3 quotes gamma ≈ 0.139 for K=13, T=1000; got %v", g)
	}
}

// TestAuer2002_Exp3_ImportanceWeighting: only the drawn arm's weight moves, by γ (r/p)/K in log space.
func TestAuer2002_Exp3_ImportanceWeighting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Gamma = 0.2
	pol := newTestPolicy(t, "exp3", 4, cfg, 3).(*exp3)
	c := mustSelect(t, pol, 0)
	mustUpdate(t, pol, 0, c.Arm, 0.5)
	for i, lw := range pol.logw {
		want := 0.0
		if i != c.Arm {
			// Shifted so the maximum is 0: the drawn arm is at 0, the others below by its increment.
			want = -0.2 * (0.5 / 0.25) / 4
		}
		if math.Abs(lw-want) > 1e-15 {
			t.Fatalf("log-weights %v after rewarding arm %d", pol.logw, c.Arm)
		}
	}
}

func TestExp3_FeedbackBookkeeping(t *testing.T) {
	pol := newTestPolicy(t, "exp3", 3, DefaultConfig(), 1)
	// The forced opening arm has no propensity and is ignored, not an error.
	mustUpdate(t, pol, 0, 0, 1)
	assertProbs(t, mustSelect(t, pol, 1).Probs, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3})

	c := mustSelect(t, pol, 1)
	wrong := (c.Arm + 1) % 3
	if err := pol.Update(Feedback{Turn: 1, Arm: wrong, Reward: 1}); err == nil || !strings.Contains(err.Error(), "was selected") {
		t.Fatalf("update for an arm that was not drawn: err %v", err)
	}
	mustUpdate(t, pol, 1, c.Arm, 1)
	if err := pol.Update(Feedback{Turn: 2, Arm: c.Arm, Reward: 1}); err == nil || !strings.Contains(err.Error(), "without a selection") {
		t.Fatalf("second update for one draw: err %v", err)
	}
}

// TestExp3_LongRunStaysFinite: importance weights of 1/p with small p must not overflow.
func TestExp3_LongRunStaysFinite(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Gamma = 1e-3
	pol := newTestPolicy(t, "exp3", 5, cfg, 9)
	for turn := range 20000 {
		c := mustSelect(t, pol, turn)
		mustUpdate(t, pol, turn, c.Arm, 1)
	}
	c := mustSelect(t, pol, 20000)
	sum := 0.0
	for _, p := range c.Probs {
		if math.IsNaN(p) || p < cfg.Gamma/5-1e-15 {
			t.Fatalf("probs %v: below the γ/K floor or NaN", c.Probs)
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Fatalf("probs %v sum to %v", c.Probs, sum)
	}
}
