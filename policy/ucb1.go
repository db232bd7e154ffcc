package policy

import (
	"math"
	"math/rand/v2"
)

// ucb1 is UCB1 (Auer, Cesa-Bianchi and Fischer, "Finite-time analysis of the multiarmed bandit
// problem", Machine Learning 47, 2002, Figure 1): play each arm once, then the arm maximising
// mean_i + sqrt(2 ln n / n_i), n being the number of plays so far. Theorem 1 bounds its expected
// regret after n plays by 8 Σ_{i: Δ_i > 0} ln n / Δ_i + (1 + π²/3) Σ_i Δ_i.
//
// Statistics come from Update, so the forced opening arm of an episode counts as a play. The
// warm-up goes in index order; exact ties afterwards are broken uniformly at random.
type ucb1 struct {
	counts []int
	sums   []float64
	plays  int
	rng    *rand.Rand
}

func newUCB1(p Params) (Policy, error) {
	return &ucb1{counts: make([]int, len(p.Arms)), sums: make([]float64, len(p.Arms)), rng: p.Rand}, nil
}

func (u *ucb1) Name() string { return "ucb1" }

func (u *ucb1) Update(fb Feedback) error {
	if err := checkFeedback(u.Name(), fb, len(u.counts)); err != nil {
		return err
	}
	u.counts[fb.Arm]++
	u.sums[fb.Arm] += fb.Reward
	u.plays++
	return nil
}

// indices are the UCB1 scores; only meaningful once every arm has been played.
func (u *ucb1) indices() []float64 {
	scores := make([]float64, len(u.counts))
	logN := math.Log(float64(u.plays))
	for i, n := range u.counts {
		nf := float64(n)
		scores[i] = u.sums[i]/nf + math.Sqrt(2*logN/nf)
	}
	return scores
}

func (u *ucb1) Select(int, []float64) (Choice, error) {
	for i, n := range u.counts {
		if n == 0 {
			return forced(len(u.counts), i), nil
		}
	}
	return pickTie(u.rng, len(u.counts), argmaxTies(u.indices())), nil
}
