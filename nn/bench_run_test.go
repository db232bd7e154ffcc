package nn

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestBenchSurrogateOutput(t *testing.T) {
	pool, _ := NewPool(1)
	cfg := BenchConfig{Dim: 8, Arms: 3, Turns: 4, Hidden: 5, Depth: 2, Repeat: 3}
	var buf bytes.Buffer
	tick := time.Unix(0, 0)
	clock := func() time.Time { tick = tick.Add(10 * time.Millisecond); return tick }
	res, err := BenchSurrogate(context.Background(), cfg, pool, clock, &buf)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || len(res.Repeats) != 3 {
		t.Fatalf("output %q, repeats %v", buf.String(), res.Repeats)
	}
	if !strings.HasPrefix(lines[0], "repeat 0: 10.0 ms for 3 retrains (kernels=") {
		t.Errorf("first line %q", lines[0])
	}
	if lines[3] != "go_ms_per_episode_bandit=10.0" || res.Median != 10*time.Millisecond {
		t.Errorf("last line %q, median %v", lines[3], res.Median)
	}
	cfg.Turns = 1
	if _, err := BenchSurrogate(context.Background(), cfg, pool, clock, &buf); err == nil || !strings.Contains(err.Error(), "turns") {
		t.Errorf("turns 1 accepted: %v", err)
	}
}

// With a floor budget the bench measures this CPU's rates and prints the floor of the episode's
// Adam steps (100 epochs x one batch for each of 3 retrainings on <= 8 records) and the fraction
// achieved.
func TestBenchSurrogateFloor(t *testing.T) {
	pool, _ := NewPool(1)
	cfg := BenchConfig{Dim: 8, Arms: 3, Turns: 4, Hidden: 5, Depth: 2, Repeat: 1, FloorBudget: time.Millisecond}
	var buf bytes.Buffer
	res, err := BenchSurrogate(context.Background(), cfg, pool, time.Now, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 300 || res.Params != (16*5+5)+(5*5+5)+(5+1) {
		t.Errorf("steps %d, params %d", res.Steps, res.Params)
	}
	if res.Rates.BytesPerSec <= 0 || res.Rates.SqrtDivPerSec <= 0 || res.Floor.Time <= 0 {
		t.Errorf("rates %+v, floor %+v", res.Rates, res.Floor)
	}
	out := buf.String()
	for _, want := range []string{"GB/s streaming w, m, v", "floor ", "300 Adam steps x 121 params", "achieved ", "go_ms_per_episode_bandit="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A budget shorter than one pass still times one (no zero rate from an untimed pass).
func TestBestPassTimesAtLeastOnce(t *testing.T) {
	passes := 0
	best := bestPass(time.Nanosecond, func() { passes++; time.Sleep(time.Millisecond) })
	if passes != 2 || best < time.Millisecond || best > time.Hour {
		t.Fatalf("%d passes (warm-up included), best %v: want 2 and about 1 ms", passes, best)
	}
}

func TestFloorOf(t *testing.T) {
	r := FloorRates{BytesPerSec: 48e9, SqrtDivPerSec: 2e9}
	f := FloorOf(r, 10, 1e8) // 1e9 parameter updates: 48 GB at 48 GB/s, 1e9 at 2e9/s
	if f.Memory != time.Second || f.Divider != 500*time.Millisecond || f.Bound != "memory" || f.Time != time.Second {
		t.Errorf("%+v", f)
	}
	r.SqrtDivPerSec = 5e8
	if f := FloorOf(r, 10, 1e8); f.Bound != "divider" || f.Time != 2*time.Second {
		t.Errorf("%+v", f)
	}
}
