package nn

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the calling thread's CPU time.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic("nn: CLOCK_THREAD_CPUTIME_ID: " + err.Error()) // present since Linux 2.6.12
	}
	return time.Duration(ts.Nano())
}
