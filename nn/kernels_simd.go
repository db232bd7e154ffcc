//go:build goexperiment.simd && amd64

package nn

import (
	"simd/archsimd"
	"unsafe"
)

// The AVX2/FMA kernels. They do the scalar kernels' operations four lanes at a time, in the same
// order, so results are bit-identical (kernels_test.go checks it). Raw pointers instead of
// slice indexing keep bounds checks and spills out of the loops (the compiler does not prove
// them away for vector loads); every function checks its lengths up front. Each ends with
// VZEROUPPER so the scalar SSE code that follows pays no AVX transition penalty.

// bestKernels returns the AVX2/FMA kernels when the CPU has them.
func bestKernels() kernels {
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		return simdKernels
	}
	return scalarKernels
}

var simdKernels = kernels{name: "avx2", simd: true}

func (k *kernels) dotLanes(w, x []float64, acc *[4]float64) {
	if k.simd {
		dotLanesSIMD(w, x, acc)
	} else {
		dotLanesScalar(w, x, acc)
	}
}

func (k *kernels) dotLanes4(w, x0, x1, x2, x3 []float64, acc *[16]float64) {
	if k.simd {
		dotLanes4SIMD(w, x0, x1, x2, x3, acc)
	} else {
		dotLanes4Scalar(w, x0, x1, x2, x3, acc)
	}
}

func (k *kernels) axpy4(a *[4]float64, x0, x1, x2, x3, y []float64) {
	if k.simd {
		axpy4SIMD(a, x0, x1, x2, x3, y)
	} else {
		axpy4Scalar(a, x0, x1, x2, x3, y)
	}
}

func (k *kernels) axpy(a float64, x, y []float64) {
	if k.simd {
		axpySIMD(a, x, y)
	} else {
		axpyScalar(a, x, y)
	}
}

func (k *kernels) adam(w, m, v, g []float64, c *adamConsts) {
	if k.simd {
		adamSIMD(w, m, v, g, c)
	} else {
		adamScalar(w, m, v, g, c)
	}
}

func (k *kernels) sgd(w, g []float64, lr, wd float64) {
	if k.simd {
		sgdSIMD(w, g, lr, wd)
	} else {
		sgdScalar(w, g, lr, wd)
	}
}

func (k *kernels) adamFused(w, m, v, g []float64, c *adamConsts, a *[4]float64, gx, dx *[4][]float64, acc *[16]float64) {
	if k.simd {
		adamFusedSIMD(w, m, v, g, c, a, gx, dx, acc)
	} else {
		adamFusedScalar(w, m, v, g, c, a, gx, dx, acc)
	}
}

type f64x4 = archsimd.Float64x4

// at is the 4-float64 vector starting at element i of the array at p.
func at(p unsafe.Pointer, i int) *[4]float64 { return (*[4]float64)(unsafe.Add(p, i*8)) }

func base(s []float64) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(s)) }

func load(p unsafe.Pointer, i int) f64x4 { return archsimd.LoadFloat64x4(at(p, i)) }

func dotLanesSIMD(w, x []float64, acc *[4]float64) {
	n := len(w)
	if n%4 != 0 || len(x) < n {
		panic("nn: dotLanes: bad lengths")
	}
	pw, px := base(w), base(x)
	s := archsimd.LoadFloat64x4(acc)
	for i := 0; i < n; i += 4 {
		s = load(px, i).MulAdd(load(pw, i), s)
	}
	s.Store(acc)
	archsimd.ClearAVXUpperBits()
}

func dotLanes4SIMD(w, x0, x1, x2, x3 []float64, acc *[16]float64) {
	n := len(w)
	if n%4 != 0 || len(x0) < n || len(x1) < n || len(x2) < n || len(x3) < n {
		panic("nn: dotLanes4: bad lengths")
	}
	pw, p0, p1, p2, p3 := base(w), base(x0), base(x1), base(x2), base(x3)
	pa := unsafe.Pointer(acc)
	s0, s1, s2, s3 := load(pa, 0), load(pa, 4), load(pa, 8), load(pa, 12)
	for i := 0; i < n; i += 4 {
		wi := load(pw, i)
		s0 = load(p0, i).MulAdd(wi, s0)
		s1 = load(p1, i).MulAdd(wi, s1)
		s2 = load(p2, i).MulAdd(wi, s2)
		s3 = load(p3, i).MulAdd(wi, s3)
	}
	s0.Store(at(pa, 0))
	s1.Store(at(pa, 4))
	s2.Store(at(pa, 8))
	s3.Store(at(pa, 12))
	archsimd.ClearAVXUpperBits()
}

func axpy4SIMD(a *[4]float64, x0, x1, x2, x3, y []float64) {
	n := len(y)
	if len(x0) < n || len(x1) < n || len(x2) < n || len(x3) < n {
		panic("nn: axpy4: bad lengths")
	}
	n4 := n &^ 3
	py, p0, p1, p2, p3 := base(y), base(x0), base(x1), base(x2), base(x3)
	a0 := archsimd.BroadcastFloat64x4(a[0])
	a1 := archsimd.BroadcastFloat64x4(a[1])
	a2 := archsimd.BroadcastFloat64x4(a[2])
	a3 := archsimd.BroadcastFloat64x4(a[3])
	for i := 0; i < n4; i += 4 {
		s := load(p0, i).MulAdd(a0, load(py, i))
		s = load(p1, i).MulAdd(a1, s)
		s = load(p2, i).MulAdd(a2, s)
		s = load(p3, i).MulAdd(a3, s)
		s.Store(at(py, i))
	}
	archsimd.ClearAVXUpperBits()
	if n4 < n {
		axpy4Scalar(a, x0[n4:n], x1[n4:n], x2[n4:n], x3[n4:n], y[n4:])
	}
}

func axpySIMD(a float64, x, y []float64) {
	n := len(y)
	if len(x) < n {
		panic("nn: axpy: bad lengths")
	}
	n4 := n &^ 3
	py, px := base(y), base(x)
	av := archsimd.BroadcastFloat64x4(a)
	for i := 0; i < n4; i += 4 {
		load(px, i).MulAdd(av, load(py, i)).Store(at(py, i))
	}
	archsimd.ClearAVXUpperBits()
	if n4 < n {
		axpyScalar(a, x[n4:n], y[n4:])
	}
}

func adamSIMD(w, m, v, g []float64, c *adamConsts) {
	n := len(w)
	if len(m) < n || len(v) < n || len(g) < n {
		panic("nn: adam: bad lengths")
	}
	n4 := n &^ 3
	pw, pm, pv, pg := base(w), base(m), base(v), base(g)
	b1 := archsimd.BroadcastFloat64x4(c.beta1)
	b1c := archsimd.BroadcastFloat64x4(c.oneMinusBeta1)
	b2 := archsimd.BroadcastFloat64x4(c.beta2)
	b2c := archsimd.BroadcastFloat64x4(c.oneMinusBeta2)
	k := archsimd.BroadcastFloat64x4(c.invSqrtBC2)
	eps := archsimd.BroadcastFloat64x4(c.eps)
	step := archsimd.BroadcastFloat64x4(c.negStep)
	wd := archsimd.BroadcastFloat64x4(c.wd)
	for i := 0; i < n4; i += 4 {
		wi := load(pw, i)
		gi := wi.MulAdd(wd, load(pg, i))
		mi := load(pm, i).MulAdd(b1, gi.Mul(b1c))
		vi := load(pv, i).MulAdd(b2, gi.Mul(b2c).Mul(gi))
		den := vi.Sqrt().MulAdd(k, eps)
		mi.Store(at(pm, i))
		vi.Store(at(pv, i))
		mi.Div(den).MulAdd(step, wi).Store(at(pw, i))
	}
	archsimd.ClearAVXUpperBits()
	if n4 < n {
		adamScalar(w[n4:], m[n4:n], v[n4:n], g[n4:n], c)
	}
}

func sgdSIMD(w, g []float64, lr, wd float64) {
	n := len(w)
	if len(g) < n {
		panic("nn: sgd: bad lengths")
	}
	n4 := n &^ 3
	pw, pg := base(w), base(g)
	neg := archsimd.BroadcastFloat64x4(-lr)
	wdv := archsimd.BroadcastFloat64x4(wd)
	for i := 0; i < n4; i += 4 {
		wi := load(pw, i)
		wi.MulAdd(wdv, load(pg, i)).MulAdd(neg, wi).Store(at(pw, i))
	}
	archsimd.ClearAVXUpperBits()
	if n4 < n {
		sgdScalar(w[n4:], g[n4:n], lr, wd)
	}
}

func adamFusedSIMD(w, m, v, g []float64, c *adamConsts, a *[4]float64, gx, dx *[4][]float64, acc *[16]float64) {
	n := len(w)
	if len(m) < n || len(v) < n || len(g) < n {
		panic("nn: adamFused: bad lengths")
	}
	for q := range 4 {
		if len(gx[q]) < n || len(dx[q]) < n {
			panic("nn: adamFused: short row")
		}
	}
	n4 := n &^ 3
	pw, pm, pv, pg := base(w), base(m), base(v), base(g)
	g0, g1, g2, g3 := base(gx[0]), base(gx[1]), base(gx[2]), base(gx[3])
	d0, d1, d2, d3 := base(dx[0]), base(dx[1]), base(dx[2]), base(dx[3])
	a0 := archsimd.BroadcastFloat64x4(a[0])
	a1 := archsimd.BroadcastFloat64x4(a[1])
	a2 := archsimd.BroadcastFloat64x4(a[2])
	a3 := archsimd.BroadcastFloat64x4(a[3])
	b1 := archsimd.BroadcastFloat64x4(c.beta1)
	b1c := archsimd.BroadcastFloat64x4(c.oneMinusBeta1)
	b2 := archsimd.BroadcastFloat64x4(c.beta2)
	b2c := archsimd.BroadcastFloat64x4(c.oneMinusBeta2)
	k := archsimd.BroadcastFloat64x4(c.invSqrtBC2)
	eps := archsimd.BroadcastFloat64x4(c.eps)
	step := archsimd.BroadcastFloat64x4(c.negStep)
	wd := archsimd.BroadcastFloat64x4(c.wd)
	pa := unsafe.Pointer(acc)
	s0, s1, s2, s3 := load(pa, 0), load(pa, 4), load(pa, 8), load(pa, 12)
	for i := 0; i < n4; i += 4 {
		gi := load(g0, i).MulAdd(a0, load(pg, i))
		gi = load(g1, i).MulAdd(a1, gi)
		gi = load(g2, i).MulAdd(a2, gi)
		gi = load(g3, i).MulAdd(a3, gi)
		wi := load(pw, i)
		gi = wi.MulAdd(wd, gi)
		mi := load(pm, i).MulAdd(b1, gi.Mul(b1c))
		vi := load(pv, i).MulAdd(b2, gi.Mul(b2c).Mul(gi))
		den := vi.Sqrt().MulAdd(k, eps)
		mi.Store(at(pm, i))
		vi.Store(at(pv, i))
		wi = mi.Div(den).MulAdd(step, wi)
		wi.Store(at(pw, i))
		s0 = load(d0, i).MulAdd(wi, s0)
		s1 = load(d1, i).MulAdd(wi, s1)
		s2 = load(d2, i).MulAdd(wi, s2)
		s3 = load(d3, i).MulAdd(wi, s3)
	}
	s0.Store(at(pa, 0))
	s1.Store(at(pa, 4))
	s2.Store(at(pa, 8))
	s3.Store(at(pa, 12))
	archsimd.ClearAVXUpperBits()
	if n4 < n {
		axpy4Scalar(a, gx[0][n4:n], gx[1][n4:n], gx[2][n4:n], gx[3][n4:n], g[n4:n])
		adamScalar(w[n4:], m[n4:n], v[n4:n], g[n4:n], c)
	}
}
