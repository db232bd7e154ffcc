package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
)

func cliRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestPromptPrintsTheSeatsTurnZeroText(t *testing.T) {
	ds := sotopia.MustEmbedded()
	task := ds.TasksByEnv["01H7VFHNV13MHN97GAH73E3KM8"][0]
	env, agents, _ := ds.Resolve(task)
	setup := &sotopia.Setup{Task: task, Env: env, Agents: agents, Era: sotopia.Era2023, MaxTurns: 20}
	out, err := cliRun(t, "prompt", "--env", task.EnvID, "--agents", strings.Join(task.AgentIDs, ","), "--seat", "1", "--era", "2023")
	if err != nil {
		t.Fatal(err)
	}
	if out != setup.ContextFor(1, "") {
		t.Fatalf("prompt output differs from the rendered context:\n%s", out)
	}
	pool, _ := sotopia.Strategies("v3")
	out, err = cliRun(t, "prompt", "--task", task.PK, "--seat", "0", "--strategy", pool[7].ID)
	if err != nil || !strings.Contains(out, pool[7].Description) {
		t.Fatalf("strategy not injected (%v):\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"prompt", "--seat", "0"},
		{"prompt", "--task", task.PK, "--seat", "2"},
		{"prompt", "--task", task.PK, "--strategy", "nope"},
		{"prompt", "--task", "01NOTATASK"},
	} {
		if _, err := cliRun(t, bad...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestDataListsSubsetsAndStrategies(t *testing.T) {
	out, err := cliRun(t, "data")
	if err != nil || !strings.Contains(out, "hard_small") || !strings.Contains(out, "90 scenarios") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = cliRun(t, "data", "strategies", "--strategy-version", "v3")
	if err != nil || !strings.Contains(out, "validate_then_redirect") {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := cliRun(t, "data", "nonsense"); err == nil {
		t.Error("unknown listing accepted")
	}
}

func TestRunConfigFileAndFlagOverride(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "run.toml")
	os.WriteFile(file, []byte("subset = \"hard\"\nmax_episodes = 2\nmax_turns = 4\nbandit_type = \"random\"\n[sim]\nopponent = \"adaptive\"\n"), 0o644)
	out := filepath.Join(dir, "out")
	if _, err := cliRun(t, "run", "-q", "--config", file, "--max-turns", "6", "--out", out, "--store", filepath.Join(dir, "store")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Run
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Subset != "hard" || cfg.MaxTurns != 6 || cfg.Bandit != "random" || cfg.Sim.Opponent != "adaptive" || cfg.MaxEpisodes != 2 {
		t.Fatalf("run.json: %+v", cfg)
	}
	if _, err := cliRun(t, "run", "--subset", "easy", "--out", filepath.Join(dir, "o2")); err == nil || !strings.Contains(err.Error(), "subset") {
		t.Errorf("bad subset: %v", err)
	}
	if _, err := cliRun(t, "run", "-q", "--out", out); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("reused run folder: %v", err)
	}
}

// --dynamic-eta is the artifact's flag and runs what its code does (eta / sqrt(t+1)); the
// runner options --update-interval and --alternate-optimization reach the run configuration.
func TestRunPolicyFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if _, err := cliRun(t, "run", "-q", "--max-episodes", "1", "--max-turns", "4", "--bandit-type", "instinct",
		"--dynamic-eta", "--update-interval", "2", "--alternate-optimization", "--out", out, "--store", filepath.Join(dir, "store")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Run
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if p := cfg.Policy; p.ALSO.EtaSchedule != "divide-sqrt" || p.UpdateInterval != 2 || !p.AlternateOptimization || p.UCBContext {
		t.Fatalf("run.json policy: %+v", p)
	}
	if _, err := cliRun(t, "run", "--dynamic-eta", "--eta-schedule", "multiply-sqrt", "--out", filepath.Join(dir, "o2")); err == nil || !strings.Contains(err.Error(), "--dynamic-eta is --eta-schedule divide-sqrt") {
		t.Errorf("conflicting eta flags: %v", err)
	}
	if _, err := cliRun(t, "run", "--update-interval", "2", "--bandit-type", "exp3", "--out", filepath.Join(dir, "o3")); err == nil || !strings.Contains(err.Error(), "update_interval = 2") {
		t.Errorf("update interval for exp3: %v", err)
	}
	if _, err := cliRun(t, "run", "--dynamic-eta-divide", "--out", filepath.Join(dir, "o4")); err == nil || !strings.Contains(err.Error(), "unknown flag") {
		t.Errorf("the removed --dynamic-eta-divide: %v", err)
	}
}
