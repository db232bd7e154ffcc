package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/policy"
)

// --policy-out writes each optimised seat's final state, accumulated over the run's episodes;
// --policy-in starts from it; --policy-freeze leaves it unchanged; finetuning moves it on.
func TestRunPolicyCheckpoints(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	run := func(tag string, args ...string) error {
		base := []string{"run", "-q", "--max-turns", "4", "--bandit-type", "ucb1", "--batch-size", "2",
			"--tag", tag, "--out", filepath.Join(dir, "runs", tag), "--store", store}
		_, err := cliRun(t, append(base, args...)...)
		return err
	}
	read := func(folder, seat string) ([]byte, policy.Checkpoint) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, folder, seat))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := policy.ParseCheckpoint(data)
		if err != nil {
			t.Fatal(err)
		}
		return data, cp
	}
	plays := func(cp policy.Checkpoint) int {
		var s struct{ Plays int }
		if err := json.Unmarshal(cp.State, &s); err != nil {
			t.Fatal(err)
		}
		return s.Plays
	}
	out := func(name string) string { return filepath.Join(dir, name) }

	if err := run("one", "--max-episodes", "1", "--policy-out", out("one")); err != nil {
		t.Fatal(err)
	}
	if err := run("train", "--max-episodes", "3", "--policy-out", out("train")); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "runs", "train", "episodes.jsonl"))
		for _, l := range strings.Split(string(b), "\n") {
			if i := strings.Index(l, "\"error\""); i >= 0 {
				t.Log(l[i:min(len(l), i+300)])
			}
		}
		t.Fatal(err)
	}
	_, one := read("one", "p1.json")
	trainedData, trained := read("train", "p1.json")
	read("train", "p2.json")
	if trained.Bandit != "ucb1" || trained.Pool.Arms == 0 || trained.Version != policy.CheckpointVersion {
		t.Fatalf("checkpoint header: %+v", trained)
	}
	if plays(trained) <= plays(one) {
		t.Fatalf("three episodes carried %d plays, one episode %d: the state did not accumulate", plays(trained), plays(one))
	}

	if err := run("frozen", "--max-episodes", "2", "--policy-in", out("train"), "--policy-freeze", "--policy-out", out("frozen")); err != nil {
		t.Fatal(err)
	}
	if frozenData, _ := read("frozen", "p1.json"); !bytes.Equal(frozenData, trainedData) {
		t.Fatal("a frozen run changed the policy state")
	}
	if err := run("finetune", "--max-episodes", "2", "--policy-in", out("train"), "--policy-out", out("finetune")); err != nil {
		t.Fatal(err)
	}
	if _, tuned := read("finetune", "p1.json"); plays(tuned) <= plays(trained) {
		t.Fatalf("finetuning did not continue from the checkpoint: %d plays, loaded %d", plays(tuned), plays(trained))
	}

	if err := run("wrongtype", "--max-episodes", "1", "--policy-in", out("train"), "--bandit-type", "exp3"); err == nil ||
		!strings.Contains(err.Error(), `bandit type "ucb1", this seat runs "exp3"`) {
		t.Errorf("checkpoint of another bandit type: %v", err)
	}
	if err := run("wrongpool", "--max-episodes", "1", "--policy-in", out("train"), "--strategy-version", "v2"); err == nil ||
		!strings.Contains(err.Error(), "another arm pool") {
		t.Errorf("checkpoint of another pool: %v", err)
	}
	if err := run("again", "--max-episodes", "1", "--policy-out", out("train")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("replacing a checkpoint: %v", err)
	}
	if err := run("nofreeze", "--policy-freeze"); err == nil || !strings.Contains(err.Error(), "policy_freeze") {
		t.Errorf("--policy-freeze without --policy-in: %v", err)
	}
}
