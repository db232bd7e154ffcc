package policy

import "math/rand/v2"

// epsGreedy is ε-greedy with sample-average estimates (Sutton and Barto, Reinforcement Learning,
// 2nd ed., section 2.2-2.4): with probability ε a uniformly random arm, otherwise an arm of
// highest mean reward, ties broken uniformly at random; ε = Config.Epsilon (0.1 by default, the
// artifact's --greedy-selection rate).
//
// An arm never played counts as the best (optimistic initial values, section 2.6, taken to the
// limit), so the greedy step tries every arm once, in random order, before it exploits. With the
// book's initial estimate 0 and rewards in [0, 1], the forced opening arm (the no-strategy
// baseline) becomes the greedy arm after its first positive reward, and only the ε draws would
// ever discover the others.
type epsGreedy struct {
	eps    float64
	counts []int
	means  []float64
	rng    *rand.Rand
}

func newEpsGreedy(p Params) (Policy, error) {
	k := len(p.Arms)
	return &epsGreedy{eps: p.Config.Epsilon, counts: make([]int, k), means: make([]float64, k), rng: p.Rand}, nil
}

func (e *epsGreedy) Name() string { return "eps-greedy" }

func (e *epsGreedy) Update(fb Feedback) error {
	if err := checkFeedback(e.Name(), fb, len(e.counts)); err != nil {
		return err
	}
	e.counts[fb.Arm]++
	// Incremental mean: exact up to rounding and needs no running sum.
	e.means[fb.Arm] += (fb.Reward - e.means[fb.Arm]) / float64(e.counts[fb.Arm])
	return nil
}

func (e *epsGreedy) Select(int, []float64) (Choice, error) {
	k := len(e.counts)
	var ties []int
	for i, n := range e.counts {
		if n == 0 {
			ties = append(ties, i)
		}
	}
	if len(ties) == 0 {
		ties = argmaxTies(e.means)
	}
	// The exact distribution: ε spread uniformly, 1-ε spread over the greedy ties.
	probs := make([]float64, k)
	for i := range probs {
		probs[i] = e.eps / float64(k)
	}
	for _, i := range ties {
		probs[i] += (1 - e.eps) / float64(len(ties))
	}
	var arm int
	if e.rng.Float64() < e.eps {
		arm = e.rng.IntN(k)
	} else {
		arm = ties[e.rng.IntN(len(ties))]
	}
	return Choice{Arm: arm, Prob: probs[arm], Probs: probs}, nil
}
