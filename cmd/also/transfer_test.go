package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
)

// The generalisation sequence end to end in the sim world: train on some scenarios with
// --policy-out, then on others the cold start, the frozen policy and the finetuned one; the frozen
// state is unchanged, finetuning moves on from the checkpoint, and compare --transfer prints the
// three modes and their paired differences.
func TestTransferSequenceAndCompare(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	train := "01H7ZDX15NYXZBXS9RT89V2J9P,01H7ZN5198TS7P5555JJ2517ZC,01H7ZFX0ERAREGQEQY2JSQQBGW"
	test := "01H84XW4VN5FGW6DAJAR6PRD6Q,01H7ZBJD08V498B9NZZ5SZP11B,01H7VN6K3HNE6M57YK9XNR0HV7"
	run := func(tag, tasks string, args ...string) {
		t.Helper()
		base := []string{"run", "-q", "--bandit-type", "also", "--max-turns", "4", "--hidden", "8", "--epochs", "2",
			"--sim-shared-pref", "0.5", "--tasks", tasks, "--tag", tag, "--out", filepath.Join(dir, "runs", tag), "--store", store}
		if out, err := cliRun(t, append(base, args...)...); err != nil {
			t.Fatalf("%s: %v\n%s", tag, err, out)
		}
	}
	ck := func(name string) string { return filepath.Join(dir, name) }
	history := func(folder string) ([]byte, int) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(folder, "p1.json"))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := policy.ParseCheckpoint(data)
		if err != nil {
			t.Fatal(err)
		}
		var s struct{ History []json.RawMessage }
		if err := json.Unmarshal(cp.State, &s); err != nil {
			t.Fatal(err)
		}
		return data, len(s.History)
	}

	run("train", train, "--policy-out", ck("trained"))
	if cfg, err := os.ReadFile(filepath.Join(dir, "runs", "train", "run.json")); err != nil || !strings.Contains(string(cfg), `"SharedPref": 0.5`) {
		t.Fatalf("--sim-shared-pref 0.5 did not reach the run's configuration (%v):\n%s", err, cfg)
	}
	run("baseline", test)
	run("test", test, "--policy-in", ck("trained"), "--policy-freeze", "--policy-out", ck("frozen"))
	run("finetune", test, "--policy-in", ck("trained"), "--policy-out", ck("tuned"))

	trained, trainedN := history(ck("trained"))
	if frozen, _ := history(ck("frozen")); !bytes.Equal(frozen, trained) {
		t.Fatal("the frozen policy's state changed over its episodes")
	}
	if _, tunedN := history(ck("tuned")); tunedN <= trainedN {
		t.Fatalf("finetune ends with %d history records, the checkpoint had %d: it did not continue learning", tunedN, trainedN)
	}

	// A resume that skips stored episodes cannot carry a learning policy past them; one that skips
	// nothing (an experiment cell's first run) is an ordinary run.
	one := strings.Split(test, ",")[0]
	run("resumed", one, "--policy-in", ck("trained"), "--resume")
	_, err := cliRun(t, "run", "-q", "--bandit-type", "also", "--max-turns", "4", "--hidden", "8", "--epochs", "2", "--sim-shared-pref", "0.5",
		"--tasks", test, "--tag", "resumed", "--out", filepath.Join(dir, "runs", "resumed2"), "--store", store, "--policy-in", ck("trained"), "--resume")
	if err == nil || !strings.Contains(err.Error(), "resume skips 1 stored episodes of tag resumed") || exitCode(context.Background(), err) != 2 {
		t.Errorf("resume past a stored episode with a learning policy: %v (exit %d)", err, exitCode(context.Background(), err))
	}

	out, err := cliRun(t, "compare", "--store", store, "--tags", "finetune,baseline,test", "--transfer")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"generalisation (all)", "baseline  baseline", "test      test", "finetune  finetune",
		"test - baseline", "finetune - baseline", "finetune - test", "GOAL", "Overall", "cum. regret", "3 tasks: 3 scored"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare --transfer lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "test - baseline"); lines != 3 {
		t.Errorf("%d test - baseline rows, want Goal, Overall and regret:\n%s", lines, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tags", "test,finetune"}, "no baseline tag"},
		{[]string{"--tags", "baseline,train"}, "tags baseline and train are both baseline"},
		{[]string{"--tags", "baseline"}, "only a baseline"},
		{[]string{"--tags", "baseline,test", "--paper-table"}, "pick one"},
		{[]string{"--tags", "baseline,test", "--baseline", "test"}, "--baseline does not apply"},
	} {
		out, err := cliRun(t, append([]string{"compare", "--store", store, "--transfer"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(context.Background(), err) != 2 {
			t.Errorf("compare --transfer %v: error %v (exit %d), want %q (exit 2)\n%s", tc.args, err, exitCode(context.Background(), err), tc.want, out)
		}
	}
}

// Static runs each holding one arm, ranked by compare --strategies against arm 0, and a static
// seat plays its arm from the first turn to the last.
func TestStrategyAnalysisRanksArms(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	pool, err := sotopia.Strategies("v3")
	if err != nil {
		t.Fatal(err)
	}
	arms := []string{"0", "3", "6"}
	var tags []string
	for _, arm := range arms {
		tag := "arm" + arm
		tags = append(tags, tag)
		out, err := cliRun(t, "run", "-q", "--bandit-type", "static", "--static-arm", arm, "--max-episodes", "3", "--max-turns", "4",
			"--tag", tag, "--out", filepath.Join(dir, "runs", tag), "--store", store)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tag, err, out)
		}
		played := armsPlayed(t, filepath.Join(dir, "runs", tag, "episodes.jsonl"))
		if len(played) != 1 || !played[mustAtoi(t, arm)] {
			t.Errorf("static --static-arm %s played arms %v", arm, played)
		}
	}
	out, err := cliRun(t, "compare", "--store", store, "--tags", strings.Join(tags, ","), "--strategies")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"strategy analysis (all)", "ranked by Overall", "Overall vs arm 0", "(reference)", "Holm-corrected across all 6 differences"} {
		if !strings.Contains(out, want) {
			t.Errorf("compare --strategies lacks %q:\n%s", want, out)
		}
	}
	rows := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.ContainsAny(f[0], "123") || len(f[0]) != 1 {
			continue
		}
		rows++
		arm := mustAtoi(t, f[1])
		if !strings.Contains(line, pool[arm].Name) || !strings.Contains(line, "[") {
			t.Errorf("rank row for arm %d lacks its strategy name or CI: %q", arm, line)
		}
		if arm != 0 && strings.Count(line, "[") < 4 {
			t.Errorf("arm %d row lacks its difference vs arm 0 with a CI: %q", arm, line)
		}
	}
	if rows != len(arms) {
		t.Errorf("%d ranked rows, want %d:\n%s", rows, len(arms), out)
	}

	js, err := cliRun(t, "compare", "--store", store, "--tags", strings.Join(tags, ","), "--strategies", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var table report.StrategyTable
	if err := json.Unmarshal([]byte(js), &table); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	for i, r := range table.Rows {
		if r.Rank != i+1 || (i > 0 && r.Metrics[report.MetricOverall].Mean > table.Rows[i-1].Metrics[report.MetricOverall].Mean) {
			t.Errorf("row %d (arm %d, rank %d, Overall %v): not ranked by Overall", i, r.Arm, r.Rank, r.Metrics[report.MetricOverall].Mean)
		}
		var vsOverall *report.Contrast
		for j := range r.VsReference {
			if r.VsReference[j].Metric == report.MetricOverall {
				vsOverall = &r.VsReference[j]
			}
		}
		switch {
		case r.Arm == 0 && len(r.VsReference) != 0:
			t.Errorf("arm 0 is compared with itself: %+v", r.VsReference)
		case r.Arm != 0 && (vsOverall == nil || vsOverall.N != 3 || vsOverall.PHolm < vsOverall.P):
			t.Errorf("arm %d: Overall vs arm 0 %+v, want a paired difference over the 3 tasks, Holm-corrected", r.Arm, vsOverall)
		}
	}

	for _, tc := range []struct {
		tags, want string
	}{
		{"arm3,arm6", "no tag holds arm 0"},
	} {
		if _, err := cliRun(t, "compare", "--store", store, "--tags", tc.tags, "--strategies"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compare --strategies --tags %s: %v, want %q", tc.tags, err, tc.want)
		}
	}
	if out, err := cliRun(t, "run", "-q", "--bandit-type", "ucb1", "--max-episodes", "1", "--max-turns", "2", "--tag", "ucb",
		"--out", filepath.Join(dir, "runs", "ucb"), "--store", store); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := cliRun(t, "compare", "--store", store, "--tags", "arm0,ucb", "--strategies"); err == nil || !strings.Contains(err.Error(), `tag ucb ran bandit_type "ucb1"`) {
		t.Errorf("compare --strategies with a ucb1 tag: %v", err)
	}
	if _, err := cliRun(t, "run", "-q", "--bandit-type", "static", "--static-arm", "13", "--max-episodes", "1", "--store", store); err == nil ||
		!strings.Contains(err.Error(), "static_arm = 13: strategy_version v3 has 13 arms (0 to 12)") || exitCode(context.Background(), err) != 2 {
		t.Errorf("--static-arm 13: %v (exit %d)", err, exitCode(context.Background(), err))
	}
}

// armsPlayed is the set of arms the optimised seats played in a run folder's episodes.
func armsPlayed(t *testing.T, file string) map[int]bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[int]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var ep sotopia.EpisodeLog
		if err := json.Unmarshal(sc.Bytes(), &ep); err != nil {
			t.Fatal(err)
		}
		if len(ep.Turns) == 0 {
			t.Fatalf("%s: an episode without turns", file)
		}
		for _, turn := range ep.Turns {
			for _, s := range turn.Seats {
				if s.Optimised {
					out[s.Arm] = true
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
