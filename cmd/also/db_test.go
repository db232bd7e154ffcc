package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

const sampleEpisodes = "../../sotopia/testdata/episodes_sample.jsonl"

// runCLI runs one `also` command in-process and returns its stdout and stderr.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("also %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// noRedisEnv keeps a developer's REDIS_OM_URL from sending the tests to a real database.
func noRedisEnv(t *testing.T) string {
	t.Helper()
	t.Setenv("REDIS_OM_URL", "")
	return filepath.Join(t.TempDir(), "store")
}

// sampleRow is what the acceptance test reads from the sample file itself, independently of the
// store's import code.
type sampleRow struct {
	ID         string               `json:"episode_id"`
	Tag        string               `json:"experiment_tag"`
	RawRewards [][2]json.RawMessage `json:"raw_rewards"`
	Rewards    []map[string]float64 `json:"rewards"`
	raw        map[string]any
}

func readSample(t *testing.T) []sampleRow {
	t.Helper()
	f, err := os.Open(sampleEpisodes)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var rows []sampleRow
	for sc.Scan() {
		var r sampleRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(sc.Bytes(), &r.raw); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("empty sample")
	}
	return rows
}

func rowsByTag(rows []sampleRow) map[string][]sampleRow {
	m := map[string][]sampleRow{}
	for _, r := range rows {
		m[r.Tag] = append(m[r.Tag], r)
	}
	return m
}

// Acceptance (issue 5): `also db import` of published Sotopia episodes, then `also eval --format
// json` per tag, gives every episode's stored per-seat overall and seven dimension scores.
func TestImportThenEvalGivesTheStoredScores(t *testing.T) {
	dir := noRedisEnv(t)
	rows := readSample(t)
	byTag := rowsByTag(rows)
	out := mustCLI(t, "db", "import", sampleEpisodes, "--store", dir)
	if !strings.Contains(out, "imported 10 episodes") {
		t.Fatalf("import output:\n%s", out)
	}
	for tag, want := range byTag {
		if !strings.Contains(out, tag) {
			t.Errorf("import output does not name tag %s:\n%s", tag, out)
		}
		var ev report.Eval
		if err := json.Unmarshal([]byte(mustCLI(t, "eval", "--tag", tag, "--format", "json", "--store", dir)), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Tag != tag || len(ev.Episodes) != len(want) || ev.Scored != len(want) || ev.Failed != 0 {
			t.Fatalf("tag %s: eval has %d episodes (%d scored, %d failed), the file %d", tag, len(ev.Episodes), ev.Scored, ev.Failed, len(want))
		}
		got := map[string]report.EvalEpisode{}
		for _, e := range ev.Episodes {
			got[e.PK] = e
		}
		var sumP1 float64
		for _, row := range want {
			e, ok := got[row.ID]
			if !ok {
				t.Fatalf("tag %s: episode %s missing from eval", tag, row.ID)
			}
			if len(e.Seats) != len(row.Rewards) {
				t.Fatalf("%s: %d seats, stored %d", row.ID, len(e.Seats), len(row.Rewards))
			}
			for seat, dims := range row.Rewards {
				var overall float64
				if err := json.Unmarshal(row.RawRewards[seat][0], &overall); err != nil {
					t.Fatal(err)
				}
				if e.Seats[seat].Overall != overall || overall != dims["overall_score"] {
					t.Errorf("%s seat %d: eval overall %v, stored %v", row.ID, seat, e.Seats[seat].Overall, overall)
				}
				for _, d := range sotopia.Dimensions {
					if g, w := e.Seats[seat].Dimensions[d.Key], dims[d.Key]; g != w {
						t.Errorf("%s seat %d %s: eval %v, stored %v", row.ID, seat, d.Key, g, w)
					}
				}
			}
			sumP1 += e.Seats[0].Overall
		}
		if mean := sumP1 / float64(len(want)); ev.Seats[0].N != len(want) || !near(ev.Seats[0].Overall.Mean, mean) {
			t.Errorf("tag %s: p1 aggregate %+v, want mean %v over %d", tag, ev.Seats[0].Overall, mean, len(want))
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

func TestEvalTableAndHardSet(t *testing.T) {
	dir := noRedisEnv(t)
	mustCLI(t, "db", "import", sampleEpisodes, "--store", dir, "--tag", "mine")
	table := mustCLI(t, "eval", "--tag", "mine", "--store", dir)
	for _, want := range []string{store.ImportedPK("mine", "01H8XWN5V57J20F3JG7WWQKDAC"), "3.000", "5.143", "tag mine (all): 10 scored, 0 unscored", "avg"} {
		if !strings.Contains(table, want) {
			t.Errorf("eval table lacks %q:\n%s", want, table)
		}
	}
	// The sample has no Sotopia-hard scenario: add two of our own episodes in hard ones.
	ds := sotopia.MustEmbedded()
	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range ds.HardEnvIDs[:2] {
		ep := storetest.Episode("01JHARD"+strconv.Itoa(i), "mine", env, "T", sotopia.StatusDone)
		ep.Rewards[1] = sotopia.NewSeatReward(sotopia.Scores{9, 1, 2, -1, -2, 1, float64(i)})
		if err := st.SaveEpisode(context.Background(), ep); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	var ev report.Eval
	if err := json.Unmarshal([]byte(mustCLI(t, "eval", "--tag", "mine", "--eval-set", "hard", "--format", "json", "--store", dir)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.EvalSet != "hard" || len(ev.Episodes) != 2 || ev.Scored != 2 || ev.Episodes[0].PK != "01JHARD0" || ev.Seats[1].Dimensions["goal"].Mean != 0.5 {
		t.Fatalf("hard set: %+v, want the two hard episodes only", ev)
	}
}

// Export gives back Sotopia's JSONL: the same episodes, tags, messages and rewards as the file.
func TestExportReturnsTheImportedEpisodes(t *testing.T) {
	dir := noRedisEnv(t)
	mustCLI(t, "db", "import", sampleEpisodes, "--store", dir)
	for tag, want := range rowsByTag(readSample(t)) {
		sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
		file := filepath.Join(t.TempDir(), "out.jsonl")
		stdout := mustCLI(t, "db", "export", "--tag", tag, "--store", dir)
		mustCLI(t, "db", "export", "--tag", tag, "--store", dir, "--out", file)
		written, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(written) != stdout {
			t.Fatalf("tag %s: --out file differs from stdout", tag)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("tag %s: exported %d lines, want %d", tag, len(lines), len(want))
		}
		for i, line := range lines {
			var got map[string]any
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"episode_id", "environment_id", "agent_ids", "experiment_tag", "raw_messages", "raw_rewards", "rewards", "reasoning"} {
				if !reflect.DeepEqual(got[key], want[i].raw[key]) {
					t.Errorf("tag %s line %d: %s differs from the imported file", tag, i+1, key)
				}
			}
		}
	}
}

func TestImportTagOverrideAndStats(t *testing.T) {
	dir := noRedisEnv(t)
	mustCLI(t, "db", "import", sampleEpisodes, "--store", dir, "--tag", "renamed")
	// Our own runs' failed attempts sit beside done ones: stats counts each of them.
	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []*sotopia.EpisodeLog{
		storetest.Episode("01JFAIL1", "run_a", "E1", "T1", sotopia.StatusFailed),
		storetest.Episode("01JFAIL2", "run_a", "E1", "T1", sotopia.StatusFailed),
		storetest.Episode("01JDONE1", "run_a", "E1", "T1", sotopia.StatusDone),
	} {
		if err := st.SaveEpisode(context.Background(), ep); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	var s dbStats
	if err := json.Unmarshal([]byte(mustCLI(t, "db", "stats", "--format", "json", "--store", dir)), &s); err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Counts{"renamed": {Episodes: 10, Done: 10}, "run_a": {Episodes: 3, Done: 1, Failed: 2}}
	if !reflect.DeepEqual(s.ByTag, want) || s.Episodes != 13 || s.Failed != 2 {
		t.Fatalf("stats %+v, want by tag %+v", s.Stats, want)
	}
	table := mustCLI(t, "db", "stats", "--store", dir)
	if !strings.Contains(table, "run_a") || !hasRow(table, "run_a", "3", "1", "2", "0", "-") || !hasRow(table, "total", "13", "11", "2", "0") {
		t.Fatalf("stats table:\n%s", table)
	}
}

// hasRow reports whether some line of a table has exactly these whitespace-separated cells.
func hasRow(table string, cells ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		if reflect.DeepEqual(strings.Fields(line), cells) {
			return true
		}
	}
	return false
}

func TestDBLoadAddsOnlyWhatIsMissing(t *testing.T) {
	dir := noRedisEnv(t)
	ds := sotopia.MustEmbedded()
	// A user's own version of a dataset profile, stored first, survives every load.
	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	edited := *sortedAgentsOf(ds)[0]
	edited.Occupation = "lighthouse keeper"
	if err := st.SaveAgent(context.Background(), &edited); err != nil {
		t.Fatal(err)
	}
	st.Close()
	first := mustCLI(t, "db", "load", "--store", dir)
	if !hasRow(first, "agents", strconv.Itoa(len(ds.Agents)), strconv.Itoa(len(ds.Agents)-1)) || !hasRow(first, "tasks", strconv.Itoa(len(ds.Tasks)), strconv.Itoa(len(ds.Tasks))) {
		t.Fatalf("first load:\n%s", first)
	}
	second := mustCLI(t, "db", "load", "--store", dir)
	if !hasRow(second, "agents", strconv.Itoa(len(ds.Agents)), "0") {
		t.Fatalf("second load:\n%s", second)
	}
	st, err = store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if a, _ := st.Agent(context.Background(), edited.PK); a == nil || a.Occupation != "lighthouse keeper" {
		t.Fatalf("load overwrote the user's agent: %+v", a)
	}
}

func sortedAgentsOf(ds *sotopia.Dataset) []*sotopia.AgentProfile {
	var out []*sotopia.AgentProfile
	for _, a := range ds.Agents {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PK < out[j].PK })
	return out
}

// Bad input gets an error that names what is wrong.
func TestDBAndEvalErrorsNameTheProblem(t *testing.T) {
	dir := noRedisEnv(t)
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(bad, []byte(`{"episode_id": "01JOK", "environment_id": "E", "agent_ids": ["a","b"], "raw_rewards": [0.0, 0.0]}`+"\n{not json\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--tag", "x"}, "store " + dir + " does not exist"},
		{[]string{"db", "import", bad}, "line 2"},
		{[]string{"db", "import", empty}, "holds no episodes"},
		{[]string{"db", "import", filepath.Join(dir, "missing.jsonl")}, "missing.jsonl"},
		{[]string{"db", "import", sampleEpisodes, "--tag", ""}, "--tag is empty"},
		{[]string{"db", "stats", "--format", "xml"}, `--format "xml"`},
		{[]string{"eval", "--tag", "x", "--format", "csv"}, `--format "csv"`},
		{[]string{"eval", "--tag", "x", "--eval-set", "easy"}, `--eval-set "easy"`},
	}
	for _, c := range cases {
		if _, _, err := runCLI(t, append(c.args, "--store", dir)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("also %s: error %v, want it to contain %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	mustCLI(t, "db", "import", sampleEpisodes, "--store", dir)
	for _, args := range [][]string{{"eval", "--tag", "nope"}, {"db", "export", "--tag", "nope"}, {"eval"}} {
		_, _, err := runCLI(t, append(args, "--store", dir)...)
		if err == nil || !strings.Contains(err.Error(), "known tags: gpt-3.5-turbo_gpt-3.5-turbo_v0.0.1_clean, gpt-4_gpt-3.5-turbo_v0.0.1_clean, gpt-4_gpt-4_v0.0.1_clean") {
			t.Errorf("also %s: error %v, want the known tags", strings.Join(args, " "), err)
		}
	}
}

// Against Redis (Sotopia's layout) the same commands work, and the password never shows.
func TestDBCommandsOnRedisNeverShowThePassword(t *testing.T) {
	noRedisEnv(t)
	const pw = "db-cmd-secret"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw})
	t.Setenv("REDIS_OM_URL", srv.URL()) // Sotopia's variable, as its users set it
	var all strings.Builder
	for _, args := range [][]string{
		{"db", "load"},
		{"db", "import", sampleEpisodes},
		{"db", "stats"},
		{"db", "stats", "--format", "json"},
		{"eval", "--tag", "gpt-4_gpt-4_v0.0.1_clean"},
		{"db", "--help"},
		{"eval", "--help"},
	} {
		all.WriteString(mustCLI(t, args...))
	}
	out := all.String()
	if strings.Contains(out, pw) {
		t.Fatalf("password in the output:\n%s", out)
	}
	if !strings.Contains(out, "Redis redis://:xxxxx@"+srv.Addr()) || !strings.Contains(out, "gpt-4_gpt-4_v0.0.1_clean") {
		t.Fatalf("output does not name the (redacted) Redis or the imported tags:\n%s", out)
	}
	r, err := store.OpenRedis(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if eps, err := r.Episodes(context.Background(), store.Query{}); err != nil || len(eps) != 10 {
		t.Fatalf("Redis holds %d episodes (%v), want 10", len(eps), err)
	}
	_, _, err = runCLI(t, "db", "stats", "--redis-url", srv.URLWithPassword("wrong-"+pw))
	if err == nil || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("wrong password: %v", err)
	}
}
