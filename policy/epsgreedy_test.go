package policy

import (
	"math"
	"testing"
)

// TestSuttonBarto_EpsGreedy_ExploitsBestArm: once arm 2 has the best mean, it is chosen with
// probability 1-ε+ε/K and every other arm with ε/K, both in Choice.Probs and in the draws.
func TestSuttonBarto_EpsGreedy_ExploitsBestArm(t *testing.T) {
	tests := []struct {
		eps  float64
		want []float64
	}{
		{0.1, []float64{0.025, 0.025, 0.925, 0.025}},
		{0, []float64{0, 0, 1, 0}},
		{1, []float64{0.25, 0.25, 0.25, 0.25}},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		cfg.Epsilon = tt.eps
		pol := newTestPolicy(t, "eps-greedy", 4, cfg, 4)
		for arm, r := range []float64{0.2, 0.4, 0.9, 0.1} {
			mustUpdate(t, pol, arm, arm, r)
		}
		const draws = 20000
		counts := make([]float64, 4)
		for turn := range draws {
			c := mustSelect(t, pol, turn)
			assertProbs(t, c.Probs, tt.want)
			if math.Abs(c.Prob-tt.want[c.Arm]) > 1e-12 {
				t.Fatalf("eps %v: Prob %v for arm %d, want %v", tt.eps, c.Prob, c.Arm, tt.want[c.Arm])
			}
			counts[c.Arm]++
		}
		for i := range counts {
			// 5 standard deviations of a binomial frequency.
			if tol := 5 * math.Sqrt(tt.want[i]*(1-tt.want[i])/draws); math.Abs(counts[i]/draws-tt.want[i]) > tol+1e-12 {
				t.Fatalf("eps %v: arm %d drawn with frequency %v, want %v", tt.eps, i, counts[i]/draws, tt.want[i])
			}
		}
	}
}

// TestEpsGreedy_SampleAverageAndRandomTies: the estimate is the running mean, and equal means
// split the greedy mass between the tied arms.
func TestEpsGreedy_SampleAverageAndRandomTies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Epsilon = 0
	pol := newTestPolicy(t, "eps-greedy", 3, cfg, 1)
	for _, fb := range []Feedback{{Arm: 0, Reward: 1}, {Arm: 0, Reward: 0}, {Arm: 1, Reward: 0.5}, {Arm: 2, Reward: 0.2}} {
		mustUpdate(t, pol, 0, fb.Arm, fb.Reward)
	}
	assertProbs(t, pol.(*epsGreedy).means, []float64{0.5, 0.5, 0.2})
	seen := map[int]bool{}
	for turn := range 50 {
		c := mustSelect(t, pol, turn)
		assertProbs(t, c.Probs, []float64{0.5, 0.5, 0})
		seen[c.Arm] = true
	}
	if !seen[0] || !seen[1] {
		t.Fatalf("a tie was always broken the same way: %v", seen)
	}
}

// TestEpsGreedy_TriesUnplayedArmsFirst: unplayed arms are greedy ties, so the forced opening arm
// does not become the greedy choice on its first reward.
func TestEpsGreedy_TriesUnplayedArmsFirst(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Epsilon = 0
	pol := newTestPolicy(t, "eps-greedy", 3, cfg, 6)
	mustUpdate(t, pol, 0, 0, 0.9)
	c := mustSelect(t, pol, 1)
	assertProbs(t, c.Probs, []float64{0, 0.5, 0.5})
	mustUpdate(t, pol, 1, c.Arm, 0.1)
	other := 3 - c.Arm // the remaining unplayed arm of {1, 2}
	if c2 := mustSelect(t, pol, 2); c2.Arm != other || c2.Prob != 1 {
		t.Fatalf("choice %+v, want the last unplayed arm %d", c2, other)
	}
	mustUpdate(t, pol, 2, other, 0.2)
	if c3 := mustSelect(t, pol, 3); c3.Arm != 0 {
		t.Fatalf("choice %+v, want arm 0 (best mean 0.9)", c3)
	}
}
