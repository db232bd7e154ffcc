package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Shared numerics of the classic bandits: stable softmax, categorical draws, tie-aware argmax,
// feedback checks, the propensity bookkeeping of importance-weighted methods, and the Beta
// special functions Thompson sampling needs.

// softmaxInto writes softmax(logits) into out; subtracting the maximum keeps exp in range for
// any finite logits.
func softmaxInto(out, logits []float64) {
	hi := math.Inf(-1)
	for _, v := range logits {
		hi = math.Max(hi, v)
	}
	sum := 0.0
	for i, v := range logits {
		out[i] = math.Exp(v - hi)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
}

// shiftToMax subtracts the maximum from log-weights: the distribution is unchanged and the values
// stay bounded however long the run (the log-domain version of SMPyBandits' renormalisation).
func shiftToMax(logw []float64) {
	hi := math.Inf(-1)
	for _, v := range logw {
		hi = math.Max(hi, v)
	}
	for i := range logw {
		logw[i] -= hi
	}
}

// drawCategorical samples an index from probs (non-negative, summing to ~1) with one uniform draw.
func drawCategorical(rng *rand.Rand, probs []float64) int {
	u := rng.Float64()
	last := -1
	acc := 0.0
	for i, p := range probs {
		if p <= 0 {
			continue
		}
		last = i
		acc += p
		if u < acc {
			return i
		}
	}
	// Rounding can leave acc a hair below 1; the last arm with mass absorbs the remainder.
	return last
}

// tieTolerance decides when two scores count as equal: float noise must not break ties that are
// exact in real arithmetic (e.g. LinUCB's first bonuses on unit-norm embeddings).
const tieTolerance = 1e-12

// argmaxTies returns every index whose score is within tieTolerance (relative) of the maximum.
func argmaxTies(scores []float64) []int {
	hi := math.Inf(-1)
	for _, s := range scores {
		hi = math.Max(hi, s)
	}
	tol := tieTolerance * math.Max(1, math.Abs(hi))
	var ties []int
	for i, s := range scores {
		if s >= hi-tol {
			ties = append(ties, i)
		}
	}
	return ties
}

// pickTie chooses uniformly among ties and returns the choice with its exact distribution.
func pickTie(rng *rand.Rand, k int, ties []int) Choice {
	probs := make([]float64, k)
	for _, i := range ties {
		probs[i] = 1 / float64(len(ties))
	}
	arm := ties[0]
	if len(ties) > 1 {
		arm = ties[rng.IntN(len(ties))]
	}
	return Choice{Arm: arm, Prob: probs[arm], Probs: probs}
}

// forced is a deterministic choice of one arm.
func forced(k, arm int) Choice {
	probs := make([]float64, k)
	probs[arm] = 1
	return Choice{Arm: arm, Prob: 1, Probs: probs}
}

// checkFeedback rejects feedback no bandit can learn from: an arm outside the pool or a reward
// outside [0, 1] (the ranges every regret bound here assumes).
func checkFeedback(name string, fb Feedback, k int) error {
	if fb.Arm < 0 || fb.Arm >= k {
		return fmt.Errorf("%s: feedback for arm %d, but the pool has %d arms", name, fb.Arm, k)
	}
	if math.IsNaN(fb.Reward) || fb.Reward < 0 || fb.Reward > 1 {
		return fmt.Errorf("%s: reward %v for arm %d is outside [0, 1]", name, fb.Reward, fb.Arm)
	}
	return nil
}

// propensity remembers the arm an importance-weighted bandit drew and its probability, so the
// reward that follows can be divided by it. The episode loop plays a forced opening arm before
// the first Select (also-method.md 1.4); that arm was not drawn, has no propensity, and its
// feedback is ignored. After that, every Update must be for the arm of the latest Select.
type propensity struct {
	selected bool // a Select has happened
	pending  bool // the latest draw still awaits its reward
	arm      int
	prob     float64
}

func (p *propensity) drew(c Choice) { p.selected, p.pending, p.arm, p.prob = true, true, c.Arm, c.Prob }

// take returns the propensity of fb's arm; ok is false for the forced opening arm.
func (p *propensity) take(name string, fb Feedback) (prob float64, ok bool, err error) {
	switch {
	case !p.selected:
		return 0, false, nil
	case !p.pending:
		return 0, false, fmt.Errorf("%s: update for arm %d (turn %d) without a selection awaiting its reward", name, fb.Arm, fb.Turn)
	case fb.Arm != p.arm:
		return 0, false, fmt.Errorf("%s: update for arm %d (turn %d), but arm %d was selected", name, fb.Arm, fb.Turn, p.arm)
	}
	p.pending = false
	return p.prob, true, nil
}

// gammaVariate draws Gamma(shape, 1) by Marsaglia and Tsang (2000), with the shape+1 boost for
// shape < 1.
func gammaVariate(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := rng.Float64()
		for u == 0 {
			u = rng.Float64()
		}
		return gammaVariate(rng, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// betaVariate draws Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
func betaVariate(rng *rand.Rand, a, b float64) float64 {
	x := gammaVariate(rng, a)
	y := gammaVariate(rng, b)
	return x / (x + y)
}

// logBeta is ln B(a, b).
func logBeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// betaCDF is the regularised incomplete beta function I_x(a, b), by the continued fraction of
// Numerical Recipes (section 6.4) evaluated with the modified Lentz method.
func betaCDF(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	front := math.Exp(a*math.Log(x) + b*math.Log1p(-x) - logBeta(a, b))
	// The fraction converges fast for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) otherwise.
	if x < (a+1)/(a+b+2) {
		return front * betaFraction(x, a, b) / a
	}
	return 1 - front*betaFraction(1-x, b, a)/b
}

func betaFraction(x, a, b float64) float64 {
	const tiny, eps = 1e-300, 1e-15
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 10000; m++ {
		fm := float64(m)
		num := fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm))
		for _, n := range [2]float64{num, -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))} {
			d = 1 + n*d
			if math.Abs(d) < tiny {
				d = tiny
			}
			c = 1 + n/c
			if math.Abs(c) < tiny {
				c = tiny
			}
			d = 1 / d
			h *= d * c
		}
		if math.Abs(d*c-1) < eps {
			break
		}
	}
	return h
}
