package nn

import "time"

var processStart = time.Now()

// monotonic is a monotonic clock reading.
func monotonic() time.Duration { return time.Since(processStart) }
