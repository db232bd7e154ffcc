package nn

import (
	"fmt"
	"math"
	"time"
)

// The hardware floor of training: every Adam step reads and writes each parameter and its two
// moments (48 bytes per float64 parameter; the gradient is recomputed from cache-resident batch
// rows) and takes one square root and one division per parameter, so no implementation can do
// S steps over P parameters faster than max(48 S P / bandwidth, S P / divider throughput).
// MeasureFloor measures both rates on this CPU with the selected kernels' vector width.

// adamBytesPerParam is an Adam step's memory traffic per parameter: w, m, v read and written.
const adamBytesPerParam = 6 * 8

// FloorRates are this CPU's measured rates for an Adam step's two limits.
type FloorRates struct {
	Kernel        string
	Params        int     // size of the w, m, v arrays the bandwidth was measured over
	BytesPerSec   float64 // read+write streaming over w, m, v of Params elements each
	SqrtDivPerSec float64 // elements per second of one square root and one division
}

// MeasureFloor measures FloorRates for params parameters, spending about budget on each rate
// and keeping the best pass (the least disturbed by other work on the machine).
func (ws *Workspace) MeasureFloor(params int, budget time.Duration) FloorRates {
	k := &ws.k
	r := FloorRates{Kernel: k.name, Params: params}
	w, m, v := make([]float64, params), make([]float64, params), make([]float64, params)
	for i := range w {
		w[i], m[i], v[i] = float64(i), 1, 2
	}
	best := bestPass(budget, func() { k.stream3(w, m, v, 1e-9) })
	r.BytesPerSec = float64(adamBytesPerParam*params) / best.Seconds()

	const l1 = 1024 // x and y stay in the L1 cache: the divider alone is measured
	x, y := make([]float64, l1), make([]float64, l1)
	for i := range x {
		x[i] = 1 + float64(i)/l1
	}
	best = bestPass(budget, func() {
		for range 16 {
			k.sqrtDiv(x, y)
		}
	})
	r.SqrtDivPerSec = 16 * l1 / best.Seconds()
	return r
}

// bestPass runs pass (after one warm-up) until budget is spent, at least once, and returns its
// shortest time: a budget shorter than one pass still gives a measured rate.
func bestPass(budget time.Duration, pass func()) time.Duration {
	pass()
	best := time.Duration(math.MaxInt64)
	for start := time.Now(); ; {
		t0 := time.Now()
		pass()
		best = min(best, max(time.Since(t0), time.Nanosecond))
		if time.Since(start) >= budget {
			return best
		}
	}
}

// Floor is the floor of steps Adam steps over params parameters at rates r.
type Floor struct {
	Steps, Params   int
	Memory, Divider time.Duration
	Bound           string // "memory" or "divider": the larger
	Time            time.Duration
}

// FloorOf computes the floor of steps Adam steps over params parameters at the rates r.
func FloorOf(r FloorRates, steps, params int) Floor {
	work := float64(steps) * float64(params)
	f := Floor{
		Steps: steps, Params: params,
		Memory:  time.Duration(work * adamBytesPerParam / r.BytesPerSec * float64(time.Second)),
		Divider: time.Duration(work / r.SqrtDivPerSec * float64(time.Second)),
	}
	f.Bound, f.Time = "memory", f.Memory
	if f.Divider > f.Memory {
		f.Bound, f.Time = "divider", f.Divider
	}
	return f
}

// String is one line: the two limits and the floor.
func (f Floor) String() string {
	return fmt.Sprintf("floor %.1f ms (%s-bound): %d Adam steps x %d params; memory %.1f ms, sqrt+div %.1f ms",
		ms(f.Time), f.Bound, f.Steps, f.Params, ms(f.Memory), ms(f.Divider))
}

func sqrtDivScalar(x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = v / math.Sqrt(v)
	}
}

func stream3Scalar(w, m, v []float64, c float64) {
	m, v = m[:len(w)], v[:len(w)]
	for i := range w {
		w[i] += c
		m[i] += c
		v[i] += c
	}
}
