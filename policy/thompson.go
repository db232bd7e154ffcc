package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// thompson is Beta-Bernoulli Thompson sampling for rewards in [0, 1] (Agrawal and Goyal,
// "Analysis of Thompson Sampling for the multi-armed bandit problem", COLT 2012, Algorithm 2):
// each arm has a Beta(S_i+1, F_i+1) posterior; a reward r counts as a success with probability r
// (the Bernoulli trial that extends the Bernoulli analysis to [0, 1] rewards); Select samples
// θ_i from every posterior and plays the argmax. Regret O(sqrt(K T ln T)).
//
// The Beta form was chosen over a Gaussian one because the rewards are bounded and this is the
// form the regret analysis covers. Choice.Probs carries the exact probability that each arm
// wins the draw, P_i = ∫ f_i(x) Π_{j≠i} F_j(x) dx, by quadrature, so logged turns have
// propensities for off-policy evaluation like every other randomised bandit here.
type thompson struct {
	succ, fail []float64 // posterior Beta(succ, fail), starting from the uniform prior (1, 1)
	rng        *rand.Rand
}

func newThompson(p Params) (Policy, error) {
	k := len(p.Arms)
	t := &thompson{succ: make([]float64, k), fail: make([]float64, k), rng: p.Rand}
	for i := range t.succ {
		t.succ[i], t.fail[i] = 1, 1
	}
	return t, nil
}

func (t *thompson) Name() string { return "thompson" }

func (t *thompson) Update(fb Feedback) error {
	if err := checkFeedback(t.Name(), fb, len(t.succ)); err != nil {
		return err
	}
	if t.rng.Float64() < fb.Reward {
		t.succ[fb.Arm]++
	} else {
		t.fail[fb.Arm]++
	}
	return nil
}

func (t *thompson) Select(int, []float64) (Choice, error) {
	best, bestArm := math.Inf(-1), 0
	for i := range t.succ {
		if v := betaVariate(t.rng, t.succ[i], t.fail[i]); v > best {
			best, bestArm = v, i
		}
	}
	probs, err := betaArgmaxProbs(t.succ, t.fail)
	if err != nil {
		return Choice{}, fmt.Errorf("%s: %w", t.Name(), err)
	}
	return Choice{Arm: bestArm, Prob: probs[bestArm], Probs: probs}, nil
}

// betaArgmaxProbs returns, for independent X_i ~ Beta(a_i, b_i), the probability that each X_i is
// the largest: P_i = ∫ f_i(x) Π_{j≠i} F_j(x) dx, by the trapezoid rule on [lo, 1]. Below lo, the
// largest lower tail bound (mean - 12 sd) of any arm, that arm's CDF is ~0, so nothing there
// contributes. The grid puts at least 8 points in the narrowest posterior standard deviation;
// the trapezoid rule is very accurate on such smooth, fast-decaying integrands. Each F_j starts
// from the exact incomplete beta at lo and is accumulated on the grid. The result is normalised
// so rounding cannot leave a distribution that does not sum to 1.
func betaArgmaxProbs(a, b []float64) ([]float64, error) {
	k := len(a)
	if k == 1 {
		return []float64{1}, nil
	}
	lo, minSD := 0.0, math.Inf(1)
	for i := range a {
		n := a[i] + b[i]
		mean := a[i] / n
		sd := math.Sqrt(a[i] * b[i] / (n * n * (n + 1)))
		lo = math.Max(lo, mean-12*sd)
		minSD = math.Min(minSD, sd)
	}
	cells := int(math.Ceil(8 * (1 - lo) / minSD))
	cells = max(64, min(cells, 1<<15))
	h := (1 - lo) / float64(cells)

	logNorm := make([]float64, k)
	cdf := make([]float64, k)
	prevDens := make([]float64, k)
	for i := range a {
		logNorm[i] = logBeta(a[i], b[i])
		cdf[i] = betaCDF(lo, a[i], b[i])
	}
	dens := make([]float64, k)
	prefix := make([]float64, k+1)
	probs := make([]float64, k)
	for n := 0; n <= cells; n++ {
		x := lo + float64(n)*h
		if n == cells {
			x = 1
		}
		lx, l1x := math.Log(x), math.Log1p(-x)
		for i := range a {
			dens[i] = math.Exp(xlogy(a[i]-1, lx) + xlogy(b[i]-1, l1x) - logNorm[i])
			if n > 0 {
				cdf[i] = math.Min(1, cdf[i]+h*(prevDens[i]+dens[i])/2)
			}
		}
		// prefix[i] = Π_{j<i} F_j; a running suffix product completes Π_{j≠i} F_j without division.
		prefix[0] = 1
		for i := range a {
			prefix[i+1] = prefix[i] * cdf[i]
		}
		weight := h
		if n == 0 || n == cells {
			weight = h / 2
		}
		suffix := 1.0
		for i := k - 1; i >= 0; i-- {
			probs[i] += weight * dens[i] * prefix[i] * suffix
			suffix *= cdf[i]
		}
		copy(prevDens, dens)
	}
	sum := 0.0
	for _, p := range probs {
		sum += p
	}
	if !(sum > 0) || math.IsInf(sum, 0) {
		return nil, fmt.Errorf("argmax probabilities of Beta posteriors %v, %v do not integrate (sum %v)", a, b, sum)
	}
	for i := range probs {
		probs[i] /= sum
	}
	return probs, nil
}

// xlogy is x·log(y) with 0·log(0) = 0, so Beta(1, b) has the finite density b at 0.
func xlogy(x, logy float64) float64 {
	if x == 0 {
		return 0
	}
	return x * logy
}
