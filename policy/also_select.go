package policy

import "math"

// The selection rule of also-method.md 1.7, as pure functions of the traces.

// decayWeights are w_k = lambda^(n-k) for rounds k = 1..n; all 1 when lambda >= 1 or n == 1.
func decayWeights(n int, lambda float64) []float64 {
	w := make([]float64, n)
	for k := range w {
		if lambda >= 1 || n == 1 {
			w[k] = 1
		} else {
			w[k] = math.Pow(lambda, float64(n-1-k))
		}
	}
	return w
}

// decayedSum is sum_k w_k rows[k].
func decayedSum(rows [][]float64, lambda float64) []float64 {
	w := decayWeights(len(rows), lambda)
	sum := make([]float64, len(rows[0]))
	for k, row := range rows {
		for i, v := range row {
			sum[i] += w[k] * v
		}
	}
	return sum
}

// cumulativeScores is C for the score mode: nn (the surrogate's predictions), actual (the
// importance-weighted observed rewards: a decayed EXP3 estimate) or mean (their average).
func cumulativeScores(mode string, nnTrace, actual [][]float64, lambda float64) []float64 {
	switch mode {
	case "actual":
		return decayedSum(actual, lambda)
	case "mean":
		c, a := decayedSum(nnTrace, lambda), decayedSum(actual, lambda)
		for i := range c {
			c[i] = (c[i] + a[i]) / 2
		}
		return c
	}
	return decayedSum(nnTrace, lambda)
}

// effectiveEta is the softmax temperature at runner turn t (the turn just played, 1-based, as the
// artifact passes its current_turn to select) under the configured schedule. The artifact's
// --dynamic-eta divides by sqrt(t+1) (EtaDivideSqrt) although its help text says "eta *
// sqrt(t+1)" (EtaMultiplySqrt). Dividing is the anytime-Exp3 schedule, right when the summed
// scores grow linearly in t; here the sum decays with lambda = 0.9 and saturates near
// 1/(1-lambda) = 10 rounds' worth of scores, so a shrinking eta makes late selections *more*
// random, while multiplying sharpens them as evidence accumulates.
func effectiveEta(eta float64, schedule string, t int) float64 {
	switch schedule {
	case EtaDivideSqrt:
		return eta / math.Sqrt(float64(t+1))
	case EtaMultiplySqrt:
		return eta * math.Sqrt(float64(t+1))
	}
	return eta
}

// softmaxProbs is softmax(eta * scores); ok is false when any value is NaN or infinite.
func softmaxProbs(scores []float64, eta float64) ([]float64, bool) {
	logits := make([]float64, len(scores))
	for i, s := range scores {
		logits[i] = eta * s
	}
	if !finite(logits) {
		return nil, false
	}
	p := make([]float64, len(scores))
	softmaxInto(p, logits)
	return p, finite(p)
}

// sample is 1.7 steps 3-7: decayed cumulative scores, softmax, categorical draw.
func (b *alsoBandit) sample(turn int) (Choice, bool) {
	scores := cumulativeScores(b.cfg.ScoreMode, b.nnTrace, b.actual, b.cfg.ScoreDecay)
	p, ok := softmaxProbs(scores, effectiveEta(b.eta, b.cfg.EtaSchedule, turn))
	if !ok {
		return Choice{}, false
	}
	arm := drawCategorical(b.rng, p)
	return Choice{Arm: arm, Prob: p[arm], Probs: p}, true
}

// greedy is 1.7 step 2: with probability epsilon a uniform arm, else the first arm of highest
// prediction; the probability is recorded as 1.0 as the reference does (so the importance weight
// of the next reward is r itself), and there is no distribution to report.
func (b *alsoBandit) greedy(preds []float64) (Choice, bool) {
	if !finite(preds) {
		return Choice{}, false
	}
	var arm int
	if b.rng.Float64() < b.eps {
		arm = b.rng.IntN(len(preds))
	} else {
		for i, v := range preds {
			if v > preds[arm] {
				arm = i
			}
		}
	}
	return Choice{Arm: arm, Prob: 1}, true
}
