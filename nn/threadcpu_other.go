//go:build !linux

package nn

import "time"

var processStart = time.Now()

// threadCPU falls back to the wall clock (monotonic) where no per-thread CPU clock is at hand.
func threadCPU() time.Duration { return time.Since(processStart) }
