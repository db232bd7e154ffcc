package policy

import (
	"math"
	"testing"
)

// TestAuer2002b_UCB1_Figure1_PlaysEachArmOnceFirst: the warm-up visits every arm in index order,
// however good the first arm looks, and the forced opening arm counts as its play.
func TestAuer2002b_UCB1_Figure1_PlaysEachArmOnceFirst(t *testing.T) {
	tests := []struct {
		name      string
		opening   bool // the episode plays arm 0 before the first Select
		wantOrder []int
	}{
		{"from scratch", false, []int{0, 1, 2, 3, 4}},
		{"after the forced opening arm", true, []int{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := newTestPolicy(t, "ucb1", 5, DefaultConfig(), 1)
			if tt.opening {
				mustUpdate(t, pol, 0, 0, 1)
			}
			for turn, want := range tt.wantOrder {
				c := mustSelect(t, pol, turn)
				if c.Arm != want || c.Prob != 1 || c.Probs[want] != 1 {
					t.Fatalf("warm-up step %d: %+v, want arm %d with probability 1", turn, c, want)
				}
				mustUpdate(t, pol, turn, c.Arm, 1)
			}
		})
	}
}

// TestAuer2002b_UCB1_Figure1_Index checks mean_i + sqrt(2 ln n / n_i) against hand arithmetic.
func TestAuer2002b_UCB1_Figure1_Index(t *testing.T) {
	pol := newTestPolicy(t, "ucb1", 3, DefaultConfig(), 1)
	for arm, r := range []float64{1, 0, 0.5} {
		mustSelect(t, pol, arm)
		mustUpdate(t, pol, arm, arm, r)
	}
	bonus3 := math.Sqrt(2 * math.Log(3))
	assertProbs(t, pol.(*ucb1).indices(), []float64{1 + bonus3, bonus3, 0.5 + bonus3})
	if c := mustSelect(t, pol, 3); c.Arm != 0 {
		t.Fatalf("chose %d, want arm 0 (index %v)", c.Arm, 1+bonus3)
	}
	mustUpdate(t, pol, 3, 0, 0)
	// n = 4: arm 0 has mean 1/2 over 2 plays, arms 1 and 2 one play each.
	bonus4 := math.Sqrt(2 * math.Log(4))
	want := []float64{0.5 + math.Sqrt(2*math.Log(4)/2), bonus4, 0.5 + bonus4}
	assertProbs(t, pol.(*ucb1).indices(), want)
	if c := mustSelect(t, pol, 4); c.Arm != 2 {
		t.Fatalf("chose %d, want arm 2 (indices %v)", c.Arm, want)
	}
}

// TestUCB1_BreaksTiesAtRandom: equal indices give each tied arm probability 1/2, and both get played.
func TestUCB1_BreaksTiesAtRandom(t *testing.T) {
	seen := map[int]bool{}
	for seed := range uint64(20) {
		pol := newTestPolicy(t, "ucb1", 2, DefaultConfig(), seed)
		mustUpdate(t, pol, 0, 0, 0.5)
		mustUpdate(t, pol, 1, 1, 0.5)
		c := mustSelect(t, pol, 2)
		assertProbs(t, c.Probs, []float64{0.5, 0.5})
		seen[c.Arm] = true
	}
	if !seen[0] || !seen[1] {
		t.Fatalf("ties always went to the same arm: %v", seen)
	}
}
