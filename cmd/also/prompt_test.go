package main

import (
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

// `also prompt` defaults to the artifact's era and prints the whole action prompt with --action.
func TestPromptDefaultsToTheArtifactsPrompt(t *testing.T) {
	ds := sotopia.MustEmbedded()
	task := ds.TasksByEnv["01H7VFHNV13MHN97GAH73E3KM8"][0]
	env, agents, _ := ds.Resolve(task)
	setup := &sotopia.Setup{Task: task, Env: env, Agents: agents, Era: sotopia.EraALSO, MaxTurns: 20}
	out, err := cliRun(t, "prompt", "--task", task.PK, "--seat", "1")
	if err != nil || out != setup.ContextFor(1, "") {
		t.Fatalf("context (%v):\n%s", err, out)
	}
	out, err = cliRun(t, "prompt", "--task", task.PK, "--seat", "1", "--action")
	want := sotopia.ActionPromptFor(sotopia.EraALSO, agents[1].Name(), setup.ContextFor(1, ""), 0, sotopia.AllActionTypes)
	if err != nil || out != want || !strings.Contains(out, "IMPORTANT:Do not Reapet the format instructions.") {
		t.Fatalf("action prompt (%v):\n%s", err, out)
	}
	out, err = cliRun(t, "prompt", "--task", task.PK, "--seat", "0", "--action", "--era", "benchmark")
	if err != nil || !strings.Contains(out, "Here is the output schema:") || strings.Contains(out, "Reapet") {
		t.Fatalf("benchmark action prompt (%v):\n%s", err, out)
	}
	if _, err := cliRun(t, "prompt", "--task", task.PK, "--era", "2024"); err == nil || !strings.Contains(err.Error(), "--era") {
		t.Errorf("bad era: %v", err)
	}
}
