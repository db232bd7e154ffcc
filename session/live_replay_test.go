package session

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/llmtest"
)

// --llm-cache record, then replay with the same seed into a new folder: the replay sends no
// request and writes the same episodes.jsonl, byte for byte. A replayed call reports the usage it
// had when it was recorded (tokens, retries, the price of the call as made), so the episodes are
// identical; only real calls are charged against --budget-usd.
func TestLiveRunReplayIsIdenticalAndOffline(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12})
	record := liveRun(t, rig, func(c *config.Run) { c.MaxEpisodes, c.LLMCache = 6, "record" })
	first, err := Execute(context.Background(), record, liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	requests := rig.srv.Count()
	replay := record
	replay.LLMCache = "replay"
	replay.Out = filepath.Join(t.TempDir(), "replay")
	replay.Store = filepath.Join(t.TempDir(), "store")
	// A budget far below what the recording cost: replayed answers must not spend it.
	replay.BudgetUSD = first.Summary.Usage.CostUSD / 100
	second, err := Execute(context.Background(), replay, liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if n := rig.srv.Count() - requests; n != 0 {
		t.Fatalf("the replay sent %d requests", n)
	}
	if first.Summary.Done != 6 || second.Summary.Done != 6 || second.Summary.Stopped != "" {
		t.Fatalf("done: record %d, replay %d (stopped %q)", first.Summary.Done, second.Summary.Done, second.Summary.Stopped)
	}
	// The run totals are summed as calls finish, so they agree to rounding, not bit for bit.
	if c1, c2 := first.Summary.Usage.CostUSD, second.Summary.Usage.CostUSD; c1 <= 0 || math.Abs(c1-c2) > 1e-9*c1 {
		t.Fatalf("cost: record %v, replay %v", first.Summary.Usage.CostUSD, second.Summary.Usage.CostUSD)
	}
	a, err := os.ReadFile(filepath.Join(first.Dir, "episodes.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(second.Dir, "episodes.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || !bytes.Equal(a, b) {
		at := 0
		for at < min(len(a), len(b)) && a[at] == b[at] {
			at++
		}
		from := max(0, at-80)
		t.Fatalf("episodes differ at byte %d:\nrecord ...%s\nreplay ...%s", at, a[from:min(len(a), at+80)], b[from:min(len(b), at+80)])
	}
}
