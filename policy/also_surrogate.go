package policy

import (
	"context"
	"fmt"
	"math"

	"github.com/also-project/also/nn"
)

// The neural surrogate of also-method.md 1.5: inputs [arm embedding ++ context embedding]
// (zeros for a missing context; the arm embedding alone without UseContext), targets the raw
// rewards (or the seven dimension scores), MLP with GELU, Xavier init, Adam with weight decay
// min(0.01, 0.01/N), cosine annealing, batches, clipping at 1.0 and the early-stop rule.

func (b *alsoBandit) inputWidth() int {
	if b.cfg.UseContext {
		return b.dim + b.ctxDim
	}
	return b.dim
}

func (b *alsoBandit) spec() nn.Spec {
	out := 1
	if b.cfg.MultiDim {
		out = multiDimOutputs
	}
	return nn.Spec{In: b.inputWidth(), Hidden: b.cfg.Hidden, Depth: b.cfg.Depth, Out: out, Act: nn.GELU, Init: nn.XavierUniform}
}

// fillInput writes [arm embedding ++ context] into row.
func (b *alsoBandit) fillInput(row []float64, arm int, ctx []float64) {
	copy(row, b.arms[arm].Embedding)
	if b.cfg.UseContext {
		tail := row[b.dim:]
		clear(tail)
		copy(tail, ctx)
	}
}

// trainConfig is the run for n records: the full schedule, or WarmEpochs when continuing.
func (b *alsoBandit) trainConfig(n int, warmContinue bool) nn.TrainConfig {
	epochs := b.cfg.Epochs
	if warmContinue {
		epochs = b.cfg.WarmEpochs
	}
	return nn.TrainConfig{
		Epochs: epochs, BatchSize: b.cfg.BatchSize, Optimizer: nn.Adam,
		LR: b.cfg.LR, Cosine: true, LRMin: b.cfg.LRMin,
		WeightDecay: math.Min(0.01, 0.01/float64(n)), ClipNorm: 1, EarlyStop: !b.cfg.NoEarlyStop,
	}
}

// surrogate trains on the history when train is set (on a pool worker) and returns every arm's
// predicted reward at context ctx (the mean of the seven heads in multi-dim mode). As in the
// artifact, an empty history trains nothing.
func (b *alsoBandit) surrogate(ctx []float64, train bool) ([]float64, error) {
	spec := b.spec()
	k := len(b.arms)
	preds := make([]float64, k)
	err := b.pool.Do(context.Background(), func(ws *nn.Workspace) error {
		net, warmContinue, err := b.network(ws, spec, train)
		if err != nil {
			return err
		}
		if n := len(b.history); n > 0 && train {
			data := ws.Data(n, spec.In, spec.Out)
			for i, r := range b.history {
				b.fillInput(data.X[i*spec.In:(i+1)*spec.In], r.arm, r.context)
				if b.cfg.MultiDim {
					copy(data.Y[i*spec.Out:], r.dims)
				} else {
					data.Y[i] = r.reward
				}
			}
			if _, err := ws.Train(net, data, b.trainConfig(n, warmContinue), b.rng); err != nil {
				return fmt.Errorf("also: surrogate training: %w", err)
			}
			if b.cfg.Surrogate == "warm" {
				b.warmTrained = true
			}
		}
		inputs := ws.Inputs(k, spec.In)
		for a := 0; a < k; a++ {
			b.fillInput(inputs[a*spec.In:(a+1)*spec.In], a, ctx)
		}
		out := make([]float64, k*spec.Out)
		if err := net.Predict(inputs, out); err != nil {
			return err
		}
		for a := range preds {
			s := 0.0
			for _, v := range out[a*spec.Out : (a+1)*spec.Out] {
				s += v
			}
			preds[a] = s / float64(spec.Out)
		}
		return nil
	})
	return preds, err
}

// network returns the net to (train and) predict with:
//   - scratch, retraining after every turn: a freshly initialised network in the workspace
//     (re-created every turn, 1.5);
//   - scratch with an update interval > 1: the bandit's own network, re-initialised when it
//     is about to be retrained and kept as trained until the next training;
//   - warm: the bandit's own network, initialised on first use or when the input width changed,
//     and otherwise continued (warmContinue).
func (b *alsoBandit) network(ws *nn.Workspace, spec nn.Spec, train bool) (net *nn.MLP, warmContinue bool, err error) {
	switch {
	case b.cfg.Surrogate == "warm":
		if b.warm == nil || b.warm.Spec() != spec {
			if b.warm, err = nn.NewMLP(spec); err != nil {
				return nil, false, err
			}
			b.warm.Init(b.rng)
			b.warmTrained = false
		}
		return b.warm, b.warmTrained, nil
	case b.interval == 1:
		if net, err = ws.Net(spec); err != nil {
			return nil, false, err
		}
		net.Init(b.rng)
		return net, false, nil
	}
	if b.kept == nil || b.kept.Spec() != spec {
		if b.kept, err = nn.NewMLP(spec); err != nil {
			return nil, false, err
		}
		b.kept.Init(b.rng)
	} else if train && len(b.history) > 0 {
		b.kept.Init(b.rng)
	}
	return b.kept, false, nil
}
