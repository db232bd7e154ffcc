// Package progress follows runs as they play: episodes done, failed and in flight, turns, tokens
// and dollars so far, and an ETA. A Tracker collects the counts (safe for concurrent use; one
// tracker can follow many runs, the cells of an experiment); a Display shows them, as a live bar
// on a terminal or as plain periodic lines elsewhere (logs, CI, tests).
package progress

import (
	"fmt"
	"sync"
	"time"

	"github.com/also-project/also/sotopia"
)

// Tracker sums the progress of one or more runs, each known by its tag.
type Tracker struct {
	now   func() time.Time
	mu    sync.Mutex
	start time.Time
	runs  map[string]*runState
	order []string
}

type runState struct {
	planned, batch    int
	done, failedFinal int
	failedAttempts    int
	turns             int
	recorded          sotopia.Usage // the recorded attempts' usage
	live              func() (sotopia.Usage, bool)
	running, finished bool
}

// NewTracker starts the clock.
func NewTracker() *Tracker { return newTracker(time.Now) }

func newTracker(now func() time.Time) *Tracker {
	return &Tracker{now: now, start: now(), runs: map[string]*runState{}}
}

// Plan announces a run before it starts: its tasks count towards the total (and the ETA) at
// once, so an experiment's bar covers every cell from the first line.
func (t *Tracker) Plan(tag string, tasks, batch int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.run(tag)
	r.planned, r.batch = tasks, max(1, batch)
}

// Begin marks a run as playing; live, if set, reports everything its models spent so far
// (including calls of episodes still in flight).
func (t *Tracker) Begin(tag string, tasks, batch int, live func() (sotopia.Usage, bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.run(tag)
	r.planned, r.batch, r.live, r.running = tasks, max(1, batch), live, true
}

// Record counts one recorded attempt of a task: final says no further attempt will follow
// (done, or failed with no retry left).
func (t *Tracker) Record(tag, status string, final bool, turns int, u sotopia.Usage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.run(tag)
	r.turns += turns
	r.recorded.Add(u)
	switch {
	case status == sotopia.StatusDone:
		r.done++
	case final:
		r.failedFinal++
		r.failedAttempts++
	default:
		r.failedAttempts++
	}
}

// End marks a run as over (finished, stopped or interrupted): nothing of it is in flight.
func (t *Tracker) End(tag string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.run(tag)
	r.running, r.finished = false, true
	if r.live != nil {
		// Keep the final figure: the world is closed after the run.
		if u, ok := r.live(); ok {
			r.recorded = u
		}
		r.live = nil
	}
}

func (t *Tracker) run(tag string) *runState {
	r, ok := t.runs[tag]
	if !ok {
		r = &runState{}
		t.runs[tag] = r
		t.order = append(t.order, tag)
	}
	return r
}

// Snapshot is the progress of every tracked run, summed.
type Snapshot struct {
	Runs, RunsFinished, RunsRunning int
	// Planned are the tasks to play; Done and Failed those with a final attempt (Failed: after
	// their retries); FailedAttempts counts every failed attempt, retried or not.
	Planned, Done, Failed, FailedAttempts int
	InFlight                              int
	Turns                                 int
	PromptTokens, CompletionTokens        int64
	CachedTokens                          int64
	Calls                                 int64
	CostUSD                               float64
	Elapsed                               time.Duration
	// ETA is the time left at the pace so far; negative when unknown (nothing finished yet).
	ETA time.Duration
}

// Snapshot sums the runs now.
func (t *Tracker) Snapshot() Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Snapshot{Runs: len(t.runs), Elapsed: t.now().Sub(t.start), ETA: -1}
	for _, tag := range t.order {
		r := t.runs[tag]
		s.Planned += r.planned
		s.Done += r.done
		s.Failed += r.failedFinal
		s.FailedAttempts += r.failedAttempts
		s.Turns += r.turns
		u := r.recorded
		if r.live != nil {
			if lu, ok := r.live(); ok {
				u = lu
			}
		}
		s.Calls += u.Calls
		s.PromptTokens += u.PromptTokens
		s.CompletionTokens += u.CompletionTokens
		s.CachedTokens += u.CachedTokens
		s.CostUSD += u.CostUSD
		switch {
		case r.finished:
			s.RunsFinished++
		case r.running:
			s.RunsRunning++
			// The runner keeps batch_size episodes going while tasks are left.
			s.InFlight += min(r.batch, max(0, r.planned-r.done-r.failedFinal))
		}
	}
	if finished := s.Done + s.Failed; finished > 0 {
		left := max(0, s.Planned-finished)
		s.ETA = time.Duration(float64(s.Elapsed) / float64(finished) * float64(left)).Round(time.Second)
	}
	return s
}

// Line is the snapshot in one line, as the plain display prints it.
func (s Snapshot) Line() string {
	line := fmt.Sprintf("progress: %d/%d episodes done, %d failed, %d in flight, %d turns, %s tokens, $%.4f, elapsed %s, ETA %s",
		s.Done, s.Planned, s.Failed, s.InFlight, s.Turns, Tokens(s.PromptTokens+s.CompletionTokens), s.CostUSD,
		s.Elapsed.Round(time.Second), s.etaText())
	if s.Runs > 1 {
		line += fmt.Sprintf(" (runs: %d done, %d running, %d waiting)", s.RunsFinished, s.RunsRunning, s.Runs-s.RunsFinished-s.RunsRunning)
	}
	return line
}

func (s Snapshot) etaText() string {
	switch {
	case s.Done+s.Failed >= s.Planned:
		return "0s"
	case s.ETA < 0:
		return "?"
	}
	return s.ETA.String()
}

// Tokens writes a token count short: 950, 12.3k, 4.56M.
func Tokens(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
