package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// buildAlso builds the real binary: the kill test needs a process of its own to SIGKILL.
func buildAlso(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the also binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build also: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "also")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// storedLines counts the complete lines of the store's episode log.
func storedLines(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "EpisodeLog.jsonl"))
	return bytes.Count(b, []byte{'\n'})
}

func storedEpisodes(t *testing.T, dir, tag string) []*sotopia.EpisodeLog {
	t.Helper()
	st, err := store.OpenDir(dir) // also proves the killed process's lock is gone
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eps, err := st.Episodes(context.Background(), store.Query{Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// Issue 5.4: `also run` is SIGKILLed mid-batch, then `also run --resume` finishes the job. Every
// one of the 12 tasks ends up done exactly once, each done episode is identical to what an
// uninterrupted run produces, and failed attempts (if any) stay visible in `also db stats`.
func TestKilledRunResumesEveryTaskExactlyOnce(t *testing.T) {
	bin := buildAlso(t)
	noRedisEnv(t)
	const tag = "kill9"
	work := t.TempDir()
	killed, reference := filepath.Join(work, "store"), filepath.Join(work, "reference")
	// --epochs 6 keeps the ALSO surrogate busy for a fraction of a second per episode: slow enough
	// to kill between episodes, fast enough for the whole test to take seconds.
	args := func(storeDir, out string, extra ...string) []string {
		return append([]string{"run", "--subset", "hard", "--max-episodes", "12", "--batch-size", "3", "--max-turns", "20",
			"--epochs", "6", "--tag", tag, "--store", storeDir, "--out", filepath.Join(work, out), "-q"}, extra...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	// The uninterrupted run the resumed one must match, in parallel to save wall time.
	ref := exec.CommandContext(ctx, bin, args(reference, "ref")...)
	refOut := &bytes.Buffer{}
	ref.Stdout, ref.Stderr = refOut, refOut
	if err := ref.Start(); err != nil {
		t.Fatal(err)
	}

	victim := exec.CommandContext(ctx, bin, args(killed, "out1")...)
	victimOut := &bytes.Buffer{}
	victim.Stdout, victim.Stderr = victimOut, victimOut
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- victim.Wait() }()
	for storedLines(killed) < 2 {
		select {
		case err := <-exited:
			t.Fatalf("the run ended (%v) before it could be killed:\n%s", err, victimOut)
		case <-ctx.Done():
			t.Fatalf("no 2 episodes stored within the deadline:\n%s", victimOut)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := victim.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	before := storedEpisodes(t, killed, tag)
	if len(before) < 2 || len(before) >= 12 {
		t.Fatalf("%d episodes stored when killed: want some but not all of 12 (is the run too fast to interrupt?)", len(before))
	}

	resumed := exec.CommandContext(ctx, bin, args(killed, "out2", "--resume")...)
	if out, err := resumed.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if err := ref.Wait(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, refOut)
	}

	ds := sotopia.MustEmbedded()
	hard, err := ds.Subset("hard")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*sotopia.EpisodeLog{}
	for _, ep := range storedEpisodes(t, reference, tag) {
		if ep.Status == sotopia.StatusDone {
			want[ep.TaskID] = ep
		}
	}
	if len(want) != 12 {
		t.Fatalf("the reference run has %d done tasks, want 12", len(want))
	}
	after := storedEpisodes(t, killed, tag)
	doneByTask := map[string][]*sotopia.EpisodeLog{}
	failed := 0
	for _, ep := range after {
		if ep.Status == sotopia.StatusDone {
			doneByTask[ep.TaskID] = append(doneByTask[ep.TaskID], ep)
		} else {
			failed++
		}
	}
	for _, task := range hard[:12] {
		got := doneByTask[task.PK]
		if len(got) != 1 {
			t.Errorf("task %s: %d done episodes, want exactly 1", task.PK, len(got))
			continue
		}
		if !reflect.DeepEqual(got[0], want[task.PK]) {
			t.Errorf("task %s: the resumed run's episode %s differs from the uninterrupted run's %s", task.PK, got[0].PK, want[task.PK].PK)
		}
		delete(doneByTask, task.PK)
	}
	if len(doneByTask) != 0 {
		t.Errorf("done episodes for tasks outside the 12: %v", doneByTask)
	}
	resumedEps, err := report.ReadEpisodes(filepath.Join(work, "out2", "episodes.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if done := countDone(resumedEps); done != 12-len(before) {
		t.Errorf("the resumed run finished %d episodes, want the %d missing ones", done, 12-len(before))
	}

	var stats dbStats
	if err := json.Unmarshal([]byte(mustCLI(t, "db", "stats", "--format", "json", "--store", killed)), &stats); err != nil {
		t.Fatal(err)
	}
	if c := stats.ByTag[tag]; c != (store.Counts{Episodes: 12 + failed, Done: 12, Failed: failed}) {
		t.Errorf("db stats for %s: %+v, want 12 done and the %d failed attempts", tag, c, failed)
	}
	t.Logf("killed after %d of 12 episodes were stored; %d failed attempts", len(before), failed)
}

func countDone(eps []*sotopia.EpisodeLog) int {
	n := 0
	for _, ep := range eps {
		if ep.Status == sotopia.StatusDone {
			n++
		}
	}
	return n
}
