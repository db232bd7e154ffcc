package nn

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks at the paper configuration (input = 2 x dim, 100 hidden, depth 2, batch 8, 100
// epochs, no early stop so the work is fixed). One op of BenchmarkRetrain* is one retraining on
// 19 records (the last and largest of an episode: 300 steps). *Fused is Workspace.Train,
// *Generic is TrainGeneric (gorgonia's generic tensor operations). The kernels are the CPU's
// best; ALSO_KERNELS=portable|avx2|avx512 compares them:
//
//	ALSO_KERNELS=avx2 go test ./nn -run '^$' -bench 'Retrain|Step' -benchtime 3x

func paperSetup(b *testing.B, dim, n int) (*MLP, Dataset, TrainConfig) {
	spec := Spec{In: 2 * dim, Hidden: 100, Depth: 2, Out: 1, Act: GELU, Init: XavierUniform}
	rng := rand.New(rand.NewPCG(1, 2))
	data := randomData(rng, n, spec)
	net, err := NewMLP(spec)
	if err != nil {
		b.Fatal(err)
	}
	net.Init(rng)
	cfg := ALSOTrainConfig(n)
	cfg.EarlyStop = false
	return net, data, cfg
}

func benchRetrainFused(b *testing.B, dim int, k kernels) {
	net, data, cfg := paperSetup(b, dim, 19)
	ws := &Workspace{k: k}
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for b.Loop() {
		net.Init(rng)
		if _, err := ws.Train(net, data, cfg, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRetrainGeneric(b *testing.B, dim int) {
	net, data, cfg := paperSetup(b, dim, 19)
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for b.Loop() {
		net.Init(rng)
		if _, err := TrainGeneric(net, data, cfg, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRetrain256Fused(b *testing.B)    { benchRetrainFused(b, 256, bestKernels()) }
func BenchmarkRetrain256Generic(b *testing.B)  { benchRetrainGeneric(b, 256) }
func BenchmarkRetrain4096Fused(b *testing.B)   { benchRetrainFused(b, 4096, bestKernels()) }
func BenchmarkRetrain4096Generic(b *testing.B) { benchRetrainGeneric(b, 4096) }

// BenchmarkStep4096* split one mini-batch step (8 rows, next batch 8 rows) at dim 4096 into
// its parts: the whole fused first-layer pass, Adam alone over the first layer, and the rest of
// the step (small layers forward/backward, norm, their Adam).
func stepSetup(b *testing.B) (*trainer, []int) {
	net, data, cfg := paperSetup(b, 4096, 16)
	ws := &Workspace{k: bestKernels()}
	t := &ws.tr
	t.prepare(&ws.k, net, data, cfg)
	rows := []int{0, 1, 2, 3, 4, 5, 6, 7}
	t.setRows(&t.rowsX, rows)
	t.setRows(&t.rowsNext, []int{8, 9, 10, 11, 12, 13, 14, 15})
	t.k.linearForward(t.rowsX, t.width[0], net.Layers[0].Weights(), net.Layers[0].Bias(), t.width[1], t.z)
	t.forwardBackward(rows)
	return t, rows
}

func BenchmarkStep4096FirstLayerFused(b *testing.B) {
	t, rows := stepSetup(b)
	ac := newAdamConsts(1e-3, 1e-3, 1)
	b.ResetTimer()
	for b.Loop() {
		t.fusedFirstLayer(len(rows), 0.5, 1e-3, &ac)
	}
}

func BenchmarkStep4096FirstLayerAdamOnly(b *testing.B) {
	t, _ := stepSetup(b)
	ac := newAdamConsts(1e-3, 1e-3, 1)
	w := t.net.Layers[0].Weights()
	g := make([]float64, len(w))
	b.ResetTimer()
	for b.Loop() {
		t.k.adam(w, t.mW[0], t.vW[0], g, &ac)
	}
}

func BenchmarkStep4096Rest(b *testing.B) {
	t, rows := stepSetup(b)
	b.ResetTimer()
	for b.Loop() {
		t.forwardBackward(rows)
		scale := t.cfg.clipScale(t.gradNormSq(rows))
		ac := newAdamConsts(1e-3, 1e-3, 1)
		for l := 1; l < len(t.net.Layers); l++ {
			for i := range t.gW[l] {
				t.gW[l][i] *= scale
			}
			t.k.adam(t.net.Layers[l].Weights(), t.mW[l], t.vW[l], t.gW[l], &ac)
		}
	}
}
