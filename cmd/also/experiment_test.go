package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

func TestExperimentCLISmokeRunsThenARerunDoesNothing(t *testing.T) {
	smoke, err := filepath.Abs("../../experiments/smoke.toml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	// --dry-run prints the plan and writes nothing.
	out, _, err := runCLI(t, "experiment", smoke, "--dry-run")
	if err != nil || !strings.Contains(out, "6 cells (0 already done), 18 episodes to run") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "experiment", smoke, "--dry-run", "--format", "json")
	var plan struct {
		Cells []struct {
			Cell struct{ Tag string }
			Plan struct{ Tasks []string }
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &plan) != nil || len(plan.Cells) != 6 || len(plan.Cells[0].Plan.Tasks) != 3 {
		t.Fatalf("json plan: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Fatalf("--dry-run wrote %d entries", len(entries))
	}
	out, errOut, err := runCLI(t, "experiment", smoke, "--progress-every", "1h")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	lines := strings.Split(errOut, "\n")
	// The first line says what runs; the last progress line has every episode done.
	if !strings.HasPrefix(lines[0], "experiment smoke: 6 cells (0 already done), 18 episodes to run") ||
		!strings.Contains(errOut, "progress: 18/18 episodes done, 0 failed, 0 in flight") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	if strings.Count(out, "3 done, 0 failed") != 6 {
		t.Fatalf("stdout:\n%s", out)
	}
	folders, _ := os.ReadDir("runs/smoke")
	out, _, err = runCLI(t, "experiment", smoke, "-q")
	if err != nil || strings.Count(out, "already done  -") != 6 || !strings.Contains(out, "6 cells (6 already done), 0 episodes to run") {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if after, _ := os.ReadDir("runs/smoke"); len(after) != len(folders) {
		t.Fatalf("the rerun made run folders: %d -> %d", len(folders), len(after))
	}
	// cost reads the experiment's tags: the sim world made no LLM call.
	out, _, err = runCLI(t, "cost", "--experiment", smoke, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rep CostReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Tags) != 6 || rep.Tags[0].Episodes != 3 || rep.Total.Calls != 0 {
		t.Fatalf("cost %+v", rep)
	}
}

func TestExperimentCLIBadFileIsAUsageErrorNamingLineAndKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(path, []byte("[base]\nmax_episodes = 1\n[grid]\nbandit_typo = [\"also\"]\n"), 0o644)
	_, _, err := runCLI(t, "experiment", path, "--dry-run")
	if err == nil || !strings.Contains(err.Error(), path+":4: grid.bandit_typo: unknown run setting") {
		t.Fatalf("error %v", err)
	}
	if code := exitCode(context.Background(), err); code != exitUsage {
		t.Fatalf("exit code %d, want %d", code, exitUsage)
	}
}

func TestCostSumsUsageByRoleAndNamesTheModels(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.DefaultRun()
	cfg.P1Model, cfg.P2Model, cfg.Model = "openrouter/a/one", "openai/two", "openrouter/a/one"
	id, err := cfg.Identity()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.BindTag(ctx, store.RunConfig{Tag: "live", Fingerprint: id.Fingerprint, Config: id.Config}); err != nil {
		t.Fatal(err)
	}
	usage := func(agentCalls int64, usd float64) *sotopia.Usage {
		agent := sotopia.Usage{Calls: agentCalls, PromptTokens: 100 * agentCalls, CachedTokens: 10, CompletionTokens: 5 * agentCalls, CostUSD: usd, Retries: 1}
		judge := sotopia.Usage{Calls: 1, PromptTokens: 1000, CompletionTokens: 300, CostUSD: 0.25}
		u := &sotopia.Usage{}
		u.Add(sotopia.Usage{ByRole: map[string]sotopia.Usage{"agent": agent, "judge": judge}})
		u.Add(agent)
		u.Add(judge)
		return u
	}
	done := storetest.Episode("01JDONE1", "live", "E1", "T1", sotopia.StatusDone)
	done.Usage = usage(20, 1.0)
	failed := storetest.Episode("01JFAIL1", "live", "E1", "T2", sotopia.StatusFailed)
	failed.Usage = usage(4, 0.5) // a failed attempt was paid for too
	for _, ep := range []*sotopia.EpisodeLog{done, failed} {
		if err := st.SaveEpisode(ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out, _, err := runCLI(t, "cost", "--tag", "live", "--store", dir, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rep CostReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	tc := rep.Tags[0]
	agent, judge := tc.Rows[0], tc.Rows[1]
	if agent.Role != "agent" || agent.Calls != 24 || agent.PromptTokens != 2400 || agent.CachedTokens != 20 || agent.CompletionTokens != 120 ||
		agent.Retries != 2 || agent.CostUSD != 1.5 || agent.Model != "openrouter/a/one (p1), openai/two (p2)" {
		t.Fatalf("agent row %+v", agent)
	}
	if judge.Role != "judge" || judge.Calls != 2 || judge.CostUSD != 0.5 || !strings.Contains(judge.Model, "openrouter/openai/gpt-4o (terminal)") {
		t.Fatalf("judge row %+v", judge)
	}
	if tc.Total.Calls != 26 || tc.Total.CostUSD != 2.0 || rep.Total.CostUSD != 2.0 {
		t.Fatalf("totals %+v / %+v", tc.Total, rep.Total)
	}
	table, _, err := runCLI(t, "cost", "--tag", "live", "--store", dir)
	if err != nil || !strings.Contains(table, "agent") || !strings.Contains(table, "1.5000") {
		t.Fatalf("table: %v\n%s", err, table)
	}
	// A read: nothing is written to the store.
	if _, _, err := runCLI(t, "cost", "--tag", "nope", "--store", dir); err == nil || !strings.Contains(err.Error(), "known tags: live") {
		t.Fatalf("unknown tag: %v", err)
	}
}

// The paper's grid plans offline, without keys, and writes nothing.
func TestPaperTableDryRun(t *testing.T) {
	if raceEnabled {
		t.Skip("plans 4500 episodes: too slow under -race")
	}
	table, err := filepath.Abs("../../experiments/paper/table.toml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	out, _, err := runCLI(t, "experiment", table, "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "experiment paper: 10 cells (0 already done), 4500 episodes to run") ||
		!strings.Contains(out, "ALSO Qwen2.5-72B") || !strings.Contains(out, "terminal judge  openrouter/openai/gpt-4o") {
		t.Fatalf("plan:\n%s", out)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Fatalf("--dry-run wrote %d entries", len(entries))
	}
}

// `also run` says what runs on its first line, then prints plain progress lines (stderr is not a
// terminal here) ending with every episode done.
func TestRunPrintsItsHeadlineAndProgressLines(t *testing.T) {
	t.Chdir(t.TempDir())
	out, errOut, err := runCLI(t, "run", "--max-episodes", "2", "--max-turns", "4", "--tag", "prog", "--progress-every", "1h")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if lines[0] != "running tag prog: 2 episodes, sim world, batch size 14" {
		t.Fatalf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "progress: 2/2 episodes done, 0 failed, 0 in flight, 8 turns, 0 tokens, $0.0000") {
		t.Fatalf("last line %q\n%s", last, errOut)
	}
	// -q: nothing on stderr.
	_, errOut, err = runCLI(t, "run", "--max-episodes", "1", "--max-turns", "4", "--tag", "quiet", "-q")
	if err != nil || errOut != "" {
		t.Fatalf("-q: %v, stderr %q", err, errOut)
	}
}
