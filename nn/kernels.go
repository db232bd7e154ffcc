package nn

import "math"

// kernels are the inner loops a training step spends its time in. Every implementation (portable
// Go, AVX2/FMA, AVX-512; kernels_amd64.go picks one at start-up from the CPU's features) performs
// exactly the same IEEE operations in the same order (explicit fused multiply-adds, eight
// interleaved partial sums per dot product), so results are bit-identical whichever runs. Dispatch
// is a direct call on k.isa, not a function value, so the small scratch arrays callers pass stay
// on the stack.
//
//   - dotLanes(w, x, acc) adds w.x into eight lane partial sums: lane l gets the terms i = l mod 8,
//     each accumulated by FMA in order of i. len(x) >= len(w); len(w) must be a multiple of 8.
//     (AVX2 keeps the lanes in two ymm registers, AVX-512 in one zmm.)
//   - dotLanes4(w, x0..x3, acc) is dotLanes for four rows sharing the loads of w:
//     acc[8k:8k+8] are the lanes of w.x_k.
//   - axpy4(a, x0..x3, y) is y += a0 x0 + a1 x1 + a2 x2 + a3 x3, one FMA per term in that order.
//   - axpy(a, x, y) is y += a x by FMA over len(y).
//   - adam(w, m, v, g, c) is one Adam step on w with moments m, v and clipped gradient g.
//   - sgd(w, g, lr, wd) is one plain SGD step: w -= lr * (g + wd w).
//   - adamFused(w, m, v, g, c, a, gx, dx, acc) is, per element and in this order,
//     axpy4(a, gx, g), adam(w, m, v, g) and dotLanes4 of the updated w with dx over the largest
//     multiple of 8 of len(w): the first layer's whole update of one block in one pass, so the
//     divider-bound Adam arithmetic hides the gradient and forward FMAs. g is scratch, left
//     zeroed over len(w) (the next unit's gradient accumulates into it without a clearing pass).
type kernels struct {
	name string
	isa  kernelISA
}

// kernelISA names an implementation of the kernels.
type kernelISA int

const (
	isaPortable kernelISA = iota
	isaAVX2
	isaAVX512
)

// lanes is the number of dot-product partial sums (the contract above).
const lanes = 8

// adamConsts are one Adam step's scalars (torch.optim.Adam, single-tensor path, PyTorch 1.13):
//
//	g' = g + wd*w
//	m  = beta1*m + (1-beta1)*g'
//	v  = beta2*v + (1-beta2)*g'*g'
//	w  = w - (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps),  bc_i = 1 - beta_i^t
//
// The division by sqrt(bc2) is a multiplication by its inverse (one rounding apart) because the
// divider is the bottleneck of the whole training.
type adamConsts struct {
	beta1, oneMinusBeta1 float64
	beta2, oneMinusBeta2 float64
	invSqrtBC2           float64
	eps                  float64
	negStep              float64 // -lr / bc1
	wd                   float64
}

const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

func newAdamConsts(lr, wd float64, step int) adamConsts {
	bc1 := 1 - math.Pow(adamBeta1, float64(step))
	bc2 := 1 - math.Pow(adamBeta2, float64(step))
	return adamConsts{
		beta1: adamBeta1, oneMinusBeta1: 1 - adamBeta1,
		beta2: adamBeta2, oneMinusBeta2: 1 - adamBeta2,
		invSqrtBC2: 1 / math.Sqrt(bc2), eps: adamEps, negStep: -lr / bc1, wd: wd,
	}
}

// dot is w.x over len(w) elements: lanes over the largest multiple of 8, their sum, then the tail.
func (k *kernels) dot(w, x []float64) float64 {
	var acc [lanes]float64
	n8 := len(w) &^ (lanes - 1)
	k.dotLanes(w[:n8], x, &acc)
	return finishDot(&acc, w[n8:], x[n8:])
}

// finishDot sums eight lanes as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)) and adds the tail terms by
// FMA, in order.
func finishDot(acc *[lanes]float64, wTail, xTail []float64) float64 {
	s := ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
	for i, w := range wTail {
		s = math.FMA(w, xTail[i], s)
	}
	return s
}

// scalarKernels are portable Go; math.FMA compiles to one instruction on amd64 with FMA3 and on
// arm64 (elsewhere it is exact but slow).
var scalarKernels = kernels{name: "portable", isa: isaPortable}

func adamFusedScalar(w, m, v, g []float64, c *adamConsts, a *[4]float64, gx, dx *[4][]float64, acc *[4 * lanes]float64) {
	axpy4Scalar(a, gx[0], gx[1], gx[2], gx[3], g)
	adamScalar(w, m, v, g, c)
	clear(g[:len(w)])
	n8 := len(w) &^ (lanes - 1)
	dotLanes4Scalar(w[:n8], dx[0], dx[1], dx[2], dx[3], acc)
}

func dotLanesScalar(w, x []float64, acc *[lanes]float64) {
	x = x[:len(w)]
	a0, a1, a2, a3, a4, a5, a6, a7 := acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]
	for i := 0; i+7 < len(w); i += 8 {
		a0 = math.FMA(x[i], w[i], a0)
		a1 = math.FMA(x[i+1], w[i+1], a1)
		a2 = math.FMA(x[i+2], w[i+2], a2)
		a3 = math.FMA(x[i+3], w[i+3], a3)
		a4 = math.FMA(x[i+4], w[i+4], a4)
		a5 = math.FMA(x[i+5], w[i+5], a5)
		a6 = math.FMA(x[i+6], w[i+6], a6)
		a7 = math.FMA(x[i+7], w[i+7], a7)
	}
	acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7] = a0, a1, a2, a3, a4, a5, a6, a7
}

func dotLanes4Scalar(w, x0, x1, x2, x3 []float64, acc *[4 * lanes]float64) {
	for k, x := range [4][]float64{x0, x1, x2, x3} {
		dotLanesScalar(w, x, (*[lanes]float64)(acc[lanes*k:lanes*k+lanes]))
	}
}

func axpy4Scalar(a *[4]float64, x0, x1, x2, x3, y []float64) {
	n := len(y)
	x0, x1, x2, x3 = x0[:n], x1[:n], x2[:n], x3[:n]
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	for i := range y {
		s := math.FMA(x0[i], a0, y[i])
		s = math.FMA(x1[i], a1, s)
		s = math.FMA(x2[i], a2, s)
		y[i] = math.FMA(x3[i], a3, s)
	}
}

func axpyScalar(a float64, x, y []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] = math.FMA(x[i], a, y[i])
	}
}

func adamScalar(w, m, v, g []float64, c *adamConsts) {
	n := len(w)
	m, v, g = m[:n], v[:n], g[:n]
	for i := range w {
		gi := math.FMA(w[i], c.wd, g[i])
		mi := math.FMA(m[i], c.beta1, gi*c.oneMinusBeta1)
		vi := math.FMA(v[i], c.beta2, (gi*c.oneMinusBeta2)*gi)
		den := math.FMA(math.Sqrt(vi), c.invSqrtBC2, c.eps)
		m[i], v[i] = mi, vi
		w[i] = math.FMA(mi/den, c.negStep, w[i])
	}
}

func sgdScalar(w, g []float64, lr, wd float64) {
	g = g[:len(w)]
	for i := range w {
		w[i] = math.FMA(math.FMA(w[i], wd, g[i]), -lr, w[i])
	}
}
