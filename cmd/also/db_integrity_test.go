package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

func tagEpisodesOf(t *testing.T, dir, tag string) []*sotopia.EpisodeLog {
	t.Helper()
	st, err := store.OpenDirReadOnly(dir)
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

// Issue 9.2: `db import --tag X` of an exported tag makes copies with ids of their own; the source
// tag keeps its episodes and its eval, byte for byte.
func TestImportUnderANewTagLeavesTheSourceTagAlone(t *testing.T) {
	dir := noRedisEnv(t)
	const src = "gpt-4_gpt-4_v0.0.1_clean"
	mustCLI(t, "db", "import", sampleEpisodes, "--store", dir)
	before := tagEpisodesOf(t, dir, src)
	evalBefore := mustCLI(t, "eval", "--tag", src, "--format", "json", "--store", dir)
	file := filepath.Join(t.TempDir(), "a.jsonl")
	mustCLI(t, "db", "export", "--tag", src, "--store", dir, "--out", file)

	out := mustCLI(t, "db", "import", file, "--tag", "copy", "--store", dir)
	if !strings.Contains(out, "imported "+strconv.Itoa(len(before))+" episodes") {
		t.Fatalf("import output:\n%s", out)
	}
	if after := tagEpisodesOf(t, dir, src); !reflect.DeepEqual(after, before) {
		t.Fatalf("the source tag changed: %d episodes before, %d after", len(before), len(after))
	}
	if evalAfter := mustCLI(t, "eval", "--tag", src, "--format", "json", "--store", dir); evalAfter != evalBefore {
		t.Fatalf("the source tag's eval changed:\nbefore %s\nafter  %s", evalBefore, evalAfter)
	}
	copies := tagEpisodesOf(t, dir, "copy")
	if len(copies) != len(before) {
		t.Fatalf("tag copy has %d episodes, want %d", len(copies), len(before))
	}
	srcPKs := map[string]bool{}
	for _, ep := range before {
		srcPKs[ep.PK] = true
	}
	for _, ep := range copies {
		if srcPKs[ep.PK] {
			t.Fatalf("copy %s kept its source id", ep.PK)
		}
	}
	// Importing the same file again finds its copies: nothing new, nothing replaced.
	again := mustCLI(t, "db", "import", file, "--tag", "copy", "--store", dir)
	if !strings.Contains(again, "imported 0 episodes") || !strings.Contains(again, "already stored") {
		t.Fatalf("re-import:\n%s", again)
	}
	// A file that reuses stored ids with other content is refused whole.
	b, _ := os.ReadFile(file)
	changed := filepath.Join(t.TempDir(), "changed.jsonl")
	os.WriteFile(changed, bytes.ReplaceAll(b, []byte(`"reasoning": "`), []byte(`"reasoning": "edited `)), 0o644)
	_, _, err := runCLI(t, "db", "import", changed, "--store", dir)
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("import of changed episodes under their stored ids: %v, want a conflict and nothing imported", err)
	}
	if after := tagEpisodesOf(t, dir, src); !reflect.DeepEqual(after, before) {
		t.Fatal("a refused import changed the source tag")
	}
}

// Issue 9.5: read-only commands on a mistyped path exit non-zero and create nothing.
func TestReadOnlyCommandsOnAMissingStoreCreateNothing(t *testing.T) {
	noRedisEnv(t)
	missing := filepath.Join(t.TempDir(), "no", "such", "store")
	for _, args := range [][]string{{"db", "stats"}, {"db", "export", "--tag", "x"}, {"eval", "--tag", "x"}} {
		_, _, err := runCLI(t, append(args, "--store", missing)...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("also %s on a missing store: %v, want an error saying it does not exist", strings.Join(args, " "), err)
		}
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(missing))); !os.IsNotExist(err) {
		t.Fatalf("a read-only command created %s: %v", filepath.Dir(filepath.Dir(missing)), err)
	}
}

// Issue 9.5: a final record that parses but lacks its newline survives every command, a run's
// appends included, and nothing a reader does changes the file.
func TestFinalRecordWithoutNewlineSurvivesEveryCommand(t *testing.T) {
	dir := noRedisEnv(t)
	const tag = "gpt-4_gpt-4_v0.0.1_clean"
	mustCLI(t, "db", "import", sampleEpisodes, "--store", dir)
	path := filepath.Join(dir, "EpisodeLog.jsonl")
	b, _ := os.ReadFile(path)
	cut := bytes.TrimSuffix(b, []byte("\n"))
	os.WriteFile(path, cut, 0o644)
	last := lastRecordPK(t, cut)
	var lastTag string
	for _, ep := range tagEpisodesOf(t, dir, "") {
		if ep.PK == last {
			lastTag = ep.Tag
		}
	}
	if lastTag == "" {
		t.Fatalf("the record without newline (%s) is not readable", last)
	}
	for _, args := range [][]string{{"db", "stats"}, {"db", "stats", "--format", "json"}, {"db", "export", "--tag", lastTag}, {"eval", "--tag", lastTag}, {"eval", "--tag", tag}} {
		out := mustCLI(t, append(args, "--store", dir)...)
		if now, _ := os.ReadFile(path); !bytes.Equal(now, cut) {
			t.Fatalf("also %s changed the store file", strings.Join(args, " "))
		}
		if args[1] == "stats" && !strings.Contains(out, "10") {
			t.Fatalf("also %s does not count all 10 episodes:\n%s", strings.Join(args, " "), out)
		}
		if args[0] == "db" && args[1] == "export" && !strings.Contains(out, last) {
			t.Fatalf("export of %s lacks the record without newline %s", lastTag, last)
		}
	}
	mustCLI(t, "run", "--bandit-type", "exp3", "--max-episodes", "1", "--max-turns", "4", "--tag", "after",
		"--store", dir, "--out", filepath.Join(t.TempDir(), "run"), "-q")
	all := tagEpisodesOf(t, dir, "")
	found := false
	for _, ep := range all {
		found = found || ep.PK == last
	}
	if len(all) < 11 || !found {
		t.Fatalf("after a run: %d episodes, record %s kept: %v", len(all), last, found)
	}
	now, _ := os.ReadFile(path)
	if !bytes.HasPrefix(now, cut) || !bytes.HasSuffix(now, []byte("\n")) {
		t.Fatal("the run did not keep the record and give it its newline")
	}
}

func lastRecordPK(t *testing.T, b []byte) string {
	t.Helper()
	lines := bytes.Split(b, []byte("\n"))
	var h struct {
		PK string `json:"pk"`
	}
	if err := json.Unmarshal(lines[len(lines)-1], &h); err != nil {
		t.Fatal(err)
	}
	return h.PK
}

// Issue 9.4: reads work while a writer holds the store and its tag (as a run does), and db
// commands refuse to take a tag another writer holds.
func TestReadersWorkWhileAWriterHoldsTheStore(t *testing.T) {
	dir := noRedisEnv(t)
	const tag = "gpt-4_gpt-4_v0.0.1_clean"
	mustCLI(t, "db", "import", sampleEpisodes, "--store", dir)
	w, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	release, err := w.LockTag(context.Background(), "live")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := w.SaveEpisode(context.Background(), storetest.Episode("01JLIVE1", "live", "E", "T", sotopia.StatusDone)); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"db", "stats"}, {"db", "export", "--tag", tag}, {"eval", "--tag", tag}, {"eval", "--tag", "live"}} {
		mustCLI(t, append(args, "--store", dir)...)
	}
	file := filepath.Join(t.TempDir(), "x.jsonl")
	mustCLI(t, "db", "export", "--tag", tag, "--store", dir, "--out", file)
	if _, _, err := runCLI(t, "db", "import", file, "--tag", "live", "--store", dir); err == nil || !strings.Contains(err.Error(), "live") {
		t.Fatalf("import into a tag another writer holds: %v, want a refusal naming it", err)
	}
	mustCLI(t, "db", "import", file, "--tag", "elsewhere", "--store", dir) // another tag works meanwhile
}

// Issue 9.6: stats show each tag's bound configuration and interrupted attempts apart.
func TestDBStatsShowsBindingsAndInterrupted(t *testing.T) {
	dir := noRedisEnv(t)
	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fp := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	if err := st.BindTag(ctx, store.RunConfig{Tag: "exp", Fingerprint: fp, Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Config: json.RawMessage(`{"bandit_type":"exp3","model":"openai/gpt-4o","seed":7,"policy":{"eta":20}}`)}); err != nil {
		t.Fatal(err)
	}
	for _, ep := range []*sotopia.EpisodeLog{
		storetest.Episode("01JS1", "exp", "E", "T1", sotopia.StatusDone),
		storetest.Episode("01JS2", "exp", "E", "T2", sotopia.StatusInterrupted),
		storetest.Episode("01JS3", "exp", "E", "T3", sotopia.StatusFailed),
	} {
		if err := st.SaveEpisode(ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	table := mustCLI(t, "db", "stats", "--store", dir)
	if !hasRow(table, "exp", "3", "1", "1", "1", fp[:12]) || !strings.Contains(table, "bandit_type=exp3 model=openai/gpt-4o seed=7") {
		t.Fatalf("stats table:\n%s", table)
	}
	full := mustCLI(t, "db", "stats", "--show-config", "--store", dir)
	if !strings.Contains(full, `"eta": 20`) || !strings.Contains(full, fp) {
		t.Fatalf("stats --show-config:\n%s", full)
	}
	var s dbStats
	if err := json.Unmarshal([]byte(mustCLI(t, "db", "stats", "--format", "json", "--store", dir)), &s); err != nil {
		t.Fatal(err)
	}
	if s.ByTag["exp"].Interrupted != 1 || s.Configs["exp"].Fingerprint != fp {
		t.Fatalf("stats json: %+v", s)
	}
}

// Issue 9.3: a mistyped db subcommand exits non-zero.
func TestDBUnknownSubcommandFails(t *testing.T) {
	noRedisEnv(t)
	if _, _, err := runCLI(t, "db", "stat"); err == nil || !strings.Contains(err.Error(), `unknown command "stat"`) || !strings.Contains(err.Error(), "did you mean stats") {
		t.Fatalf("also db stat: %v, want an unknown-command error", err)
	}
	if out := mustCLI(t, "db"); !strings.Contains(out, "Available Commands") {
		t.Fatalf("also db without a subcommand should print its help:\n%s", out)
	}
}
