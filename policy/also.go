package policy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/also-project/also/nn"
)

// alsoBandit is ALSO's bandit (the artifact's NeuralAdversarialBandit, `--bandit-type
// adversarial`), following also-method.md section 1:
//
//   - Update (1.4 step 4) skips a reward of exactly 0.0 (a failed judge call), writes the
//     importance-weighted reward r / max(p, 0.01) into the newest row of the actual-score trace
//     at the active arm, and appends (arm, context, r) to the history.
//   - Select (1.4 step 5, 1.5, 1.7) retrains the surrogate MLP on the whole history (from
//     scratch, or warm) after runner turns t with t % UpdateInterval == 0, predicts every arm at
//     the current context with the network as last trained, appends the prediction vector to
//     the score trace, and draws an arm from softmax(eta' * sum_k lambda^(n-k) S_k), eta' the
//     eta of the configured schedule at t.
//
// Turn 1 is played on arm 0 (the unmodified background) before any Select.
type alsoBandit struct {
	cfg      ALSOConfig
	eta      float64
	eps      float64
	interval int // retrain after turns t with t % interval == 0
	arms     []Arm
	dim      int // arm embedding width
	rng      *rand.Rand
	pool     *nn.Pool

	// ctxDim is the context part of the network input (UseContext only). It starts at the arm
	// embedding width (the reference's --context-embedding-dim default equals the embedder's
	// size) and is fixed by the first real context vector, as the reference rebuilds its model
	// for "the detected size".
	ctxDim  int
	ctxSeen bool

	history []alsoRecord
	nnTrace [][]float64 // S_k: the surrogate's prediction vector of every selection round
	actual  [][]float64 // A_k: zero except r/max(p,0.01) at the arm selected in round k

	current  int
	lastProb float64
	// rowOpen says the latest trace row was made by a Select of this episode, so rewards may be
	// credited to it; a policy restored from a checkpoint starts a new episode with it closed.
	rowOpen bool
	stopped bool
	static  *Choice

	warm        *nn.MLP // Surrogate "warm": the network carried across turns
	warmTrained bool
	// kept is the scratch network between trainings when interval > 1: the artifact selects
	// with its model as last trained (or as initialised, before any training).
	kept *nn.MLP

	// predict is the surrogate (retrain if train, then predict every arm); tests substitute
	// fixed vectors.
	predict func(ctx []float64, train bool) ([]float64, error)
}

// alsoRecord is one history entry: the arm that was active, the context after that turn (nil
// when missing: zeros) and the reward; dims are the seven targets of the multi-dim head.
type alsoRecord struct {
	arm     int
	context []float64
	reward  float64
	dims    []float64
}

// multiDimOutputs is the multi-dim head's width: the seven Sotopia-Eval dimensions.
const multiDimOutputs = 7

func newALSO(p Params) (Policy, error) {
	dim := len(p.Arms[0].Embedding)
	for i, a := range p.Arms {
		if len(a.Embedding) == 0 {
			return nil, fmt.Errorf("also: arm %d (%s) has no embedding", i, a.ID)
		}
		if len(a.Embedding) != dim {
			return nil, fmt.Errorf("also: arm %d (%s) embedding has %d values, arm 0 has %d", i, a.ID, len(a.Embedding), dim)
		}
		if !finite(a.Embedding) {
			return nil, fmt.Errorf("also: arm %d (%s) embedding is not finite", i, a.ID)
		}
	}
	pool := p.Pool
	if pool == nil {
		var err error
		if pool, err = nn.NewPool(1); err != nil {
			return nil, err
		}
	}
	b := &alsoBandit{
		cfg: p.Config.ALSO, eta: p.Config.Eta, eps: p.Config.Epsilon, interval: p.Config.UpdateInterval,
		arms: p.Arms, dim: dim, rng: p.Rand, pool: pool,
		ctxDim: dim, lastProb: 1 / float64(len(p.Arms)),
	}
	b.predict = b.surrogate
	return b, nil
}

func (b *alsoBandit) Name() string { return "also" }

func finite(s []float64) bool {
	for _, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Update records the reward of the active arm. Any finite reward is accepted: the reference
// also appends the terminal judge's raw-scale Overall, which may lie outside [0, 1].
func (b *alsoBandit) Update(fb Feedback) error {
	if fb.Arm != b.current {
		return fmt.Errorf("also: update for arm %d (turn %d), but arm %d is active", fb.Arm, fb.Turn, b.current)
	}
	if math.IsNaN(fb.Reward) || math.IsInf(fb.Reward, 0) {
		return fmt.Errorf("also: reward %v for arm %d (turn %d) is not a number", fb.Reward, fb.Arm, fb.Turn)
	}
	if fb.Reward == 0 {
		return nil // 1.4 step 4: exactly 0.0 means the judge failed; the reference skips the update
	}
	rec := alsoRecord{arm: fb.Arm, reward: fb.Reward}
	if b.cfg.UseContext && fb.Context != nil {
		if err := b.checkContext(fb.Context); err != nil {
			return fmt.Errorf("also: update (turn %d): %w", fb.Turn, err)
		}
		rec.context = slices.Clone(fb.Context)
	}
	if b.cfg.MultiDim {
		dims, err := targetDims(fb)
		if err != nil {
			return err
		}
		rec.dims = dims
	}
	if n := len(b.actual); n > 0 && b.rowOpen {
		b.actual[n-1][fb.Arm] = fb.Reward / math.Max(b.lastProb, 0.01)
	}
	b.history = append(b.history, rec)
	return nil
}

// targetDims are the multi-dim head's targets; missing dimensions fall back to the scalar reward
// (1.5).
func targetDims(fb Feedback) ([]float64, error) {
	switch {
	case len(fb.Dims) == 0:
		dims := make([]float64, multiDimOutputs)
		for i := range dims {
			dims[i] = fb.Reward
		}
		return dims, nil
	case len(fb.Dims) != multiDimOutputs:
		return nil, fmt.Errorf("also: feedback (turn %d) has %d dimension scores, want %d", fb.Turn, len(fb.Dims), multiDimOutputs)
	case !finite(fb.Dims):
		return nil, fmt.Errorf("also: feedback (turn %d) has a non-finite dimension score", fb.Turn)
	}
	return slices.Clone(fb.Dims), nil
}

// checkContext validates a context vector and, the first time, fixes the context width.
func (b *alsoBandit) checkContext(c []float64) error {
	if !finite(c) {
		return fmt.Errorf("context embedding is not finite")
	}
	if !b.ctxSeen {
		if len(c) == 0 {
			return fmt.Errorf("context embedding is empty")
		}
		b.ctxDim, b.ctxSeen = len(c), true
		return nil
	}
	if len(c) != b.ctxDim {
		return fmt.Errorf("context embedding has %d values, earlier ones had %d", len(c), b.ctxDim)
	}
	return nil
}

// Select retrains the surrogate (when turn % UpdateInterval == 0) and draws the arm for the next
// turn. turn is the runner turn just played (the t of also-method.md 1.4, the artifact's
// current_turn), used by the interval and the eta schedule; context is the dialogue embedding
// after it (nil when missing or disabled).
func (b *alsoBandit) Select(turn int, context []float64) (Choice, error) {
	k := len(b.arms)
	if b.stopped {
		return forced(k, b.current), nil
	}
	if b.cfg.Static && b.static != nil {
		// 1.4 step 5b: the cached choice is reused. The reference still retrains first, which
		// only burns CPU and random draws, so that is skipped.
		return cloneChoice(*b.static), nil
	}
	if b.cfg.UseContext && context != nil {
		if err := b.checkContext(context); err != nil {
			return Choice{}, fmt.Errorf("also: select (turn %d): %w", turn, err)
		}
	}
	preds, err := b.predict(context, turn%b.interval == 0)
	if err != nil {
		return Choice{}, err
	}
	if len(preds) != k {
		return Choice{}, fmt.Errorf("also: surrogate returned %d predictions for %d arms", len(preds), k)
	}
	b.nnTrace = append(b.nnTrace, preds)
	b.actual = append(b.actual, make([]float64, k))
	b.rowOpen = true
	var c Choice
	var ok bool
	if b.cfg.Greedy {
		c, ok = b.greedy(preds)
	} else {
		c, ok = b.sample(turn)
	}
	if !ok {
		// 1.7 step 6: NaN/Inf stops the bandit for good; it keeps its current arm.
		b.stopped = true
		return forced(k, b.current), nil
	}
	b.current, b.lastProb = c.Arm, c.Prob
	if b.cfg.Static {
		saved := cloneChoice(c)
		b.static = &saved
	}
	return c, nil
}

func cloneChoice(c Choice) Choice {
	c.Probs = slices.Clone(c.Probs)
	return c
}
