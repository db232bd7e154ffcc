package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/also-project/also/sotopia"
)

func TestDoneTasksReadsWithoutWriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if done, err := DoneTasks(dir, "t"); err != nil || len(done) != 0 {
		t.Fatalf("missing store: %v %v", done, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("DoneTasks created the store")
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []*sotopia.EpisodeLog{
		{PK: "a0", Tag: "t", TaskID: "A", Status: sotopia.StatusFailed},
		{PK: "a1", Tag: "t", TaskID: "A", Status: sotopia.StatusDone},
		{PK: "b0", Tag: "t", TaskID: "B", Status: sotopia.StatusFailed},
		{PK: "c0", Tag: "other", TaskID: "C", Status: sotopia.StatusDone},
	} {
		ep.Turns, ep.Environment, ep.Agents = []sotopia.TurnRecord{}, "E", []string{"x", "y"}
		if err := d.SaveEpisode(context.Background(), ep); err != nil {
			t.Fatal(err)
		}
	}
	// Read while the writer holds the store, as a plan would beside a running run.
	before, _ := os.ReadDir(dir)
	done, err := DoneTasks(dir, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || !done["A"] {
		t.Fatalf("done %v, want only A", done)
	}
	after, _ := os.ReadDir(dir)
	if len(before) != len(after) {
		t.Fatal("DoneTasks created files")
	}
	d.Close()
}
