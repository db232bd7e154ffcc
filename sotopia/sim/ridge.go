package sim

import "math"

// ridgeLambdas is the grid the probe chooses its ridge strength from.
var ridgeLambdas = []float64{0.01, 0.1, 1, 10, 100, 1000}

// ridgeProbe fits a ridge regression per target set on the episodes before firstTest, choosing
// lambda on their last fifth, and returns each set's pooled R^2 on the later episodes. The
// target sets share X, so X'X is accumulated once.
func ridgeProbe(xs [][]float64, targets [][][]float64, episodeOf []int, firstTest int) (r2, lambda []float64, train, test int) {
	firstVal := firstTest * 4 / 5
	var fitIdx, valIdx, testIdx []int
	for i, e := range episodeOf {
		switch {
		case e < firstVal:
			fitIdx = append(fitIdx, i)
		case e < firstTest:
			valIdx = append(valIdx, i)
		default:
			testIdx = append(testIdx, i)
		}
	}
	fitX, valX := newMoments(xs, fitIdx), newMoments(xs, valIdx)
	trainX := fitX.plus(valX)
	for _, ys := range targets {
		fitY, valY := crossMoments(xs, ys, fitIdx), crossMoments(xs, ys, valIdx)
		best, bestL := math.Inf(-1), ridgeLambdas[0]
		for _, l := range ridgeLambdas {
			w, icpt := fitX.solve(fitY, l)
			if v := pooledR2(w, icpt, xs, ys, valIdx, fitY.meanY(fitX.n)); v > best {
				best, bestL = v, l
			}
		}
		trainY := fitY.plus(valY)
		w, icpt := trainX.solve(trainY, bestL)
		r2 = append(r2, pooledR2(w, icpt, xs, ys, testIdx, trainY.meanY(trainX.n)))
		lambda = append(lambda, bestL)
	}
	return r2, lambda, len(fitIdx) + len(valIdx), len(testIdx)
}

// moments are the uncentred sums n, sum x and sum x x' (upper triangle) of a sample set.
type moments struct {
	n, d int
	sx   []float64
	sxx  []float64
}

func newMoments(xs [][]float64, idx []int) *moments {
	d := len(xs[0])
	m := &moments{n: len(idx), d: d, sx: make([]float64, d), sxx: make([]float64, d*d)}
	for _, i := range idx {
		x := xs[i]
		for p, xp := range x {
			m.sx[p] += xp
			if xp == 0 {
				continue
			}
			row := m.sxx[p*d : (p+1)*d]
			for q := p; q < d; q++ {
				row[q] += xp * x[q]
			}
		}
	}
	return m
}

func (m *moments) plus(o *moments) *moments {
	out := &moments{n: m.n + o.n, d: m.d, sx: make([]float64, m.d), sxx: make([]float64, len(m.sxx))}
	for i := range out.sx {
		out.sx[i] = m.sx[i] + o.sx[i]
	}
	for i := range out.sxx {
		out.sxx[i] = m.sxx[i] + o.sxx[i]
	}
	return out
}

// cross are the sums sum y and sum x y' (d x k) of a sample set.
type cross struct {
	k   int
	sy  []float64
	sxy []float64
}

func crossMoments(xs, ys [][]float64, idx []int) *cross {
	d, k := len(xs[0]), len(ys[0])
	c := &cross{k: k, sy: make([]float64, k), sxy: make([]float64, d*k)}
	for _, i := range idx {
		for j, y := range ys[i] {
			c.sy[j] += y
		}
		for p, xp := range xs[i] {
			for j, y := range ys[i] {
				c.sxy[p*k+j] += xp * y
			}
		}
	}
	return c
}

func (c *cross) plus(o *cross) *cross {
	out := &cross{k: c.k, sy: make([]float64, c.k), sxy: make([]float64, len(c.sxy))}
	for i := range out.sy {
		out.sy[i] = c.sy[i] + o.sy[i]
	}
	for i := range out.sxy {
		out.sxy[i] = c.sxy[i] + o.sxy[i]
	}
	return out
}

func (c *cross) meanY(n int) []float64 {
	out := make([]float64, c.k)
	for j := range out {
		out[j] = c.sy[j] / float64(n)
	}
	return out
}

// solve returns centred ridge weights (d x k) and the intercept of each target for strength
// lambda: (Xc'Xc + lambda I) W = Xc'Yc, with Xc'Xc = sum xx' - n mx mx'.
func (m *moments) solve(c *cross, lambda float64) (w, intercept []float64) {
	d, k, n := m.d, c.k, float64(m.n)
	mx := make([]float64, d)
	for p := range mx {
		mx[p] = m.sx[p] / n
	}
	my := c.meanY(m.n)
	a := make([]float64, d*d)
	for p := range d {
		for q := p; q < d; q++ {
			v := m.sxx[p*d+q] - n*mx[p]*mx[q]
			a[p*d+q], a[q*d+p] = v, v
		}
		a[p*d+p] += lambda
	}
	b := make([]float64, d*k)
	for p := range d {
		for j := range k {
			b[p*k+j] = c.sxy[p*k+j] - n*mx[p]*my[j]
		}
	}
	w = choleskySolve(a, b, d, k)
	intercept = append([]float64(nil), my...)
	for j := range k {
		for p := range d {
			intercept[j] -= mx[p] * w[p*k+j]
		}
	}
	return w, intercept
}

// pooledR2 is 1 - SSE/SST over all targets of the samples idx, SST taken around ref (the
// training mean, so predicting it scores 0).
func pooledR2(w, intercept []float64, xs, ys [][]float64, idx []int, ref []float64) float64 {
	k := len(intercept)
	var sse, sst float64
	for _, i := range idx {
		for j := range k {
			pred := intercept[j]
			for p, xp := range xs[i] {
				pred += xp * w[p*k+j]
			}
			sse += (ys[i][j] - pred) * (ys[i][j] - pred)
			sst += (ys[i][j] - ref[j]) * (ys[i][j] - ref[j])
		}
	}
	return 1 - sse/sst
}

// choleskySolve solves A W = B for a symmetric positive-definite d x d matrix A (overwritten)
// and d x k right-hand sides B (row-major), returning W.
func choleskySolve(a, b []float64, d, k int) []float64 {
	for j := range d {
		s := a[j*d+j]
		for p := range j {
			s -= a[j*d+p] * a[j*d+p]
		}
		l := math.Sqrt(s)
		a[j*d+j] = l
		for i := j + 1; i < d; i++ {
			s := a[i*d+j]
			for p := range j {
				s -= a[i*d+p] * a[j*d+p]
			}
			a[i*d+j] = s / l
		}
	}
	w := append([]float64(nil), b...)
	for c := range k { // forward then backward substitution, one column at a time
		for i := range d {
			s := w[i*k+c]
			for p := range i {
				s -= a[i*d+p] * w[p*k+c]
			}
			w[i*k+c] = s / a[i*d+i]
		}
		for i := d - 1; i >= 0; i-- {
			s := w[i*k+c]
			for p := i + 1; p < d; p++ {
				s -= a[p*d+i] * w[p*k+c]
			}
			w[i*k+c] = s / a[i*d+i]
		}
	}
	return w
}
