package nn

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestInitXavierUniformZeroBias(t *testing.T) {
	spec := Spec{In: 300, Hidden: 100, Depth: 2, Out: 1, Act: GELU, Init: XavierUniform}
	net := mustMLP(t, spec, newRand(1))
	for _, l := range net.Layers {
		bound := math.Sqrt(6 / float64(l.In+l.Out))
		checkUniform(t, l.Weights(), bound)
		for _, b := range l.Bias() {
			if b != 0 {
				t.Fatal("Xavier init must zero the biases")
			}
		}
	}
}

func TestInitTorchDefault(t *testing.T) {
	spec := Spec{In: 400, Hidden: 100, Depth: 1, Out: 1, Act: ReLU, Init: TorchDefault}
	net := mustMLP(t, spec, newRand(2))
	for _, l := range net.Layers {
		bound := 1 / math.Sqrt(float64(l.In))
		checkUniform(t, l.Weights(), bound)
		nonzero := 0
		for _, b := range l.Bias() {
			if b != 0 {
				nonzero++
			}
			if math.Abs(b) > bound {
				t.Fatalf("bias %v outside +-%v", b, bound)
			}
		}
		if nonzero != l.Out {
			t.Fatal("torch's default init draws the biases too")
		}
	}
}

// checkUniform requires every value inside (-bound, bound) and the sample to fill the range
// with the variance of U(-bound, bound), bound^2/3.
func checkUniform(t *testing.T, s []float64, bound float64) {
	t.Helper()
	lo, hi, sq := math.Inf(1), math.Inf(-1), 0.0
	for _, v := range s {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		sq += v * v
	}
	if lo < -bound || hi > bound || lo > -0.9*bound || hi < 0.9*bound {
		t.Fatalf("range [%v, %v], want to fill (-%v, %v)", lo, hi, bound, bound)
	}
	if v := sq / float64(len(s)); math.Abs(v-bound*bound/3) > 0.1*bound*bound/3 {
		t.Fatalf("variance %v, want %v", v, bound*bound/3)
	}
}

func TestInitDeterministicAndReseeded(t *testing.T) {
	spec := Spec{In: 20, Hidden: 5, Depth: 2, Out: 1}
	a, b, c := mustMLP(t, spec, newRand(3)), mustMLP(t, spec, newRand(3)), mustMLP(t, spec, newRand(4))
	if !slices.Equal(params(a), params(b)) {
		t.Fatal("same seed, different weights")
	}
	if slices.Equal(params(a), params(c)) {
		t.Fatal("different seeds, same weights")
	}
}

func TestSpecValidateNamesField(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{In: 0, Hidden: 1, Depth: 1, Out: 1}, "in"},
		{Spec{In: 1, Hidden: 0, Depth: 1, Out: 1}, "hidden"},
		{Spec{In: 1, Hidden: 1, Depth: -1, Out: 1}, "depth"},
		{Spec{In: 1, Hidden: 1, Depth: 1, Out: 0}, "out"},
		{Spec{In: 1, Hidden: 1, Depth: 1, Out: 1, Act: 9}, "activation"},
		{Spec{In: 1, Hidden: 1, Depth: 1, Out: 1, Init: 9}, "init"},
	} {
		if _, err := NewMLP(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error naming %q", tc.spec, err, tc.want)
		}
	}
	if n := (Spec{In: 8192, Hidden: 100, Depth: 2, Out: 1}).NumParams(); n != 8192*100+100+100*100+100+100+1 {
		t.Errorf("paper network has %d parameters", n)
	}
}

func TestPredictAndTrainRejectBadShapes(t *testing.T) {
	spec := Spec{In: 3, Hidden: 2, Depth: 1, Out: 2}
	net := mustMLP(t, spec, newRand(5))
	if err := net.Predict(make([]float64, 4), make([]float64, 2)); err == nil || !strings.Contains(err.Error(), "input") {
		t.Errorf("ragged input: %v", err)
	}
	if err := net.Predict(make([]float64, 6), make([]float64, 2)); err == nil || !strings.Contains(err.Error(), "output") {
		t.Errorf("short output: %v", err)
	}
	ws := mustWorkspace(t, bestKernels())
	bad := []Dataset{{N: 0}, {X: make([]float64, 5), Y: make([]float64, 4), N: 2}, {X: make([]float64, 6), Y: make([]float64, 3), N: 2}}
	for _, d := range bad {
		if _, err := ws.Train(net, d, ALSOTrainConfig(2), newRand(1)); err == nil || !strings.Contains(err.Error(), "dataset") {
			t.Errorf("dataset %+v accepted: %v", d, err)
		}
	}
	if _, err := (&MLP{spec: Spec{In: 3, Out: 2}}).ParamGrad(make([]float64, 3), nil); err == nil {
		t.Error("ParamGrad on a 2-output network must fail")
	}
	other := mustMLP(t, Spec{In: 4, Hidden: 2, Depth: 1, Out: 2}, newRand(1))
	if err := net.CopyFrom(other); err == nil {
		t.Error("CopyFrom across shapes must fail")
	}
}

// Training fits: on a small learnable problem the loss falls well below the target variance.
func TestTrainFitsSmallProblem(t *testing.T) {
	spec := Spec{In: 6, Hidden: 16, Depth: 2, Out: 1, Act: GELU}
	rng := newRand(6)
	data := randomData(rng, 16, spec)
	for i := 0; i < data.N; i++ {
		data.Y[i] = 0.5 + 0.3*math.Tanh(data.X[i*6]-data.X[i*6+1])
	}
	net := mustMLP(t, spec, rng)
	before := mse(t, net, data)
	cfg := ALSOTrainConfig(data.N)
	cfg.EarlyStop = false
	if _, err := mustWorkspace(t, bestKernels()).Train(net, data, cfg, rng); err != nil {
		t.Fatal(err)
	}
	if after := mse(t, net, data); after > 0.01*before || after > 1e-3 {
		t.Fatalf("training loss %v -> %v", before, after)
	}
}

func mse(t *testing.T, net *MLP, d Dataset) float64 {
	pred := make([]float64, d.N*net.spec.Out)
	if err := net.Predict(d.X, pred); err != nil {
		t.Fatal(err)
	}
	return mseLoss(pred, d.Y, make([]float64, len(pred)))
}
