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
