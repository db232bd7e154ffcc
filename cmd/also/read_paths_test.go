package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// storeSnapshot is every file of an embedded store directory with its content.
func storeSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		snap[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// compare, plot and report only read: the store is byte for byte the same after them, and on a
// mistyped --store they fail saying so and create nothing.
func TestCompareplotAndReportNeverWriteTheStore(t *testing.T) {
	dir := noRedisEnv(t)
	mustCLI(t, "db", "import", sampleEpisodes, "--tag", "a", "--store", dir)
	mustCLI(t, "db", "import", sampleEpisodes, "--tag", "b", "--store", dir)
	before := storeSnapshot(t, dir)
	out := t.TempDir()
	commands := [][]string{
		{"compare", "--tags", "a,b"},
		{"compare", "--tags", "a,b", "--paper-table"},
		{"plot", "--tags", "a,b", "--out", filepath.Join(out, "figs")},
		{"report", "--tags", "a,b", "--out", filepath.Join(out, "r.html")},
	}
	for _, args := range commands {
		mustCLI(t, append(args, "--store", dir)...)
		if after := storeSnapshot(t, dir); !reflect.DeepEqual(after, before) {
			t.Fatalf("also %s changed the store", strings.Join(args, " "))
		}
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "store")
	for _, args := range commands {
		_, _, err := runCLI(t, append(args, "--store", missing)...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("also %s on a missing store: %v, want an error saying it does not exist", args[0], err)
		}
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(missing))); !os.IsNotExist(err) {
		t.Fatalf("a read-only command created %s: %v", filepath.Dir(filepath.Dir(missing)), err)
	}
}
