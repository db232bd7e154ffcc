package nn

import "math"

// Layer functions on row-major slices. Each is the forward or backward of one operation, so the
// gradient checks can test them one by one; the training paths compose them.

// gelu is x * Phi(x) in the exact erf form (nn.GELU(approximate='none')).
func gelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

const invSqrt2Pi = 0.3989422804014327 // 1/sqrt(2*pi)

// geluGrad is d/dx x*Phi(x) = Phi(x) + x*phi(x).
func geluGrad(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*invSqrt2Pi*math.Exp(-0.5*x*x)
}

// reluGrad is 1 for x > 0 and 0 otherwise (PyTorch's threshold_backward: 0 at x = 0).
func reluGrad(x float64) float64 {
	if x > 0 {
		return 1
	}
	return 0
}

// activate writes act(z) into a and, when d is not nil, act'(z) into d: the forward pass already
// has GELU's Phi(z), so keeping the derivative saves the backward pass an erf per unit.
func activate(act Activation, z, a, d []float64) {
	a = a[:len(z)]
	switch act {
	case GELU:
		for i, v := range z {
			phi := 0.5 * (1 + math.Erf(v/math.Sqrt2))
			a[i] = v * phi
			if d != nil {
				d[i] = phi + v*invSqrt2Pi*math.Exp(-0.5*v*v)
			}
		}
	case ReLU:
		for i, v := range z {
			a[i] = math.Max(v, 0)
			if d != nil {
				d[i] = reluGrad(v)
			}
		}
	}
}

// activateBackward writes dz = da * d, d the derivative activate stored (da and dz may alias).
func activateBackward(d, da, dz []float64) {
	da, dz = da[:len(d)], dz[:len(d)]
	for i, v := range d {
		dz[i] = da[i] * v
	}
}

// linearForward writes z = x W^T + b for the rows x[r] (each of length in), W (out x in,
// PyTorch's layout) and b (out): z[r*out+o] = W[o,:].x[r] + b[o].
func (k *kernels) linearForward(x [][]float64, in int, w, b []float64, out int, z []float64) {
	n8 := in &^ (lanes - 1)
	for o := 0; o < out; o++ {
		wr := w[o*in : (o+1)*in]
		r := 0
		for ; r+4 <= len(x); r += 4 {
			var acc [4 * lanes]float64
			k.dotLanes4(wr[:n8], x[r], x[r+1], x[r+2], x[r+3], &acc)
			for q := range 4 {
				z[(r+q)*out+o] = finishDot((*[lanes]float64)(acc[lanes*q:lanes*(q+1)]), wr[n8:], x[r+q][n8:in]) + b[o]
			}
		}
		for ; r < len(x); r++ {
			z[r*out+o] = k.dot(wr, x[r]) + b[o]
		}
	}
}

// linearBackward accumulates the parameter gradients of z = x W^T + b given dz (rows x out):
// gW += dz^T x, gB += column sums of dz; and, when dx is not nil, writes dx[r] = dz[r,:] W.
// wRows[o] is row o of W.
func (k *kernels) linearBackward(x [][]float64, wRows [][]float64, out int, dz, gW, gB []float64, dx [][]float64) {
	in := len(gW) / out
	for o := 0; o < out; o++ {
		k.rowCombination(x, func(r int) float64 { return dz[r*out+o] }, gW[o*in:(o+1)*in])
		for r := range x {
			gB[o] += dz[r*out+o]
		}
	}
	for r, d := range dx {
		clear(d)
		k.rowCombination(wRows, func(o int) float64 { return dz[r*out+o] }, d)
	}
}

// rowCombination adds sum_r coef(r) * rows[r] to y, four rows per pass, in row order.
func (k *kernels) rowCombination(rows [][]float64, coef func(int) float64, y []float64) {
	r := 0
	for ; r+4 <= len(rows); r += 4 {
		a := [4]float64{coef(r), coef(r + 1), coef(r + 2), coef(r + 3)}
		k.axpy4(&a, rows[r], rows[r+1], rows[r+2], rows[r+3], y)
	}
	for ; r < len(rows); r++ {
		k.axpy(coef(r), rows[r], y)
	}
}

// splitRows returns views of the consecutive rows of m (each of length width), reusing buf.
func splitRows(buf [][]float64, m []float64, rows, width int) [][]float64 {
	buf = buf[:0]
	for r := 0; r < rows; r++ {
		buf = append(buf, m[r*width:(r+1)*width])
	}
	return buf
}

// mseLoss returns mean((pred - y)^2) over all elements and writes its gradient
// 2 (pred - y) / len(pred) into dpred (nn.MSELoss with reduction 'mean').
func mseLoss(pred, y, dpred []float64) float64 {
	n := float64(len(pred))
	sum := 0.0
	for i, p := range pred {
		d := p - y[i]
		sum += d * d
		dpred[i] = 2 * d / n
	}
	return sum / n
}
