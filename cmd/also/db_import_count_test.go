package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/sotopia/store"
)

// db import reports, per tag, the episodes it wrote and those already stored: records, not input
// lines (a line repeated in the file was counted twice). A run's tag refuses the import, exit 2.
func TestImportCountsRecordsPerTag(t *testing.T) {
	dir := noRedisEnv(t)
	sample, err := os.ReadFile(sampleEpisodes)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(sample, []byte("\n"))
	file := filepath.Join(t.TempDir(), "repeated.jsonl")
	if err := os.WriteFile(file, append(append(append([]byte{}, sample...), first...), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustCLI(t, "db", "import", file, "--store", dir)
	if !strings.Contains(out, "imported 10 episodes") || !strings.Contains(out, "(1 repeated in the input, read once)") {
		t.Fatalf("import output:\n%s", out)
	}
	for tag, rows := range rowsByTag(readSample(t)) {
		if !containsRow(out, tag, len(rows), 0) {
			t.Errorf("import output lacks %s with %d episodes:\n%s", tag, len(rows), out)
		}
	}
	again := mustCLI(t, "db", "import", sampleEpisodes, "--store", dir)
	for tag, rows := range rowsByTag(readSample(t)) {
		if !containsRow(again, tag, 0, len(rows)) {
			t.Errorf("re-import lacks %s with 0 imported, %d already stored:\n%s", tag, len(rows), again)
		}
	}

	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.BindTag(context.Background(), store.RunConfig{Tag: "ran", Fingerprint: "abcdef0123", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	_, _, err = runCLI(t, "db", "import", sampleEpisodes, "--tag", "ran", "--store", dir)
	if code := exitCode(context.Background(), err); code != exitUsage || !strings.Contains(err.Error(), "tag ran") ||
		!strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("import into a run's tag: exit %d, %v", code, err)
	}
}

// containsRow finds a table row "tag imported stored" (columns separated by spaces).
func containsRow(out, tag string, imported, stored int) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == tag && f[1] == fmt.Sprint(imported) && f[2] == fmt.Sprint(stored) {
			return true
		}
	}
	return false
}
