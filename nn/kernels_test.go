package nn

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// Every kernel against a plain loop (to rounding), and every vector implementation this CPU runs
// against the portable one (bit for bit: they perform the same IEEE operations in the same order).

func TestKernelsAgainstPlainLoops(t *testing.T) {
	for _, k := range supportedKernels() {
		for _, n := range []int{8, 16, 104, 520} {
			w, x := randomSlice(1, n), randomSlice(2, n)
			var acc [lanes]float64
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

// vectorKernels are the non-portable kernels this CPU runs.
func vectorKernels(t *testing.T) []kernels {
	ks := supportedKernels()
	if len(ks) < 2 {
		t.Skip("this CPU or build runs only the portable kernels")
	}
	return ks[:len(ks)-1]
}

// TestVectorKernelsBitIdenticalToPortable runs every kernel on lengths with and without a tail
// and on slices starting at unaligned addresses (offset by one element).
func TestVectorKernelsBitIdenticalToPortable(t *testing.T) {
	slow := scalarKernels
	for _, fast := range vectorKernels(t) {
		for _, off := range []int{0, 1} {
			testBitIdentical(t, fast, slow, off)
		}
	}
}

func testBitIdentical(t *testing.T, fast, slow kernels, off int) {
	r := func(seed uint64, n int) []float64 { return randomSlice(seed, n+off)[off:] }
	for _, n := range []int{8, 16, 512, 1000} {
		w := r(1, n)
		xs := [4][]float64{r(2, n), r(3, n), r(4, n), r(5, n)}
		var a32, b32 [4 * lanes]float64
		a32[3], b32[3] = 0.25, 0.25
		fast.dotLanes4(w, xs[0], xs[1], xs[2], xs[3], &a32)
		slow.dotLanes4(w, xs[0], xs[1], xs[2], xs[3], &b32)
		if a32 != b32 {
			t.Errorf("%s dotLanes4 n=%d off=%d: %v vs %v", fast.name, n, off, a32, b32)
		}
		var a8, b8 [lanes]float64
		fast.dotLanes(w, xs[1], &a8)
		slow.dotLanes(w, xs[1], &b8)
		if a8 != b8 {
			t.Errorf("%s dotLanes n=%d off=%d: %v vs %v", fast.name, n, off, a8, b8)
		}
		if fast.dot(w[:n-3], xs[2]) != slow.dot(w[:n-3], xs[2]) {
			t.Errorf("%s dot n=%d off=%d differs", fast.name, n-3, off)
		}
	}
	for _, n := range []int{1, 5, 8, 13, 513, 1003} {
		xs := [4][]float64{r(2, n), r(3, n), r(4, n), r(5, n)}
		coef := [4]float64{0.3, -1.7, 2.2, 1e-3}
		y1, y2 := r(6, n), r(6, n)
		fast.axpy4(&coef, xs[0], xs[1], xs[2], xs[3], y1)
		slow.axpy4(&coef, xs[0], xs[1], xs[2], xs[3], y2)
		fast.axpy(0.7, xs[3], y1)
		slow.axpy(0.7, xs[3], y2)
		if !slices.Equal(y1, y2) {
			t.Errorf("%s axpy n=%d off=%d differ", fast.name, n, off)
		}
		for step := 1; step <= 3; step++ {
			c := newAdamConsts(0.01, 0.003, step)
			w1, w2 := r(7, n), r(7, n)
			m1, m2 := r(8, n), r(8, n)
			v1, v2 := make([]float64, n), make([]float64, n)
			for i := range v1 {
				v1[i] = float64(i%7) * 1e-3
				v2[i] = v1[i]
			}
			fast.adam(w1, m1, v1, xs[0], &c)
			slow.adam(w2, m2, v2, xs[0], &c)
			if !slices.Equal(w1, w2) || !slices.Equal(m1, m2) || !slices.Equal(v1, v2) {
				t.Errorf("%s adam n=%d off=%d step %d differ", fast.name, n, off, step)
			}
			fast.sgd(w1, xs[1], 0.01, 0.1)
			slow.sgd(w2, xs[1], 0.01, 0.1)
			if !slices.Equal(w1, w2) {
				t.Errorf("%s sgd n=%d off=%d differ", fast.name, n, off)
			}
			rows := [4][]float64{xs[3], xs[2], xs[1], xs[0]}
			g1, g2 := slices.Clone(xs[2]), slices.Clone(xs[2])
			var l1, l2 [4 * lanes]float64
			l1[5], l2[5] = 0.5, 0.5
			fast.adamFused(w1, m1, v1, g1, &c, &coef, &xs, &rows, &l1)
			slow.adamFused(w2, m2, v2, g2, &c, &coef, &xs, &rows, &l2)
			if !slices.Equal(w1, w2) || !slices.Equal(m1, m2) || !slices.Equal(v1, v2) || l1 != l2 {
				t.Errorf("%s adamFused n=%d off=%d step %d differ", fast.name, n, off, step)
			}
			for i := range n { // the gradient scratch is left zeroed for the next unit
				if g1[i] != 0 || g2[i] != 0 {
					t.Fatalf("%s adamFused n=%d off=%d: gradient scratch %v / %v at %d, want 0", fast.name, n, off, g1[i], g2[i], i)
				}
			}
		}
	}
}

// A whole training run is bit-identical between every kernel set, so a run's output does not
// depend on the CPU's vector extensions.
func TestTrainingBitIdenticalAcrossKernels(t *testing.T) {
	for _, fast := range vectorKernels(t) {
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
			t.Fatalf("%s: weights differ by up to %g", fast.name, maxRelDiff(params(a), params(b)))
		}
	}
}

func TestSelectKernels(t *testing.T) {
	if k, err := selectKernels("portable"); err != nil || k.isa != isaPortable {
		t.Errorf("portable: %v %v", k.name, err)
	}
	if k, err := selectKernels(""); err != nil || k.name != supportedKernels()[0].name {
		t.Errorf("default: %v %v, want the fastest %s", k.name, err, supportedKernels()[0].name)
	}
	if _, err := selectKernels("sse9"); err == nil || !strings.Contains(err.Error(), "sse9") {
		t.Errorf("unknown kernels: %v", err)
	}
	for _, c := range cpuKernels {
		k, err := selectKernels(strings.ToUpper(c.k.name))
		if c.supported != (err == nil) || (err == nil && k.name != c.k.name) {
			t.Errorf("%s: got %s, %v (supported %v)", c.k.name, k.name, err, c.supported)
		}
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
