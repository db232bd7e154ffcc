package policy

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/also-project/also/nn"
)

// Tests of the neural UCB bandits (also-method.md 2.2).

func newTestNeural(t *testing.T, name string, k int, mutate func(*Config)) *neuralUCB {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Alpha, cfg.Beta = 1, 0.01
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(name, Params{Arms: alsoTestArms(k, 5, 3), Rand: rand.New(rand.NewPCG(4, 4)), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*neuralUCB)
}

// bonus recomputes an arm's UCB score from scratch: mu + sqrt(sum lambda nu g^2 / U).
func bonus(t *testing.T, b *neuralUCB, net *nn.MLP, arm int, u []float64) (mu, sigma float64) {
	g := make([]float64, net.Spec().NumParams())
	mu, err := net.ParamGrad(b.input(arm, nil), g)
	if err != nil {
		t.Fatal(err)
	}
	s := 0.0
	for j, v := range g {
		s += b.lambda * b.nu * v * v / u[j]
	}
	return mu, math.Sqrt(s)
}

// 2.2: the artifact resets U = lambda at every training, which precedes every selection at update
// interval 1, so sigma_i = sqrt(nu) ||g_i||, and the choice is the argmax of mu + sigma; the
// chosen arm's g^2 then joins U.
func TestInstinct_2_2_ResetUBonusIsGradientNorm(t *testing.T) {
	b := newTestNeural(t, "instinct", 4, func(c *Config) { c.Alpha = 0.3; c.Beta = 0.5 })
	net, _ := nn.NewMLP(b.spec())
	net.Init(rand.New(rand.NewPCG(1, 2)))
	p := net.Spec().NumParams()
	u := slices.Repeat([]float64{b.lambda}, p)
	best, bestScore := -1, math.Inf(-1)
	for a := range b.arms {
		mu, sigma := bonus(t, b, net, a, u)
		g := make([]float64, p)
		_, _ = net.ParamGrad(b.input(a, nil), g)
		norm := 0.0
		for _, v := range g {
			norm += v * v
		}
		if want := math.Sqrt(b.nu) * math.Sqrt(norm); math.Abs(sigma-want) > 1e-12*want {
			t.Fatalf("arm %d: sigma %v, sqrt(nu)||g|| %v", a, sigma, want)
		}
		if mu+sigma > bestScore {
			best, bestScore = a, mu+sigma
		}
	}
	b.uIsLambda = true // as after a reset
	got, err := b.choose(net, nil)
	if err != nil || got != best {
		t.Fatalf("choose %d (%v), want argmax %d", got, err, best)
	}
	g := make([]float64, p)
	_, _ = net.ParamGrad(b.input(best, nil), g)
	for j, v := range g {
		if b.u[j] != b.lambda+v*v {
			t.Fatalf("U[%d] = %v after the choice, want lambda + g_sel^2 = %v", j, b.u[j], b.lambda+v*v)
		}
	}
}

// instinctAfterOneTraining is an instinct bandit with a history on arms 0-2 (arm 3 has a
// five-times longer embedding and no reward), after Select(1) has trained its network.
func instinctAfterOneTraining(t *testing.T, mutate func(*Config)) (*neuralUCB, Choice) {
	t.Helper()
	b := newTestNeural(t, "instinct", 4, mutate)
	for i, v := range b.arms[3].Embedding {
		b.arms[3].Embedding[i] = 5 * v
	}
	for i, r := range []float64{0.3, 0.9, 0.5} {
		if err := b.Update(Feedback{Turn: 1, Arm: i, Reward: r}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := b.Select(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, c
}

// 2.2: the choice is the argmax of mu + sqrt(nu) ||g|| on the trained network, and here the
// bonus decides it: the best prediction is another arm.
func TestInstinct_2_2_TheBonusDecidesTheChoice(t *testing.T) {
	b, c := instinctAfterOneTraining(t, func(c *Config) { c.Beta = 1 })
	g := make([]float64, b.net.Spec().NumParams())
	bestUCB, bestMu := 0, 0
	var ucb, mus []float64
	for a := range b.arms {
		mu, err := b.net.ParamGrad(b.input(a, nil), g)
		if err != nil {
			t.Fatal(err)
		}
		norm := 0.0
		for _, v := range g {
			norm += v * v
		}
		ucb, mus = append(ucb, mu+math.Sqrt(b.nu*norm)), append(mus, mu)
		if ucb[a] > ucb[bestUCB] {
			bestUCB = a
		}
		if mu > mus[bestMu] {
			bestMu = a
		}
	}
	if c.Arm != bestUCB {
		t.Fatalf("chose arm %d, the argmax of mu + sqrt(nu)||g|| is %d (scores %v)", c.Arm, bestUCB, ucb)
	}
	if bestMu == bestUCB {
		t.Fatalf("test set-up: the bonus must change the choice (mu %v, ucb %v)", mus, ucb)
	}
}

// 2.2: the training is full-batch SGD, lr 1e-2, weight decay lambda/N, 100 epochs, MSE, from a
// fresh PyTorch-default initialisation drawn from the bandit's random source. The reference
// run is nn.TrainGeneric (gorgonia tensors, an independent implementation) with that schedule.
func TestInstinct_2_2_TrainsByFullBatchSGDWithWeightDecay(t *testing.T) {
	b, _ := instinctAfterOneTraining(t, func(c *Config) { c.Alpha = 1.5 })
	ref, err := nn.NewMLP(nn.Spec{In: 5, Hidden: 100, Depth: 1, Out: 1, Act: nn.ReLU, Init: nn.TorchDefault})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4)) // newTestNeural's source, before any draw
	ref.Init(rng)
	data := nn.Dataset{N: 3, X: slices.Concat(b.arms[0].Embedding, b.arms[1].Embedding, b.arms[2].Embedding), Y: []float64{0.3, 0.9, 0.5}}
	cfg := nn.TrainConfig{Epochs: 100, BatchSize: 0, Optimizer: nn.SGD, LR: 1e-2, WeightDecay: 1.5 / 3}
	if _, err := nn.TrainGeneric(ref, data, cfg, rng); err != nil {
		t.Fatal(err)
	}
	for l := range ref.Layers {
		want := slices.Concat(ref.Layers[l].Weights(), ref.Layers[l].Bias())
		got := slices.Concat(b.net.Layers[l].Weights(), b.net.Layers[l].Bias())
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("layer %d parameter %d: %v, full-batch SGD with weight decay lambda/N gives %v", l, i, got[i], want[i])
			}
		}
	}
}

// The artifact's --update-interval: instinct retrains (and resets U) only after turns t with
// t % N == 0 and in between selects with the network as trained, U accumulating g_sel^2.
func TestInstinct_UpdateInterval(t *testing.T) {
	b := newTestNeural(t, "instinct", 4, func(c *Config) { c.UpdateInterval = 2; c.Beta = 0.5 })
	_ = b.Update(Feedback{Turn: 1, Arm: 0, Reward: 0.4})
	if _, err := b.Select(1, nil); err != nil {
		t.Fatal(err)
	}
	untrained := slices.Clone(b.net.Layers[0].Weights())
	_ = b.Update(Feedback{Turn: 2, Arm: 1, Reward: 0.8})
	c2, err := b.Select(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	trained := slices.Clone(b.net.Layers[0].Weights())
	if slices.Equal(trained, untrained) {
		t.Fatal("turn 2 (2 % 2 == 0) did not retrain")
	}
	// U after turn 2 is lambda + g_sel^2 (reset by the training, then the choice's gradient).
	g := make([]float64, b.net.Spec().NumParams())
	if _, err := b.net.ParamGrad(b.input(c2.Arm, nil), g); err != nil {
		t.Fatal(err)
	}
	u := make([]float64, len(g))
	for j, v := range g {
		u[j] = b.lambda + v*v
		if b.u[j] != u[j] {
			t.Fatalf("U[%d] = %v after the training turn, want %v", j, b.u[j], u[j])
		}
	}
	_ = b.Update(Feedback{Turn: 3, Arm: c2.Arm, Reward: 0.6})
	c3, err := b.Select(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.net.Layers[0].Weights(), trained) {
		t.Fatal("turn 3 retrained; the interval is 2")
	}
	best, bestScore := -1, math.Inf(-1)
	for a := range b.arms {
		mu, sigma := bonus(t, b, b.net, a, u)
		if mu+sigma > bestScore {
			best, bestScore = a, mu+sigma
		}
	}
	if c3.Arm != best {
		t.Fatalf("turn 3 chose %d; with the accumulated U the argmax is %d", c3.Arm, best)
	}
}

// NeuralUCB (Zhou et al. 2020, diagonal Z): U starts at lambda and gains g_sel^2 at every
// selection, so the chosen arm's bonus shrinks the next time at the same parameters.
func TestNeuralUCB_PersistentDesignMatrix(t *testing.T) {
	b := newTestNeural(t, "neural_ucb", 3, func(c *Config) { c.Beta = 1 })
	c1, err := b.Select(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// No history: the network is theta_0, so we can recompute everything.
	g := make([]float64, b.theta0.Spec().NumParams())
	if _, err := b.theta0.ParamGrad(b.input(c1.Arm, nil), g); err != nil {
		t.Fatal(err)
	}
	for j, v := range g {
		if math.Abs(b.u[j]-(b.lambda+v*v)) > 1e-15 {
			t.Fatalf("U[%d] = %v, want lambda + g^2 = %v", j, b.u[j], b.lambda+v*v)
		}
	}
	before := slices.Repeat([]float64{b.lambda}, len(b.u))
	_, s0 := bonus(t, b, b.theta0, c1.Arm, before)
	_, s1 := bonus(t, b, b.theta0, c1.Arm, b.u)
	if !(s1 < s0) {
		t.Fatalf("bonus of the chosen arm did not shrink: %v -> %v", s0, s1)
	}
	theta := slices.Clone(b.theta0.Layers[0].Weights())
	_ = b.Update(Feedback{Turn: 2, Arm: c1.Arm, Reward: 0.5})
	if _, err := b.Select(2, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(theta, b.theta0.Layers[0].Weights()) {
		t.Fatal("theta_0 must stay fixed; training works on a copy")
	}
}

// Both variants learn a clearly best arm and are deterministic; the choice is reported with
// probability 1.
func TestNeuralBandits_LearnAndDeterministic(t *testing.T) {
	for _, name := range []string{"instinct", "neural_ucb"} {
		run := func() []int {
			b := newTestNeural(t, name, 4, func(c *Config) { c.Beta = 1e-4 })
			var arms []int
			arm := 0
			for turn := 1; turn <= 10; turn++ {
				r := 0.2
				if arm == 3 {
					r = 0.95
				}
				if err := b.Update(Feedback{Turn: turn, Arm: arm, Reward: r}); err != nil {
					t.Fatal(err)
				}
				if turn < 4 {
					arm = turn // every arm once
					continue
				}
				c, err := b.Select(turn, nil)
				if err != nil {
					t.Fatal(err)
				}
				if c.Prob != 1 || c.Probs[c.Arm] != 1 {
					t.Fatalf("%s: choice %+v", name, c)
				}
				arm = c.Arm
				arms = append(arms, arm)
			}
			return arms
		}
		a, b := run(), run()
		if !slices.Equal(a, b) {
			t.Fatalf("%s: not deterministic: %v vs %v", name, a, b)
		}
		if a[len(a)-1] != 3 {
			t.Fatalf("%s: chose %v, arm 3 pays most", name, a)
		}
	}
}

func TestNeuralBandits_Validation(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Alpha = 0
	if _, err := New("instinct", Params{Arms: alsoTestArms(3, 4, 1), Rand: rand.New(rand.NewPCG(1, 1)), Config: cfg}); err == nil || !strings.Contains(err.Error(), "alpha") {
		t.Errorf("alpha 0 accepted: %v", err)
	}
	b := newTestNeural(t, "instinct", 3, nil)
	if err := b.Update(Feedback{Arm: 5, Reward: 0.5}); err == nil {
		t.Error("arm out of range accepted")
	}
	if err := b.Update(Feedback{Arm: 1, Reward: math.Inf(1)}); err == nil {
		t.Error("infinite reward accepted")
	}
	if err := b.Update(Feedback{Arm: 1, Reward: 0}); err != nil || len(b.ys) != 0 {
		t.Errorf("a 0.0 reward must be skipped: %v, %d records", err, len(b.ys))
	}
	if d := newTestNeural(t, "instinct", 3, func(c *Config) { c.UCBContext = true }); d.spec().In != 10 {
		t.Errorf("instinct with ucb_context_embedding: input %d, want arm 5 + context 5", d.spec().In)
	}
	if d := newTestNeural(t, "neural_ucb", 3, nil); d.spec().In != 5 {
		t.Errorf("neural_ucb by default: input %d, want the arm embedding alone (5)", d.spec().In)
	}
	u := newTestNeural(t, "neural_ucb", 3, func(c *Config) { c.UCBContext = true })
	if u.spec().In != 10 {
		t.Errorf("neural_ucb with context: input %d, want arm 5 + context 5", u.spec().In)
	}
	_ = u.Update(Feedback{Arm: 0, Reward: 0.5, Context: []float64{1, 2, 3}})
	if u.spec().In != 8 || len(u.xs[0]) != 8 {
		t.Errorf("context width not adopted: %d", u.spec().In)
	}
	if err := u.Update(Feedback{Arm: 0, Reward: 0.5, Context: []float64{1}}); err == nil {
		t.Error("context of another width accepted")
	}
}
