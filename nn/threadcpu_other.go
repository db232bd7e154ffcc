//go:build !linux

package nn

import "time"

// threadCPU falls back to the wall clock where no per-thread CPU clock is at hand.
func threadCPU() time.Duration { return monotonic() }
