package session

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/llmtest"
)

// --llm-cache record, then replay with the same seed into a new folder: the replay sends no
// request and writes the same episodes.jsonl. Byte for byte except one field: usage.cost_usd
// (and its per-role copies) is 0 in the replay, because answers served from the cache cost
// nothing (llm.Usage: cache hits are free; the money was spent while recording). Everything
// else - transcripts, arms, probabilities, rewards, calls and token counts - is identical.
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
	second, err := Execute(context.Background(), replay, liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if n := rig.srv.Count() - requests; n != 0 {
		t.Fatalf("the replay sent %d requests", n)
	}
	if first.Summary.Done != 6 || second.Summary.Done != 6 {
		t.Fatalf("done: record %d, replay %d", first.Summary.Done, second.Summary.Done)
	}
	if first.Summary.Usage.CostUSD <= 0 || second.Summary.Usage.CostUSD != 0 {
		t.Fatalf("cost: record %v, replay %v (want > 0, then 0)", first.Summary.Usage.CostUSD, second.Summary.Usage.CostUSD)
	}
	a := withoutCost(t, filepath.Join(first.Dir, "episodes.jsonl"))
	b := withoutCost(t, filepath.Join(second.Dir, "episodes.jsonl"))
	if len(a) != 6 || len(a) != len(b) {
		t.Fatalf("%d and %d episodes", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			at := 0
			for at < min(len(a[i]), len(b[i])) && a[i][at] == b[i][at] {
				at++
			}
			from := max(0, at-80)
			t.Fatalf("episode %d differs beyond its cost at byte %d:\nrecord ...%s\nreplay ...%s", i, at,
				a[i][from:min(len(a[i]), at+80)], b[i][from:min(len(b[i]), at+80)])
		}
	}
}

var costField = regexp.MustCompile(`"cost_usd":[-+0-9.eE]+`)

// withoutCost reads episodes.jsonl and sets every cost_usd value (the episode's and its per-role
// ones) to 0 in place, leaving the rest of each line byte for byte.
func withoutCost(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		var ep struct {
			Usage *json.RawMessage `json:"usage"`
		}
		if err := json.Unmarshal(line, &ep); err != nil {
			t.Fatal(err)
		}
		if ep.Usage == nil {
			t.Fatalf("%s: an episode without usage", path)
		}
		out = append(out, costField.ReplaceAll(line, []byte(`"cost_usd":0`)))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
