package policy

import (
	"math"
	"math/rand/v2"
)

// exp3IX is Exp3 with implicit exploration (Kocák, Neu, Valko, Munos 2014; Neu, "Explore no more:
// improved high-probability regret bounds for non-stochastic bandits", NeurIPS 2015, Algorithm 1).
// It works on losses ℓ = 1 - r, mixes in no uniform exploration, and biases the loss estimate
// downwards instead:
//
//	p_i = w_i / Σ_j w_j
//	ℓ̂_i = ℓ / (p_i + γ) for the drawn arm i only
//	w_i ← w_i · exp(-η ℓ̂_i)
//
// with Neu's tuning for horizon T = Config.Horizon: η = sqrt(2 ln K / (K T)), γ = η/2
// (Theorem 1: regret <= 2 sqrt(2 K T ln K) + (sqrt(2 K T / ln K) + 1) ln(2/δ) with probability 1-δ).
// Config.Eta is not read: its default is the ALSO softmax temperature (5), which as a learning
// rate here would be meaningless.
type exp3IX struct {
	k          int
	eta, gamma float64
	logw       []float64
	rng        *rand.Rand
	drawn      propensity
}

// exp3IXRates is Neu's (2015) tuning of η and γ for K arms and horizon T.
func exp3IXRates(k, horizon int) (eta, gamma float64) {
	eta = math.Sqrt(2 * math.Log(float64(k)) / (float64(k) * float64(horizon)))
	return eta, eta / 2
}

func newExp3IX(p Params) (Policy, error) {
	eta, gamma := exp3IXRates(len(p.Arms), p.Config.Horizon)
	return &exp3IX{k: len(p.Arms), eta: eta, gamma: gamma, logw: make([]float64, len(p.Arms)), rng: p.Rand}, nil
}

func (e *exp3IX) Name() string { return "exp3-ix" }

func (e *exp3IX) Select(int, []float64) (Choice, error) {
	probs := make([]float64, e.k)
	softmaxInto(probs, e.logw)
	arm := drawCategorical(e.rng, probs)
	c := Choice{Arm: arm, Prob: probs[arm], Probs: probs}
	e.drawn.drew(c)
	return c, nil
}

func (e *exp3IX) Update(fb Feedback) error {
	if err := checkFeedback(e.Name(), fb, e.k); err != nil {
		return err
	}
	p, ok, err := e.drawn.take(e.Name(), fb)
	if !ok {
		return err
	}
	lossHat := (1 - fb.Reward) / (p + e.gamma)
	e.logw[fb.Arm] -= e.eta * lossHat
	shiftToMax(e.logw)
	return nil
}
