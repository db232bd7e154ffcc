package policy

import (
	"math"
	"testing"
)

// TestNeu2015_Exp3IX_Algorithm1 replays Algorithm 1 by hand: p = w/Σw, ℓ̂ = (1-r)/(p+γ) for the
// drawn arm, w ← w·exp(-η ℓ̂), with η = sqrt(2 ln K/(K T)) and γ = η/2.
func TestNeu2015_Exp3IX_Algorithm1(t *testing.T) {
	const k, horizon = 4, 100
	eta := math.Sqrt(2 * math.Log(k) / (k * horizon))
	gamma := eta / 2
	cfg := DefaultConfig()
	cfg.Horizon = horizon
	pol := newTestPolicy(t, "exp3-ix", k, cfg, 5)
	if ix := pol.(*exp3IX); math.Abs(ix.eta-eta) > 1e-15 || math.Abs(ix.gamma-gamma) > 1e-15 {
		t.Fatalf("eta, gamma = %v, %v; want %v, %v", ix.eta, ix.gamma, eta, gamma)
	}
	w := []float64{1, 1, 1, 1}
	hand := func() []float64 {
		sum := w[0] + w[1] + w[2] + w[3]
		p := make([]float64, k)
		for i := range p {
			p[i] = w[i] / sum
		}
		return p
	}
	for turn, r := range []float64{0.2, 0.9, 0, 1, 0.5, 0.1} {
		c := mustSelect(t, pol, turn)
		want := hand()
		assertProbs(t, c.Probs, want)
		mustUpdate(t, pol, turn, c.Arm, r)
		w[c.Arm] *= math.Exp(-eta * (1 - r) / (want[c.Arm] + gamma))
	}
	assertProbs(t, mustSelect(t, pol, 6).Probs, hand())
}

// TestNeu2015_Exp3IX_RewardOfOneIsNoLoss: with losses 1-r, a full reward leaves the weights alone.
func TestNeu2015_Exp3IX_RewardOfOneIsNoLoss(t *testing.T) {
	pol := newTestPolicy(t, "exp3-ix", 3, DefaultConfig(), 2)
	for turn := range 10 {
		c := mustSelect(t, pol, turn)
		assertProbs(t, c.Probs, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3})
		mustUpdate(t, pol, turn, c.Arm, 1)
	}
}

func TestExp3IX_RejectsMismatchedFeedback(t *testing.T) {
	pol := newTestPolicy(t, "exp3-ix", 3, DefaultConfig(), 2)
	c := mustSelect(t, pol, 0)
	if err := pol.Update(Feedback{Arm: (c.Arm + 1) % 3, Reward: 0.5}); err == nil {
		t.Fatal("update for an arm that was not drawn was accepted")
	}
}
