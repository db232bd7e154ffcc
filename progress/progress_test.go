package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTrackerCountsInFlightETAAndUsage(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	tr := newTracker(clock.now)
	tr.Plan("b", 4, 2) // announced, not started: counts towards the total, not in flight
	live := sotopia.Usage{Calls: 3, PromptTokens: 1000, CompletionTokens: 200, CostUSD: 0.5}
	tr.Begin("a", 6, 4, func() (sotopia.Usage, bool) { return live, true })
	s := tr.Snapshot()
	if s.Planned != 10 || s.InFlight != 4 || s.ETA >= 0 || s.PromptTokens != 1000 || s.CostUSD != 0.5 {
		t.Fatalf("at start: %+v", s)
	}
	if !strings.Contains(s.Line(), "ETA ?") || !strings.Contains(s.Line(), "1200 tokens") {
		t.Fatalf("line %q", s.Line())
	}
	clock.advance(10 * time.Second)
	tr.Record("a", sotopia.StatusDone, true, 20, sotopia.Usage{})
	tr.Record("a", sotopia.StatusFailed, false, 3, sotopia.Usage{}) // retried: not final
	tr.Record("a", sotopia.StatusFailed, true, 5, sotopia.Usage{})
	s = tr.Snapshot()
	// 2 of 10 tasks final after 10 s: 8 left at 5 s each.
	if s.Done != 1 || s.Failed != 1 || s.FailedAttempts != 2 || s.Turns != 28 || s.InFlight != 4 || s.ETA != 40*time.Second {
		t.Fatalf("after three attempts: %+v", s)
	}
	tr.Record("a", sotopia.StatusDone, true, 1, sotopia.Usage{})
	tr.Record("a", sotopia.StatusDone, true, 1, sotopia.Usage{})
	tr.Record("a", sotopia.StatusDone, true, 1, sotopia.Usage{})
	if s = tr.Snapshot(); s.InFlight != 1 { // 6 planned, 5 final: one left
		t.Fatalf("in flight %d, want 1", s.InFlight)
	}
	live.CostUSD = 0.75 // End keeps the world's last figure
	tr.End("a")
	live.CostUSD = 99
	s = tr.Snapshot()
	if s.InFlight != 0 || s.CostUSD != 0.75 || s.RunsFinished != 1 || s.Runs != 2 {
		t.Fatalf("after end: %+v", s)
	}
	if !strings.Contains(s.Line(), "(runs: 1 done, 0 running, 1 waiting)") {
		t.Fatalf("line %q", s.Line())
	}
}

func TestPlainDisplayPrintsPeriodicLinesAndALastOne(t *testing.T) {
	var buf syncBuffer
	tr := NewTracker()
	tr.Begin("a", 3, 2, nil)
	off := false
	d := Show(&buf, tr, DisplayOptions{Every: 5 * time.Millisecond, Terminal: &off})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "0/3 episodes done") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	tr.Record("a", sotopia.StatusDone, true, 7, sotopia.Usage{})
	for !strings.Contains(buf.String(), "1/3 episodes done") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// Lines written to Log interleave whole with the progress lines.
	if _, err := d.Log.Write([]byte("a log line\n")); err != nil {
		t.Fatal(err)
	}
	tr.Record("a", sotopia.StatusDone, true, 7, sotopia.Usage{})
	tr.Record("a", sotopia.StatusDone, true, 7, sotopia.Usage{})
	tr.End("a")
	d.Close()
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(out, "progress: 0/3 episodes done, 0 failed, 2 in flight") || !strings.Contains(out, "a log line\n") {
		t.Fatalf("output:\n%s", out)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "progress: 3/3 episodes done, 0 failed, 0 in flight, 21 turns") {
		t.Fatalf("last line %q", last)
	}
	// A line is printed only when something changed.
	for i := 1; i < len(lines); i++ {
		if lines[i] == lines[i-1] {
			t.Fatalf("repeated line %q", lines[i])
		}
	}
}

func TestTokens(t *testing.T) {
	for n, want := range map[int64]string{950: "950", 12345: "12.3k", 4_560_000: "4.56M"} {
		if got := Tokens(n); got != want {
			t.Errorf("Tokens(%d) = %s, want %s", n, got, want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBarDisplayDrawsCountsAndCloses(t *testing.T) {
	var buf syncBuffer
	tr := NewTracker()
	tr.Begin("a", 2, 2, nil)
	on := true
	d := Show(&buf, tr, DisplayOptions{Terminal: &on})
	tr.Record("a", sotopia.StatusDone, true, 4, sotopia.Usage{})
	tr.Record("a", sotopia.StatusFailed, true, 2, sotopia.Usage{})
	tr.End("a")
	done := make(chan struct{})
	go func() { d.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the bar did not close")
	}
	if out := buf.String(); !strings.Contains(out, "1/2 done, 1 failed, 0 in flight") || !strings.Contains(out, "6 turns") {
		t.Fatalf("bar output %q", out)
	}
}
