package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/also-project/also/sotopia"
)

// DoneTasks lists the tasks with a finished (done) episode under tag in the embedded store at
// dir, reading only: no lock, no file created, a damaged tail left as it is (a run may be
// writing). A missing store has no tasks done. For plans (`also run --dry-run --resume`).
func DoneTasks(dir, tag string) (map[string]bool, error) {
	done := map[string]bool{}
	f, err := os.Open(filepath.Join(dir, episodeKindName+".jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	defer f.Close()
	// The index rebuilt on open, without the file handles: applyEpisode keeps the last line of
	// each pk, as OpenDir does.
	d := &Dir{path: dir, epIdx: map[string]epEntry{}}
	if _, err := replay(f, f.Name(), d.applyEpisode, func(string) {}); err != nil {
		return nil, err
	}
	for _, e := range d.epIdx {
		if e.tag == tag && e.status == sotopia.StatusDone {
			done[e.task] = true
		}
	}
	return done, nil
}
