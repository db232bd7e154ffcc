package nn

import (
	"fmt"
	"os"
	"strings"
)

// kernelChoice is one implementation and whether this CPU (and build) can run it.
type kernelChoice struct {
	k         kernels
	supported bool
}

// KernelsEnv overrides the automatic choice of kernels: portable, avx2 or avx512 (for tests and
// benchmarks; results are the same whichever runs).
const KernelsEnv = "ALSO_KERNELS"

var selected, selectErr = selectKernels(os.Getenv(KernelsEnv))

// selectKernels returns the fastest supported kernels, or the ones named (an error if this CPU
// or build cannot run them).
func selectKernels(name string) (kernels, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, c := range cpuKernels {
		if name == "" && c.supported {
			return c.k, nil
		}
		if name == c.k.name {
			if !c.supported {
				return scalarKernels, fmt.Errorf("%s=%s: this CPU or build cannot run the %s kernels", KernelsEnv, name, name)
			}
			return c.k, nil
		}
	}
	if name == "" {
		return scalarKernels, nil
	}
	return scalarKernels, fmt.Errorf("%s=%q: unknown kernels (want portable, avx2 or avx512)", KernelsEnv, name)
}

// bestKernels returns the kernels this process uses.
func bestKernels() kernels { return selected }

// KernelsError reports a bad ALSO_KERNELS value (the process then runs the portable kernels).
func KernelsError() error { return selectErr }

// supportedKernels lists every implementation this CPU and build can run, fastest first.
func supportedKernels() []kernels {
	var ks []kernels
	for _, c := range cpuKernels {
		if c.supported {
			ks = append(ks, c.k)
		}
	}
	return ks
}
