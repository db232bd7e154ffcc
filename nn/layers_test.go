package nn

import (
	"math"
	"testing"
)

// Finite-difference checks: every analytic gradient is compared with central differences
// (f(p+h) - f(p-h)) / 2h of a random linear functional of the layer's output.

const fdStep = 1e-6

// fdCheck perturbs every element of p and compares the numerical derivative of f with grad.
func fdCheck(t *testing.T, what string, p []float64, grad []float64, f func() float64) {
	t.Helper()
	for i := range p {
		orig := p[i]
		p[i] = orig + fdStep
		up := f()
		p[i] = orig - fdStep
		down := f()
		p[i] = orig
		num := (up - down) / (2 * fdStep)
		if d := math.Abs(num - grad[i]); d > 1e-6*math.Max(1, math.Abs(num)) {
			t.Fatalf("%s[%d]: analytic %.10g, numerical %.10g", what, i, grad[i], num)
		}
	}
}

func randomSlice(seed uint64, n int) []float64 {
	rng := newRand(seed)
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

func TestLinearGradientFiniteDifference(t *testing.T) {
	for _, k := range supportedKernels() {
		const rows, in, out = 5, 11, 6 // in not a multiple of 4: exercises the tails
		x, w, b := randomSlice(1, rows*in), randomSlice(2, out*in), randomSlice(3, out)
		probe := randomSlice(4, rows*out) // loss = probe . z, so dL/dz = probe
		loss := func() float64 {
			z := make([]float64, rows*out)
			k.linearForward(splitRows(nil, x, rows, in), in, w, b, out, z)
			s := 0.0
			for i, v := range z {
				s += probe[i] * v
			}
			return s
		}
		gW, gB := make([]float64, out*in), make([]float64, out)
		dx := splitRows(nil, make([]float64, rows*in), rows, in)
		k.linearBackward(splitRows(nil, x, rows, in), splitRows(nil, w, out, in), out, probe, gW, gB, dx)
		fdCheck(t, k.name+" dL/dW", w, gW, loss)
		fdCheck(t, k.name+" dL/db", b, gB, loss)
		var flatDX []float64
		for _, r := range dx {
			flatDX = append(flatDX, r...)
		}
		fdCheck(t, k.name+" dL/dx", x, flatDX, loss)
	}
}

func TestActivationGradientFiniteDifference(t *testing.T) {
	for _, act := range []Activation{GELU, ReLU} {
		z := []float64{-3.1, -1, -0.2, 0.05, 0.7, 2.5, 8}
		probe := randomSlice(5, len(z))
		loss := func() float64 {
			a := make([]float64, len(z))
			activate(act, z, a, nil)
			s := 0.0
			for i, v := range a {
				s += probe[i] * v
			}
			return s
		}
		dz, d := make([]float64, len(z)), make([]float64, len(z))
		activate(act, z, make([]float64, len(z)), d)
		activateBackward(d, probe, dz)
		fdCheck(t, act.String()+" dL/dz", z, dz, loss)
	}
}

// GELU must be the exact erf form, not the tanh approximation: values from
// torch.nn.functional.gelu (approximate='none', float64, PyTorch 1.13); the tanh form differs
// by > 1e-4 at these points.
func TestGELUExactForm(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{-2, -0.04550026389635842}, {-0.5, -0.15426876936299344}, {0, 0}, {1, 0.841344746068543}, {3, 2.99595030590511},
	} {
		if got := gelu(c.x); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("gelu(%v) = %.17g, want %.17g", c.x, got, c.want)
		}
	}
	if reluGrad(0) != 0 {
		t.Error("relu'(0) must be 0 as in PyTorch")
	}
}

func TestMSELossGradientFiniteDifference(t *testing.T) {
	pred, y := randomSlice(6, 14), randomSlice(7, 14)
	d := make([]float64, len(pred))
	loss := mseLoss(pred, y, d)
	want := 0.0
	for i := range pred {
		want += (pred[i] - y[i]) * (pred[i] - y[i]) / float64(len(pred))
	}
	if math.Abs(loss-want) > 1e-14 {
		t.Fatalf("loss %v, want %v", loss, want)
	}
	fdCheck(t, "dMSE/dpred", pred, d, func() float64 { return mseLoss(pred, y, make([]float64, len(pred))) })
}

// The whole network's parameter gradient (NeuralUCB's g_i) against finite differences.
func TestParamGradFiniteDifference(t *testing.T) {
	for _, spec := range []Spec{
		{In: 7, Hidden: 5, Depth: 2, Out: 1, Act: GELU, Init: XavierUniform},
		{In: 9, Hidden: 6, Depth: 1, Out: 1, Act: ReLU, Init: TorchDefault},
		{In: 4, Depth: 0, Out: 1},
	} {
		net := mustMLP(t, spec, newRand(8))
		x := randomSlice(9, spec.In)
		g := make([]float64, spec.NumParams())
		y, err := net.ParamGrad(x, g)
		if err != nil {
			t.Fatal(err)
		}
		out := []float64{0}
		if err := net.Predict(x, out); err != nil || out[0] != y {
			t.Fatalf("ParamGrad output %v, Predict %v (%v)", y, out[0], err)
		}
		// Perturb the live parameters through a flat view.
		off := 0
		for _, l := range net.Layers {
			for _, p := range [][]float64{l.Weights(), l.Bias()} {
				fdCheck(t, spec.Act.String()+" layer param", p, g[off:off+len(p)], func() float64 {
					_ = net.Predict(x, out)
					return out[0]
				})
				off += len(p)
			}
		}
	}
}

// The trainer's backward pass (all layers, multi-output MSE) against finite differences of the
// batch loss; the first layer's weight gradient is reconstructed from dz[0] as the fused update
// does it.
func TestTrainerBackwardFiniteDifference(t *testing.T) {
	spec := Spec{In: 10, Hidden: 4, Depth: 2, Out: 3, Act: GELU, Init: XavierUniform}
	rng := newRand(10)
	data := randomData(rng, 6, spec)
	net := mustMLP(t, spec, rng)
	ws := mustWorkspace(t, bestKernels())
	tr := &ws.tr
	tr.prepare(&ws.k, net, data, TrainConfig{Epochs: 1, BatchSize: 0, Optimizer: Adam, LR: 1})
	rows := []int{0, 1, 2, 3, 4, 5}
	batchLoss := func() float64 {
		pred := make([]float64, len(rows)*spec.Out)
		_ = net.Predict(data.X, pred)
		return mseLoss(pred, data.Y, make([]float64, len(pred)))
	}
	tr.setRows(&tr.rowsX, rows)
	k := &ws.k
	k.linearForward(tr.rowsX, spec.In, net.Layers[0].Weights(), net.Layers[0].Bias(), spec.Hidden, tr.z)
	loss := tr.forwardBackward(rows)
	if math.Abs(loss-batchLoss()) > 1e-14 {
		t.Fatalf("trainer loss %v, direct %v", loss, batchLoss())
	}
	g0 := make([]float64, spec.Hidden*spec.In)
	for o := 0; o < spec.Hidden; o++ {
		k.rowCombination(tr.rowsX, func(r int) float64 { return tr.dz[0][r*spec.Hidden+o] }, g0[o*spec.In:(o+1)*spec.In])
	}
	fdCheck(t, "layer 0 W", net.Layers[0].Weights(), g0, batchLoss)
	fdCheck(t, "layer 0 b", net.Layers[0].Bias(), tr.gB[0], batchLoss)
	for l := 1; l < len(net.Layers); l++ {
		fdCheck(t, "layer W", net.Layers[l].Weights(), tr.gW[l], batchLoss)
		fdCheck(t, "layer b", net.Layers[l].Bias(), tr.gB[l], batchLoss)
	}
	// The Gram-matrix norm equals the norm of the materialised gradients.
	tr.fillGram()
	want := 0.0
	for _, s := range append(append([][]float64{g0}, tr.gW[1:]...), tr.gB...) {
		for _, v := range s {
			want += v * v
		}
	}
	if got := tr.gradNormSq(rows); math.Abs(got-want) > 1e-12*want {
		t.Fatalf("Gram norm^2 %v, materialised %v", got, want)
	}
}
