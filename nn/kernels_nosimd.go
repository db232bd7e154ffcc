//go:build !(goexperiment.simd && amd64)

package nn

// bestKernels returns the fastest kernels this build has: without GOEXPERIMENT=simd on amd64,
// the portable ones.
func bestKernels() kernels { return scalarKernels }
