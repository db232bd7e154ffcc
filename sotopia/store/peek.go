package store

import (
	"context"
	"errors"

	"github.com/also-project/also/sotopia"
)

// DoneTasks lists the tasks with a finished (done) episode under tag in the embedded store at
// dir, reading only (OpenDirReadOnly: no lock, nothing created or repaired, so a run may be
// writing). A missing store has no tasks done. For plans (`also run --dry-run --resume`).
func DoneTasks(dir, tag string) (map[string]bool, error) {
	done := map[string]bool{}
	d, err := OpenDirReadOnly(dir)
	if errors.Is(err, ErrNotFound) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	eps, err := d.Episodes(context.Background(), Query{Tag: tag, Status: sotopia.StatusDone})
	if err != nil {
		return nil, err
	}
	for _, ep := range eps {
		done[ep.TaskID] = true
	}
	return done, nil
}
