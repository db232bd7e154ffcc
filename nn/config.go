package nn

import (
	"fmt"
	"math"
)

// Optimizer is the update rule.
type Optimizer int

const (
	// Adam is torch.optim.Adam (betas 0.9/0.999, eps 1e-8, bias-corrected) with L2 weight decay
	// added to the gradient before the moments, as PyTorch does.
	Adam Optimizer = iota
	// SGD is plain torch.optim.SGD without momentum: w -= lr * (g + wd w).
	SGD
)

func (o Optimizer) String() string {
	switch o {
	case Adam:
		return "adam"
	case SGD:
		return "sgd"
	}
	return fmt.Sprintf("Optimizer(%d)", int(o))
}

// The reference's early-stop rule (also-method.md 1.5): stop when the last mini-batch loss of an
// epoch has differed from the previous epoch's by at most EarlyStopTol for EarlyStopPatience
// consecutive epochs.
const (
	EarlyStopTol      = 1e-5
	EarlyStopPatience = 10
)

// earlyStop tracks the rule across epochs.
type earlyStop struct {
	prev float64
	calm int
}

// observe records epoch's last mini-batch loss and reports whether training should stop after it.
func (e *earlyStop) observe(epoch int, loss float64) bool {
	if epoch > 0 && math.Abs(loss-e.prev) <= EarlyStopTol {
		e.calm++
	} else {
		e.calm = 0
	}
	e.prev = loss
	return e.calm >= EarlyStopPatience
}

// TrainConfig is one training run's hyper-parameters.
type TrainConfig struct {
	Epochs int
	// BatchSize >= 1 draws a fresh random permutation every epoch and steps on consecutive slices
	// of it (a shuffled DataLoader); 0 is full-batch gradient descent in data order.
	BatchSize int
	Optimizer Optimizer
	LR        float64
	// Cosine anneals the learning rate from LR to LRMin over T_max = Epochs, stepped once per
	// epoch (CosineAnnealingLR); otherwise LR is constant.
	Cosine      bool
	LRMin       float64
	WeightDecay float64
	// ClipNorm rescales all gradients together when their global L2 norm exceeds it
	// (clip_grad_norm_); 0 disables clipping.
	ClipNorm  float64
	EarlyStop bool
}

// ALSOTrainConfig is the paper's surrogate training (also-method.md 1.5) for n records:
// Adam lr 1e-2, weight decay min(0.01, 0.01/n), cosine to 1e-4 over 100 epochs, batches of 8,
// clipping at 1.0, early stop.
func ALSOTrainConfig(n int) TrainConfig {
	return TrainConfig{
		Epochs: 100, BatchSize: 8, Optimizer: Adam, LR: 1e-2, Cosine: true, LRMin: 1e-4,
		WeightDecay: math.Min(0.01, 0.01/float64(max(n, 1))), ClipNorm: 1, EarlyStop: true,
	}
}

// Validate names the first bad field.
func (c TrainConfig) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("nn: epochs = %d: must be >= 1", c.Epochs)
	case c.BatchSize < 0:
		return fmt.Errorf("nn: batch size = %d: must be >= 0 (0 = full batch)", c.BatchSize)
	case c.Optimizer != Adam && c.Optimizer != SGD:
		return fmt.Errorf("nn: optimizer %v: want adam or sgd", c.Optimizer)
	case !(c.LR > 0) || !finite(c.LR):
		return fmt.Errorf("nn: lr = %v: must be a positive number", c.LR)
	case c.Cosine && (c.LRMin < 0 || c.LRMin > c.LR):
		return fmt.Errorf("nn: lr min = %v: must be in [0, lr]", c.LRMin)
	case c.WeightDecay < 0 || !finite(c.WeightDecay):
		return fmt.Errorf("nn: weight decay = %v: must be a number >= 0", c.WeightDecay)
	case c.ClipNorm < 0 || !finite(c.ClipNorm):
		return fmt.Errorf("nn: clip norm = %v: must be a number >= 0 (0 = off)", c.ClipNorm)
	}
	return nil
}

// lrAt is the learning rate of the given epoch (0-based): CosineAnnealingLR's closed form
// eta_min + (base - eta_min) (1 + cos(pi e / T_max)) / 2 with T_max = Epochs.
func (c TrainConfig) lrAt(epoch int) float64 {
	if !c.Cosine {
		return c.LR
	}
	return c.LRMin + (c.LR-c.LRMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(c.Epochs)))/2
}

// clipScale is clip_grad_norm_'s factor for a global squared norm: min(1, max/(norm + 1e-6)).
// A NaN norm gives NaN, which poisons the parameters as it does in PyTorch.
func (c TrainConfig) clipScale(normSq float64) float64 {
	if c.ClipNorm == 0 {
		return 1
	}
	s := c.ClipNorm / (math.Sqrt(normSq) + 1e-6)
	if math.IsNaN(s) || s < 1 {
		return s
	}
	return 1
}

// Dataset is N training rows: inputs X (N x In, row-major) and targets Y (N x Out).
type Dataset struct {
	X []float64
	Y []float64
	N int
}

func (d Dataset) check(spec Spec) error {
	switch {
	case d.N < 1:
		return fmt.Errorf("nn: dataset has %d rows: need at least one", d.N)
	case len(d.X) != d.N*spec.In:
		return fmt.Errorf("nn: dataset inputs have %d values, want %d (%d rows x %d)", len(d.X), d.N*spec.In, d.N, spec.In)
	case len(d.Y) != d.N*spec.Out:
		return fmt.Errorf("nn: dataset targets have %d values, want %d (%d rows x %d)", len(d.Y), d.N*spec.Out, d.N, spec.Out)
	}
	return nil
}

// TrainStats summarises a training run.
type TrainStats struct {
	Epochs       int     // epochs run
	Steps        int     // optimiser steps taken
	LastLoss     float64 // loss of the last mini-batch, before its update
	EarlyStopped bool
}
