//go:build !amd64 || purego

package nn

// Without the amd64 assembly (other architectures, or the purego build tag) only the portable
// kernels exist.

var cpuKernels = []kernelChoice{{scalarKernels, true}}

func (k *kernels) dotLanes(w, x []float64, acc *[lanes]float64) { dotLanesScalar(w, x, acc) }

func (k *kernels) dotLanes4(w, x0, x1, x2, x3 []float64, acc *[4 * lanes]float64) {
	dotLanes4Scalar(w, x0, x1, x2, x3, acc)
}

func (k *kernels) axpy4(a *[4]float64, x0, x1, x2, x3, y []float64) {
	axpy4Scalar(a, x0, x1, x2, x3, y)
}

func (k *kernels) axpy(a float64, x, y []float64) { axpyScalar(a, x, y) }

func (k *kernels) adam(w, m, v, g []float64, c *adamConsts) { adamScalar(w, m, v, g, c) }

func (k *kernels) sgd(w, g []float64, lr, wd float64) { sgdScalar(w, g, lr, wd) }

func (k *kernels) adamFused(w, m, v, g []float64, c *adamConsts, a *[4]float64, gx, dx *[4][]float64, acc *[4 * lanes]float64) {
	adamFusedScalar(w, m, v, g, c, a, gx, dx, acc)
}

func (k *kernels) sqrtDiv(x, y []float64) { sqrtDivScalar(x, y) }

func (k *kernels) stream3(w, m, v []float64, c float64) { stream3Scalar(w, m, v, c) }
