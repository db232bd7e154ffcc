package nn

import (
	"math"
	"slices"
	"testing"
)

// Every kernel against a plain loop (to rounding), and the SIMD kernels against the scalar ones
// (bit for bit: they perform the same IEEE operations in the same order).

func TestKernelsAgainstPlainLoops(t *testing.T) {
	for _, k := range []kernels{scalarKernels, bestKernels()} {
		for _, n := range []int{4, 8, 100, 516} {
			w, x := randomSlice(1, n), randomSlice(2, n)
			var acc [4]float64
			k.dotLanes(w, x, &acc)
			plain := 0.0
			for i := range w {
				plain += w[i] * x[i]
			}
			if got := finishDot(&acc, nil, nil); math.Abs(got-plain) > 1e-12*math.Max(1, math.Abs(plain)) {
				t.Errorf("%s dotLanes n=%d: %v, plain %v", k.name, n, got, plain)
			}
		}
		for _, n := range []int{1, 3, 7, 100, 515} {
			xs := [4][]float64{randomSlice(3, n), randomSlice(4, n), randomSlice(5, n), randomSlice(6, n)}
			a := [4]float64{0.5, -2, 0.25, 3}
			y := randomSlice(7, n)
			want := slices.Clone(y)
			for i := range want {
				for q := range 4 {
					want[i] += a[q] * xs[q][i]
				}
			}
			k.axpy4(&a, xs[0], xs[1], xs[2], xs[3], y)
			if d := maxRelDiff(y, want); d > 1e-14 {
				t.Errorf("%s axpy4 n=%d differs by %g", k.name, n, d)
			}
			k.axpy(-1.5, xs[0], y)
			for i := range want {
				want[i] += -1.5 * xs[0][i]
			}
			if d := maxRelDiff(y, want); d > 1e-14 {
				t.Errorf("%s axpy n=%d differs by %g", k.name, n, d)
			}
		}
	}
}

func TestSIMDKernelsBitIdenticalToScalar(t *testing.T) {
	fast := bestKernels()
	if fast.name == scalarKernels.name {
		t.Skip("this build has only the scalar kernels (build with GOEXPERIMENT=simd on an AVX2 CPU)")
	}
	slow := scalarKernels
	for _, n := range []int{4, 12, 512, 1000} {
		w := randomSlice(1, n)
		xs := [4][]float64{randomSlice(2, n), randomSlice(3, n), randomSlice(4, n), randomSlice(5, n)}
		var a16, b16 [16]float64
		fast.dotLanes4(w, xs[0], xs[1], xs[2], xs[3], &a16)
		slow.dotLanes4(w, xs[0], xs[1], xs[2], xs[3], &b16)
		if a16 != b16 {
			t.Errorf("dotLanes4 n=%d: %v vs %v", n, a16, b16)
		}
		var a4, b4 [4]float64
		fast.dotLanes(w, xs[1], &a4)
		slow.dotLanes(w, xs[1], &b4)
		if a4 != b4 {
			t.Errorf("dotLanes n=%d: %v vs %v", n, a4, b4)
		}
	}
	for _, n := range []int{1, 5, 513, 1003} {
		xs := [4][]float64{randomSlice(2, n), randomSlice(3, n), randomSlice(4, n), randomSlice(5, n)}
		coef := [4]float64{0.3, -1.7, 2.2, 1e-3}
		y1, y2 := randomSlice(6, n), randomSlice(6, n)
		fast.axpy4(&coef, xs[0], xs[1], xs[2], xs[3], y1)
		slow.axpy4(&coef, xs[0], xs[1], xs[2], xs[3], y2)
		fast.axpy(0.7, xs[3], y1)
		slow.axpy(0.7, xs[3], y2)
		if !slices.Equal(y1, y2) {
			t.Errorf("axpy n=%d differ", n)
		}
		for step := 1; step <= 3; step++ {
			c := newAdamConsts(0.01, 0.003, step)
			w1, w2 := randomSlice(7, n), randomSlice(7, n)
			m1, m2 := randomSlice(8, n), randomSlice(8, n)
			v1, v2 := make([]float64, n), make([]float64, n)
			for i := range v1 {
				v1[i] = float64(i%7) * 1e-3
				v2[i] = v1[i]
			}
			fast.adam(w1, m1, v1, xs[0], &c)
			slow.adam(w2, m2, v2, xs[0], &c)
			if !slices.Equal(w1, w2) || !slices.Equal(m1, m2) || !slices.Equal(v1, v2) {
				t.Errorf("adam n=%d step %d differ", n, step)
			}
			fast.sgd(w1, xs[1], 0.01, 0.1)
			slow.sgd(w2, xs[1], 0.01, 0.1)
			if !slices.Equal(w1, w2) {
				t.Errorf("sgd n=%d differ", n)
			}
			rows := [4][]float64{xs[3], xs[2], xs[1], xs[0]}
			g1, g2 := slices.Clone(xs[2]), slices.Clone(xs[2])
			var l1, l2 [16]float64
			l1[5], l2[5] = 0.5, 0.5
			fast.adamFused(w1, m1, v1, g1, &c, &coef, &xs, &rows, &l1)
			slow.adamFused(w2, m2, v2, g2, &c, &coef, &xs, &rows, &l2)
			if !slices.Equal(w1, w2) || !slices.Equal(m1, m2) || !slices.Equal(v1, v2) || l1 != l2 {
				t.Errorf("adamFused n=%d step %d differ", n, step)
			}
		}
	}
}

// A whole training run is bit-identical between the two kernel sets, so a run's output does
// not depend on GOEXPERIMENT.
func TestTrainingBitIdenticalAcrossKernels(t *testing.T) {
	fast := bestKernels()
	if fast.name == scalarKernels.name {
		t.Skip("this build has only the scalar kernels (build with GOEXPERIMENT=simd on an AVX2 CPU)")
	}
	spec := Spec{In: 70, Hidden: 12, Depth: 2, Out: 1, Act: GELU}
	rng := newRand(3)
	data := randomData(rng, 17, spec)
	a := mustMLP(t, spec, rng)
	b, _ := NewMLP(spec)
	_ = b.CopyFrom(a)
	if _, err := mustWorkspace(t, fast).Train(a, data, ALSOTrainConfig(17), newRand(4)); err != nil {
		t.Fatal(err)
	}
	if _, err := mustWorkspace(t, scalarKernels).Train(b, data, ALSOTrainConfig(17), newRand(4)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(params(a), params(b)) {
		t.Fatalf("weights differ by up to %g", maxRelDiff(params(a), params(b)))
	}
}

// The fused update's by-product, the next batch's first-layer pre-activations, equals a fresh
// forward pass on the updated weights bit for bit.
func TestFusedNextPreactivationsExact(t *testing.T) {
	for _, opt := range []Optimizer{Adam, SGD} {
		spec := Spec{In: 1030, Hidden: 7, Depth: 1, Out: 1, Act: GELU} // 1030: two full blocks and a tail
		rng := newRand(11)
		data := randomData(rng, 9, spec)
		net := mustMLP(t, spec, rng)
		ws := mustWorkspace(t, bestKernels())
		tr := &ws.tr
		cfg := ALSOTrainConfig(9)
		cfg.Optimizer = opt
		tr.prepare(&ws.k, net, data, cfg)
		rows, next := []int{4, 0, 7, 2, 8}, []int{1, 3, 6, 5, 2}
		tr.setRows(&tr.rowsX, rows)
		ws.k.linearForward(tr.rowsX, spec.In, net.Layers[0].Weights(), net.Layers[0].Bias(), spec.Hidden, tr.z)
		tr.forwardBackward(rows)
		tr.setRows(&tr.rowsNext, next)
		tr.update(rows, 0.01)
		want := make([]float64, len(next)*spec.Hidden)
		ws.k.linearForward(tr.rowsNext, spec.In, net.Layers[0].Weights(), net.Layers[0].Bias(), spec.Hidden, want)
		if got := tr.zNext[:len(want)]; !slices.Equal(got, want) {
			t.Fatalf("%v: fused next pre-activations differ from a forward pass by %g", opt, maxRelDiff(got, want))
		}
	}
}
