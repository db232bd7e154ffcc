package nn

import (
	"math"
	"slices"
	"testing"
)

// The fused trainer and the generic-tensor trainer implement the same mathematics; on the same
// data, initial weights and random stream they must end at the same weights up to rounding.
func TestTrainFusedMatchesGeneric(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		n    int
		cfg  TrainConfig
	}{
		{"also paper config, odd width", Spec{In: 37, Hidden: 9, Depth: 2, Out: 1, Act: GELU, Init: XavierUniform}, 19, ALSOTrainConfig(19)},
		{"multi-dim head, 6 rows", Spec{In: 520, Hidden: 6, Depth: 2, Out: 7, Act: GELU, Init: XavierUniform}, 6, ALSOTrainConfig(6)},
		{"depth 0", Spec{In: 12, Depth: 0, Out: 1, Act: GELU, Init: XavierUniform}, 9, ALSOTrainConfig(9)},
		{"depth 3, strong clipping", Spec{In: 16, Hidden: 5, Depth: 3, Out: 2, Act: GELU}, 11,
			TrainConfig{Epochs: 30, BatchSize: 3, Optimizer: Adam, LR: 0.05, ClipNorm: 0.01, WeightDecay: 0.001}},
		{"instinct: relu, torch init, full-batch sgd", Spec{In: 33, Hidden: 10, Depth: 1, Out: 1, Act: ReLU, Init: TorchDefault}, 7,
			TrainConfig{Epochs: 100, Optimizer: SGD, LR: 1e-2, WeightDecay: 1.0 / 7}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRand(1)
			data := randomData(rng, tc.n, tc.spec)
			a := mustMLP(t, tc.spec, rng)
			b, _ := NewMLP(tc.spec)
			if err := b.CopyFrom(a); err != nil {
				t.Fatal(err)
			}
			stA, err := mustWorkspace(t, bestKernels()).Train(a, data, tc.cfg, newRand(2))
			if err != nil {
				t.Fatal(err)
			}
			stB, err := TrainGeneric(b, data, tc.cfg, newRand(2))
			if err != nil {
				t.Fatal(err)
			}
			if stA.Steps != stB.Steps || stA.Epochs != stB.Epochs || stA.EarlyStopped != stB.EarlyStopped {
				t.Fatalf("fused ran %+v, generic %+v", stA, stB)
			}
			if d := math.Abs(stA.LastLoss-stB.LastLoss) / math.Max(stB.LastLoss, 1e-300); d > 1e-8 {
				t.Errorf("last loss fused %v generic %v", stA.LastLoss, stB.LastLoss)
			}
			if d := maxRelDiff(params(a), params(b)); d > 1e-9 {
				t.Errorf("parameters differ by %g (relative)", d)
			}
			t.Logf("%+v, max param diff %.2g", stA, maxRelDiff(params(a), params(b)))
		})
	}
}

func TestTrainDeterministic(t *testing.T) {
	spec := Spec{In: 40, Hidden: 8, Depth: 2, Out: 1, Act: GELU}
	run := func() []float64 {
		rng := newRand(5)
		data := randomData(rng, 13, spec)
		net := mustMLP(t, spec, rng)
		if _, err := mustWorkspace(t, bestKernels()).Train(net, data, ALSOTrainConfig(13), rng); err != nil {
			t.Fatal(err)
		}
		return params(net)
	}
	if a, b := run(), run(); !slices.Equal(a, b) {
		t.Fatal("same seed, different weights")
	}
}
