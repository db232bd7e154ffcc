package store

// TEMPORARY (branch identity): a minimal stand-in for the run-identity API the store branch
// provides (tag -> configuration binding and a per-tag writer lock), so the session code that
// uses it builds and is tested here. On merge, the store branch's implementation replaces this
// whole file; nothing else in sotopia/store depends on it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrConflict is returned when a write would replace different content.
var ErrConflict = errors.New("conflict")

// RunConfig binds a tag to the configuration that produced its episodes.
type RunConfig struct {
	Tag         string          `json:"tag"`
	Fingerprint string          `json:"fingerprint"`
	Config      json.RawMessage `json:"config"`
	Created     time.Time       `json:"created"`
}

// TagBoundError is returned by BindTag when the tag is bound to another fingerprint.
type TagBoundError struct{ Existing RunConfig }

func (e *TagBoundError) Error() string {
	return fmt.Sprintf("tag %s is bound to configuration %s", e.Existing.Tag, e.Existing.Fingerprint)
}

func (e *TagBoundError) Unwrap() error { return ErrConflict }

const runConfigFile = "RunConfig.json"

var tagLocks sync.Map // dir + "\x00" + tag -> struct{}

func (d *Dir) runConfigs() (map[string]RunConfig, error) {
	all := map[string]RunConfig{}
	b, err := os.ReadFile(filepath.Join(d.path, runConfigFile))
	if errors.Is(err, os.ErrNotExist) {
		return all, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(d.path, runConfigFile), err)
	}
	return all, nil
}

// BindTag stores rc if its tag is unbound; nil if bound to the same fingerprint; a
// *TagBoundError otherwise.
func (d *Dir) BindTag(ctx context.Context, rc RunConfig) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	all, err := d.runConfigs()
	if err != nil {
		return err
	}
	if cur, ok := all[rc.Tag]; ok {
		if cur.Fingerprint == rc.Fingerprint {
			return nil
		}
		return &TagBoundError{Existing: cur}
	}
	all[rc.Tag] = rc
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(d.path, runConfigFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(d.path, runConfigFile))
}

// TagConfig is the configuration a tag is bound to (ErrNotFound if none).
func (d *Dir) TagConfig(ctx context.Context, tag string) (RunConfig, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	all, err := d.runConfigs()
	if err != nil {
		return RunConfig{}, err
	}
	rc, ok := all[tag]
	if !ok {
		return RunConfig{}, ErrNotFound
	}
	return rc, nil
}

// LockTag admits one writer per tag (here: per process; the directory lock keeps other
// processes out of the whole store).
func (d *Dir) LockTag(ctx context.Context, tag string) (func(), error) {
	key := d.path + "\x00" + tag
	if _, busy := tagLocks.LoadOrStore(key, struct{}{}); busy {
		return nil, fmt.Errorf("tag %s is being written by another run", tag)
	}
	var once sync.Once
	return func() { once.Do(func() { tagLocks.Delete(key) }) }, nil
}

func (m *Mirror) BindTag(ctx context.Context, rc RunConfig) error { return m.local.BindTag(ctx, rc) }
func (m *Mirror) TagConfig(ctx context.Context, tag string) (RunConfig, error) {
	return m.local.TagConfig(ctx, tag)
}
func (m *Mirror) LockTag(ctx context.Context, tag string) (func(), error) {
	return m.local.LockTag(ctx, tag)
}
