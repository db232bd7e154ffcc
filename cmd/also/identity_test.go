package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/session"
)

// Acceptance (issue 9): two runs under one tag with different eta -> the second is refused with
// a usage exit code and a message listing eta, and the first's `also eval` is unchanged.
func TestSecondRunWithAnotherEtaIsRefused(t *testing.T) {
	storeDir := noRedisEnv(t)
	work := t.TempDir()
	run := func(out string, extra ...string) (string, error) {
		args := append([]string{"run", "--max-episodes", "2", "--max-turns", "4", "--epochs", "3", "--tag", "exp",
			"--store", storeDir, "--out", filepath.Join(work, out), "-q"}, extra...)
		stdout, stderr, err := runCLI(t, args...)
		return stdout + stderr, err
	}
	if out, err := run("first"); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	before := mustCLI(t, "eval", "--tag", "exp", "--store", storeDir, "--format", "json")
	table := mustCLI(t, "eval", "--tag", "exp", "--store", storeDir)
	if !strings.Contains(table, "configuration of exp: fingerprint ") || !strings.Contains(table, "max_turns: 20 -> 4") {
		t.Errorf("eval does not show the tag's configuration:\n%s", table)
	}
	for _, extra := range [][]string{{"--eta", "20"}, {"--eta", "20", "--resume"}} {
		out, err := run("second", extra...)
		if code := exitCode(context.Background(), err); code != exitUsage {
			t.Fatalf("%v: exit code %d (%v), want %d\n%s", extra, code, err, exitUsage, out)
		}
		if !strings.Contains(err.Error(), "policy.eta: 5 -> 20") {
			t.Errorf("%v: the refusal does not list eta: %v", extra, err)
		}
		if _, statErr := os.Stat(filepath.Join(work, "second")); !errors.Is(statErr, os.ErrNotExist) {
			t.Errorf("%v: the refused run left a folder", extra)
		}
	}
	if after := mustCLI(t, "eval", "--tag", "exp", "--store", storeDir, "--format", "json"); after != before {
		t.Fatalf("the first run's eval changed:\nbefore %s\nafter %s", before, after)
	}
}

func TestExitCodes(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		err  error
		want int
	}{
		"ok":          {nil, 0},
		"config":      {&session.ConfigError{Err: errors.New("x")}, 2},
		"usage":       {usage(errors.New("x")), 2},
		"endpoint":    {&session.EndpointError{Model: "m", Err: errors.New("x")}, 1},
		"partial":     {&session.IncompleteError{Planned: 3, Done: 1, Failed: 2}, 3},
		"none":        {&session.IncompleteError{Planned: 3, Failed: 3}, 4},
		"interrupted": {&session.InterruptedError{Tag: "t", Cause: errors.New("interrupt")}, 130},
		"other":       {errors.New("disk full"), 1},
	}
	for name, c := range cases {
		if got := exitCode(ctx, c.err); got != c.want {
			t.Errorf("%s: exit code %d, want %d", name, got, c.want)
		}
	}
	for _, args := range [][]string{{"bench", "nope"}, {"nope"}, {"bench"}, {"run", "--no-such-flag"}, {"run", "extra"}, {"db", "import", "--tag", "", "x.jsonl"}} {
		_, _, err := runCLI(t, args...)
		if code := exitCode(ctx, err); code != exitUsage {
			t.Errorf("also %s: exit code %d (%v), want %d", strings.Join(args, " "), code, err, exitUsage)
		}
	}
	if _, _, err := runCLI(t, "bench", "nope"); err == nil || !strings.Contains(err.Error(), `unknown command "nope"`) {
		t.Errorf("also bench nope: %v", err)
	}
}

// The exit codes as a script sees them, from the real binary: an unknown subcommand, a model
// nobody serves (before any episode, no run folder), a run where every episode fails, and
// SIGINT in the middle of a run.
func TestBinaryExitCodes(t *testing.T) {
	bin := buildAlso(t)
	storeDir := noRedisEnv(t)
	work := t.TempDir()
	exit := func(cmd *exec.Cmd) (int, string) {
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = append(os.Environ(), "REDIS_OM_URL=", "CUSTOM_API_KEY=EMPTY")
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}
	for _, args := range [][]string{{"bench", "nope"}, {"db", "nope"}, {"nope"}} {
		if code, out := exit(exec.Command(bin, args...)); code != exitUsage {
			t.Errorf("also %s: exit %d, want %d\n%s", strings.Join(args, " "), code, exitUsage, out)
		}
	}

	dead := "custom/agent@http://127.0.0.1:1/v1"
	code, out := exit(exec.Command(bin, "run", "--model", dead, "--reward-eval-model", dead, "--terminal-eval-model", dead,
		"--embedding-model", dead, "--store", filepath.Join(work, "deadstore"), "--out", filepath.Join(work, "dead"), "--llm-retry-delay", "1ms"))
	if code != exitError || !strings.Contains(out, "endpoint check failed for "+dead) {
		t.Errorf("unreachable model: exit %d, want %d\n%s", code, exitError, out)
	}
	for _, dir := range []string{"dead", "deadstore"} {
		if _, err := os.Stat(filepath.Join(work, dir)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the unreachable model's run left %s", dir)
		}
	}

	// Every call fails (HTTP 400, not retried), so every episode fails: nothing succeeded.
	srv := llmtest.NewServer(t, llmtest.Config{Handler: func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Status: 400, ErrorMessage: "bad request (scripted)"}
	}})
	u := srv.URL()
	code, out = exit(exec.Command(bin, "run", "--model", "custom/agent@"+u, "--reward-eval-model", "custom/judge@"+u,
		"--terminal-eval-model", "custom/terminal@"+u, "--embedding-model", "custom/embed@"+u, "--max-episodes", "2",
		"--max-retries", "0", "--store", storeDir, "--out", filepath.Join(work, "allfail"), "-q"))
	if code != exitNoneDone || !strings.Contains(out, "no task succeeded") {
		t.Errorf("all episodes failed: exit %d, want %d\n%s", code, exitNoneDone, out)
	}

	// SIGINT mid-run: exit 130, and the run says how to resume.
	sigStore := filepath.Join(work, "sigstore")
	cmd := exec.Command(bin, "run", "--subset", "all", "--max-episodes", "40", "--batch-size", "2", "--epochs", "6",
		"--tag", "sigint", "--store", sigStore, "--out", filepath.Join(work, "sigint"), "-q")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.Env = append(os.Environ(), "REDIS_OM_URL=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for storedLines(sigStore) < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted || !strings.Contains(buf.String(), "--resume --tag sigint") {
		t.Errorf("SIGINT: %v, want exit %d\n%s", err, exitInterrupted, buf.String())
	}
}
