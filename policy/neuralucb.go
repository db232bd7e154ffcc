package policy

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/also-project/also/nn"
)

// neuralUCB is a neural upper-confidence-bound bandit in two variants (also-method.md 2.2):
//
//   - "instinct" is the artifact's neural_ucb as it behaves, which the paper's Instinct column
//     is inferred to be (the code calls itself "INSTINCT-style"; the artifact README's baseline
//     table lists Neural UCB where the results table says Instinct). Each training starts from a
//     fresh ReLU network Linear(D,100)-ReLU-Linear(100,1) with PyTorch's default initialisation,
//     fitted to the (arm embedding, reward) history by full-batch SGD (lr 1e-2, weight decay
//     lambda/N, 100 epochs, MSE), and resets the diagonal design matrix U to lambda. Each arm
//     scores mu_i + sigma_i, sigma_i = sqrt(sum_j lambda nu g_ij^2 / U_j), g_i the gradient of
//     mu_i w.r.t. all parameters; argmax; then U += g_sel^2. With the paper's update interval
//     1 the training (and reset) precedes every selection, so sigma_i = sqrt(nu) ||g_i||.
//   - "neural_ucb" is NeuralUCB as Zhou, Li and Gu (ICML 2020) define it, with the same diagonal
//     approximation of Z as their code: U starts at lambda and accumulates g_sel^2 over the
//     episode, so arms whose gradient directions were already explored get smaller bonuses. As in
//     their Algorithm 1 every training starts from one fixed theta_0 (drawn once): the
//     coordinates of U then refer to the same parameters from turn to turn, which they would
//     not if the network were redrawn each time.
//
// Both retrain only after runner turns t with t % UpdateInterval == 0 (and only once they have
// data) and otherwise select with the network as last trained (as initialised, before any
// training), as the artifact does. With Config.UCBContext the dialogue embedding is appended to
// the arm embedding (zeros while there is none), as the artifact's --context-embedding does.
//
// lambda = Config.Alpha, nu = Config.Beta. Rewards of exactly 0.0 are skipped as failed judge
// calls, as the runner does for every bandit (1.4 step 4). Network outputs and the arm choice are
// deterministic; Choice.Prob is 1.
type neuralUCB struct {
	name       string
	persistent bool // neural_ucb: keep U and theta_0 across turns
	useContext bool
	interval   int
	lambda, nu float64
	arms       []Arm
	dim        int
	rng        *rand.Rand
	pool       *nn.Pool

	ctxDim  int
	ctxSeen bool
	xs      [][]float64 // training inputs
	ys      []float64   // rewards
	theta0  *nn.MLP     // neural_ucb's fixed initial parameters
	net     *nn.MLP     // the network as last trained (or initialised)
	u       []float64   // the diagonal design matrix U
	// uIsLambda says U = lambda everywhere (u's contents are stale): instinct after a reset.
	uIsLambda bool
}

// The artifact's fixed training schedule (also-method.md 2.2).
const (
	neuralUCBHidden = 100
	neuralUCBEpochs = 100
	neuralUCBLR     = 1e-2
)

func newInstinct(p Params) (Policy, error)  { return newNeuralBandit("instinct", false, p) }
func newNeuralUCB(p Params) (Policy, error) { return newNeuralBandit("neural_ucb", true, p) }

func newNeuralBandit(name string, persistent bool, p Params) (Policy, error) {
	if !(p.Config.Alpha > 0) {
		return nil, fmt.Errorf("%s: alpha (lambda) = %v: must be > 0, it seeds the design matrix U = lambda*I", name, p.Config.Alpha)
	}
	dim := len(p.Arms[0].Embedding)
	for i, a := range p.Arms {
		if len(a.Embedding) == 0 || len(a.Embedding) != dim || !finite(a.Embedding) {
			return nil, fmt.Errorf("%s: arm %d (%s) embedding has %d values (finite: %v), arm 0 has %d", name, i, a.ID, len(a.Embedding), finite(a.Embedding), dim)
		}
	}
	pool := p.Pool
	if pool == nil {
		var err error
		if pool, err = nn.NewPool(1); err != nil {
			return nil, err
		}
	}
	return &neuralUCB{
		name: name, persistent: persistent, useContext: p.Config.UCBContext, interval: p.Config.UpdateInterval,
		lambda: p.Config.Alpha, nu: p.Config.Beta, arms: p.Arms, dim: dim, rng: p.Rand, pool: pool,
		ctxDim: dim,
	}, nil
}

func (b *neuralUCB) Name() string { return b.name }

func (b *neuralUCB) spec() nn.Spec {
	in := b.dim
	if b.useContext {
		in += b.ctxDim
	}
	return nn.Spec{In: in, Hidden: neuralUCBHidden, Depth: 1, Out: 1, Act: nn.ReLU, Init: nn.TorchDefault}
}

func (b *neuralUCB) input(arm int, ctx []float64) []float64 {
	x := make([]float64, b.spec().In)
	copy(x, b.arms[arm].Embedding)
	if b.useContext {
		copy(x[b.dim:], ctx)
	}
	return x
}

func (b *neuralUCB) checkContext(c []float64) error {
	if !b.useContext || c == nil {
		return nil
	}
	if !finite(c) || len(c) == 0 {
		return fmt.Errorf("%s: context embedding is empty or not finite", b.name)
	}
	if !b.ctxSeen {
		if len(c) != b.ctxDim && len(b.xs) > 0 {
			// Earlier inputs were padded to the provisional width; re-pad them.
			for i, x := range b.xs {
				b.xs[i] = append(x[:b.dim:b.dim], make([]float64, len(c))...)
			}
		}
		b.ctxDim, b.ctxSeen = len(c), true
		return nil
	}
	if len(c) != b.ctxDim {
		return fmt.Errorf("%s: context embedding has %d values, earlier ones had %d", b.name, len(c), b.ctxDim)
	}
	return nil
}

func (b *neuralUCB) Update(fb Feedback) error {
	if fb.Arm < 0 || fb.Arm >= len(b.arms) {
		return fmt.Errorf("%s: feedback for arm %d, but the pool has %d arms", b.name, fb.Arm, len(b.arms))
	}
	if math.IsNaN(fb.Reward) || math.IsInf(fb.Reward, 0) {
		return fmt.Errorf("%s: reward %v for arm %d (turn %d) is not a number", b.name, fb.Reward, fb.Arm, fb.Turn)
	}
	if fb.Reward == 0 {
		return nil
	}
	if err := b.checkContext(fb.Context); err != nil {
		return err
	}
	b.xs = append(b.xs, b.input(fb.Arm, fb.Context))
	b.ys = append(b.ys, fb.Reward)
	return nil
}

// Select retrains after turns t with t % UpdateInterval == 0 (the artifact's train_model does
// nothing without data) and chooses the arm of highest mu + sigma.
func (b *neuralUCB) Select(turn int, dialogue []float64) (Choice, error) {
	if err := b.checkContext(dialogue); err != nil {
		return Choice{}, err
	}
	spec := b.spec()
	if b.persistent && (b.theta0 == nil || b.theta0.Spec() != spec) {
		var err error
		if b.theta0, err = nn.NewMLP(spec); err != nil {
			return Choice{}, err
		}
		b.theta0.Init(b.rng)
		b.u = make([]float64, spec.NumParams())
		for i := range b.u {
			b.u[i] = b.lambda
		}
	}
	train := turn%b.interval == 0 && len(b.xs) > 0
	var arm int
	err := b.pool.Do(context.Background(), func(ws *nn.Workspace) error {
		if err := b.prepare(ws, spec, train); err != nil {
			return err
		}
		var err error
		arm, err = b.choose(b.net, dialogue)
		return err
	})
	if err != nil {
		return Choice{}, err
	}
	return forced(len(b.arms), arm), nil
}

// reset puts the network at its starting point: fresh weights and U = lambda for instinct (the
// artifact's reset_model), theta_0 for neural_ucb.
func (b *neuralUCB) reset() error {
	if b.persistent {
		return b.net.CopyFrom(b.theta0)
	}
	b.net.Init(b.rng)
	b.uIsLambda = true
	return nil
}

// prepare makes b.net the network to choose with: created (and reset) on first use or when the
// input width changed, reset and trained on the history when train is set.
func (b *neuralUCB) prepare(ws *nn.Workspace, spec nn.Spec, train bool) error {
	if b.net == nil || b.net.Spec() != spec {
		var err error
		if b.net, err = nn.NewMLP(spec); err != nil {
			return err
		}
		if err := b.reset(); err != nil {
			return err
		}
		if !b.persistent {
			b.u = nil
		}
	} else if train {
		if err := b.reset(); err != nil {
			return err
		}
	}
	if !train {
		return nil
	}
	n := len(b.xs)
	data := ws.Data(n, spec.In, 1)
	for i, x := range b.xs {
		copy(data.X[i*spec.In:], x)
	}
	copy(data.Y, b.ys)
	cfg := nn.TrainConfig{Epochs: neuralUCBEpochs, BatchSize: 0, Optimizer: nn.SGD, LR: neuralUCBLR, WeightDecay: b.lambda / float64(n)}
	if _, err := ws.Train(b.net, data, cfg, b.rng); err != nil {
		return fmt.Errorf("%s: training: %w", b.name, err)
	}
	if !b.net.Finite() {
		return b.reset() // the artifact resets the network on NaN and skips that training
	}
	return nil
}

// choose scores every arm by mu + sigma and returns the first best, then adds the chosen arm's
// squared gradient to U.
func (b *neuralUCB) choose(net *nn.MLP, ctx []float64) (int, error) {
	g := make([]float64, net.Spec().NumParams())
	best, bestScore := 0, math.Inf(-1)
	for a := range b.arms {
		mu, err := net.ParamGrad(b.input(a, ctx), g)
		if err != nil {
			return 0, err
		}
		sum := 0.0
		if b.uIsLambda {
			for _, v := range g {
				sum += b.nu * v * v // U = lambda: lambda*nu*g^2/lambda
			}
		} else {
			for j, v := range g {
				sum += b.lambda * b.nu * v * v / b.u[j]
			}
		}
		if score := mu + math.Sqrt(sum); score > bestScore {
			best, bestScore = a, score
		}
	}
	if _, err := net.ParamGrad(b.input(best, ctx), g); err != nil {
		return 0, err
	}
	if b.uIsLambda {
		if len(b.u) != len(g) {
			b.u = make([]float64, len(g))
		}
		for j := range b.u {
			b.u[j] = b.lambda
		}
		b.uIsLambda = false
	}
	for j, v := range g {
		b.u[j] += v * v
	}
	return best, nil
}
