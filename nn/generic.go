package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// TrainGeneric is Train written with gorgonia's generic tensor operations: MatMul for the layers
// and their gradients, element-wise tensor arithmetic for clipping, weight decay and Adam. Every
// gradient is materialised and every operation allocates, which is what makes it slow (see
// BenchmarkRetrain*). It draws the same permutations from rng as Train and computes the same
// mathematics, so the two agree up to float rounding; the tests use it as the reference.
func TrainGeneric(net *MLP, data Dataset, cfg TrainConfig, rng *rand.Rand) (TrainStats, error) {
	if err := cfg.Validate(); err != nil {
		return TrainStats{}, err
	}
	if err := data.check(net.spec); err != nil {
		return TrainStats{}, err
	}
	g := &genericTrainer{net: net, cfg: cfg}
	for _, l := range net.Layers {
		g.mW = append(g.mW, zerosLike(l.W))
		g.vW = append(g.vW, zerosLike(l.W))
		g.mB = append(g.mB, zerosLike(l.B))
		g.vB = append(g.vB, zerosLike(l.B))
	}
	var st TrainStats
	n := data.N
	batch := cfg.BatchSize
	if batch == 0 || batch > n {
		batch = n
	}
	order := make([]int, n)
	var stop earlyStop
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		for i := range order {
			order[i] = i
		}
		if cfg.BatchSize > 0 {
			rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		lr := cfg.lrAt(epoch)
		st.Epochs = epoch + 1
		for start := 0; start < n; start += batch {
			rows := order[start:min(start+batch, n)]
			loss, err := g.step(data, rows, lr)
			if err != nil {
				return st, err
			}
			st.Steps++
			st.LastLoss = loss
		}
		if stop.observe(epoch, st.LastLoss) && cfg.EarlyStop {
			st.EarlyStopped = true
			break
		}
	}
	return st, nil
}

type genericTrainer struct {
	net            *MLP
	cfg            TrainConfig
	mW, vW, mB, vB []*tensor.Dense
	steps          int
}

func zerosLike(t *tensor.Dense) *tensor.Dense {
	return tensor.New(tensor.WithShape(t.Shape().Clone()...), tensor.Of(tensor.Float64))
}

func floats(t tensor.Tensor) []float64 { return t.Data().([]float64) }

// step runs forward, backward and one optimiser update on the given rows; it returns the loss.
func (g *genericTrainer) step(data Dataset, rows []int, lr float64) (float64, error) {
	spec := g.net.spec
	b := len(rows)
	xb := make([]float64, 0, b*spec.In)
	yb := make([]float64, 0, b*spec.Out)
	for _, i := range rows {
		xb = append(xb, data.X[i*spec.In:(i+1)*spec.In]...)
		yb = append(yb, data.Y[i*spec.Out:(i+1)*spec.Out]...)
	}
	act, actGrad := gelu, geluGrad
	if spec.Act == ReLU {
		act, actGrad = func(x float64) float64 { return math.Max(x, 0) }, reluGrad
	}
	// Forward: keep each layer's input and pre-activation.
	inputs := []*tensor.Dense{tensor.New(tensor.WithShape(b, spec.In), tensor.WithBacking(xb))}
	var pre []*tensor.Dense
	for li, l := range g.net.Layers {
		wt, err := tensor.T(l.W)
		if err != nil {
			return 0, err
		}
		z, err := inputs[li].MatMul(wt)
		if err != nil {
			return 0, fmt.Errorf("nn: layer %d forward: %w", li, err)
		}
		addRowVector(z, l.Bias())
		pre = append(pre, z)
		if li+1 < len(g.net.Layers) {
			a, err := z.Apply(act)
			if err != nil {
				return 0, err
			}
			inputs = append(inputs, a.(*tensor.Dense))
		}
	}
	// Loss and its gradient.
	y := tensor.New(tensor.WithShape(b, spec.Out), tensor.WithBacking(yb))
	diff, err := pre[len(pre)-1].Sub(y)
	if err != nil {
		return 0, err
	}
	sq, err := diff.Mul(diff)
	if err != nil {
		return 0, err
	}
	total, err := sq.Sum()
	if err != nil {
		return 0, err
	}
	count := float64(b * spec.Out)
	loss := total.ScalarValue().(float64) / count
	dz, err := diff.MulScalar(2/count, true)
	if err != nil {
		return 0, err
	}
	// Backward.
	gW := make([]*tensor.Dense, len(g.net.Layers))
	gB := make([]*tensor.Dense, len(g.net.Layers))
	for li := len(g.net.Layers) - 1; li >= 0; li-- {
		l := g.net.Layers[li]
		dzT, err := tensor.T(dz)
		if err != nil {
			return 0, err
		}
		if gW[li], err = dzT.(*tensor.Dense).MatMul(inputs[li]); err != nil {
			return 0, fmt.Errorf("nn: layer %d weight gradient: %w", li, err)
		}
		if gB[li], err = dz.Sum(0); err != nil {
			return 0, err
		}
		if li == 0 {
			break
		}
		da, err := dz.MatMul(l.W)
		if err != nil {
			return 0, err
		}
		deriv, err := pre[li-1].Apply(actGrad)
		if err != nil {
			return 0, err
		}
		if dz, err = da.Mul(deriv.(*tensor.Dense)); err != nil {
			return 0, err
		}
	}
	return loss, g.apply(gW, gB, lr)
}

// addRowVector adds v to every row of the matrix z.
func addRowVector(z *tensor.Dense, v []float64) {
	d := floats(z)
	for r := 0; r < len(d)/len(v); r++ {
		for o, x := range v {
			d[r*len(v)+o] += x
		}
	}
}

// apply clips the gradients to the global norm and takes one optimiser step.
func (g *genericTrainer) apply(gW, gB []*tensor.Dense, lr float64) error {
	scale := 1.0
	if g.cfg.ClipNorm > 0 {
		normSq := 0.0
		for _, t := range append(append([]*tensor.Dense{}, gW...), gB...) {
			sq, err := t.Mul(t)
			if err != nil {
				return err
			}
			s, err := sq.Sum()
			if err != nil {
				return err
			}
			normSq += s.ScalarValue().(float64)
		}
		scale = g.cfg.clipScale(normSq)
	}
	g.steps++
	for li, l := range g.net.Layers {
		if err := g.update(l.W, gW[li], g.mW[li], g.vW[li], scale, lr); err != nil {
			return err
		}
		if err := g.update(l.B, gB[li], g.mB[li], g.vB[li], scale, lr); err != nil {
			return err
		}
	}
	return nil
}

// update is one Adam or SGD step on parameter p in place, as element-wise tensor operations.
func (g *genericTrainer) update(p, grad, m, v *tensor.Dense, scale, lr float64) error {
	wd := g.cfg.WeightDecay
	gr, err := grad.MulScalar(scale, true)
	if err != nil {
		return err
	}
	decay, err := p.MulScalar(wd, true)
	if err != nil {
		return err
	}
	if gr, err = gr.Add(decay); err != nil {
		return err
	}
	var delta *tensor.Dense
	if g.cfg.Optimizer == SGD {
		if delta, err = gr.MulScalar(-lr, true); err != nil {
			return err
		}
	} else {
		bc1 := 1 - math.Pow(adamBeta1, float64(g.steps))
		bc2 := 1 - math.Pow(adamBeta2, float64(g.steps))
		if delta, err = adamDelta(gr, m, v, lr/bc1, 1/math.Sqrt(bc2)); err != nil {
			return err
		}
	}
	_, err = p.Add(delta, tensor.UseUnsafe())
	return err
}

// adamDelta updates the moments m, v in place with gradient gr and returns the parameter step
// -stepSize * m / (sqrt(v) * invSqrtBC2 + eps).
func adamDelta(gr, m, v *tensor.Dense, stepSize, invSqrtBC2 float64) (*tensor.Dense, error) {
	mNew, err := m.MulScalar(adamBeta1, true)
	if err != nil {
		return nil, err
	}
	gm, err := gr.MulScalar(1-adamBeta1, true)
	if err != nil {
		return nil, err
	}
	if mNew, err = mNew.Add(gm); err != nil {
		return nil, err
	}
	vNew, err := v.MulScalar(adamBeta2, true)
	if err != nil {
		return nil, err
	}
	g2, err := gr.MulScalar(1-adamBeta2, true)
	if err != nil {
		return nil, err
	}
	if g2, err = g2.Mul(gr); err != nil {
		return nil, err
	}
	if vNew, err = vNew.Add(g2); err != nil {
		return nil, err
	}
	copy(floats(m), floats(mNew))
	copy(floats(v), floats(vNew))
	root, err := tensor.Sqrt(vNew)
	if err != nil {
		return nil, err
	}
	den, err := root.(*tensor.Dense).MulScalar(invSqrtBC2, true)
	if err != nil {
		return nil, err
	}
	if den, err = den.AddScalar(adamEps, true); err != nil {
		return nil, err
	}
	ratio, err := mNew.Div(den)
	if err != nil {
		return nil, err
	}
	return ratio.MulScalar(-stepSize, true)
}
