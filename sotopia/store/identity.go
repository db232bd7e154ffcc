package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/also-project/also/sotopia"
)

// RunConfig binds a tag to the configuration that produced its episodes.
type RunConfig struct {
	Tag         string          `json:"tag"`
	Fingerprint string          `json:"fingerprint"` // hex sha256 of the canonical config
	Config      json.RawMessage `json:"config"`      // the resolved run configuration (no secrets)
	Created     time.Time       `json:"created"`
}

// ErrTagBound is what a *TagBoundError wraps.
var ErrTagBound = errors.New("tag is bound to another configuration")

// TagBoundError says a tag is bound to another configuration fingerprint; Existing is that
// binding, so the caller can list the settings that differ.
type TagBoundError struct{ Existing RunConfig }

func (e *TagBoundError) Error() string {
	return fmt.Sprintf("tag %s is bound to configuration %s (first run %s): %v",
		e.Existing.Tag, shortFingerprint(e.Existing.Fingerprint), e.Existing.Created.UTC().Format(time.RFC3339), ErrTagBound)
}

func (e *TagBoundError) Unwrap() error { return ErrTagBound }

func shortFingerprint(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

func checkRunConfig(rc RunConfig) ([]byte, error) {
	if rc.Tag == "" {
		return nil, errors.New("bind tag: empty tag")
	}
	if rc.Fingerprint == "" {
		return nil, fmt.Errorf("bind tag %s: empty fingerprint", rc.Tag)
	}
	if len(rc.Config) > 0 && !json.Valid(rc.Config) {
		return nil, fmt.Errorf("bind tag %s: config is not valid JSON", rc.Tag)
	}
	b, err := marshal(rc)
	if err != nil {
		return nil, fmt.Errorf("bind tag %s: %w", rc.Tag, err)
	}
	return b, nil
}

// boundCheck compares a stored binding with the one asked for.
func boundCheck(stored []byte, rc RunConfig) error {
	var old RunConfig
	if err := json.Unmarshal(stored, &old); err != nil {
		return fmt.Errorf("tag %s: stored configuration unreadable: %w", rc.Tag, err)
	}
	if old.Fingerprint == rc.Fingerprint {
		return nil
	}
	return &TagBoundError{Existing: old}
}

func decodeRunConfig(tag string, b []byte) (RunConfig, error) {
	var rc RunConfig
	if err := json.Unmarshal(b, &rc); err != nil {
		return rc, fmt.Errorf("tag %s: stored configuration unreadable: %w", tag, err)
	}
	return rc, nil
}

// sameEpisode is nil when a stored episode (JSON as stored, perhaps by Sotopia or an older also)
// holds the same episode as doc (our normal form), else an ErrConflict naming the pk.
func sameEpisode(what, pk string, stored, doc []byte) error {
	var ep sotopia.EpisodeLog
	if json.Unmarshal(stored, &ep) == nil {
		fromSotopia(&ep)
		if n, err := normalizeEpisode(&ep); err == nil {
			if b, err := marshal(n); err == nil && bytes.Equal(b, doc) {
				return nil
			}
		}
	}
	return conflict(what, pk)
}

// sameDoc is sameEpisode for profiles: stored and doc must decode to the same T.
func sameDoc[T any](what, pk string, stored, doc []byte) error {
	var v T
	if json.Unmarshal(stored, &v) == nil {
		if b, err := marshal(v); err == nil && bytes.Equal(b, doc) {
			return nil
		}
	}
	return conflict(what, pk)
}

func conflict(what, pk string) error {
	return fmt.Errorf("%s %s is stored with other content, which is kept (records are never replaced): %w", what, pk, ErrConflict)
}

// BindTag stores rc unless the tag is bound already (see Store).
func (d *Dir) BindTag(ctx context.Context, rc RunConfig) error {
	b, err := checkRunConfig(rc)
	if err != nil {
		return err
	}
	t := d.tables[runConfigKindName]
	return d.appendTo(ctx, t.log, t.apply(runConfigKindName), func() ([][]byte, error) {
		if old, ok := t.docs[rc.Tag]; ok {
			return nil, boundCheck(old, rc)
		}
		return [][]byte{b}, nil
	})
}

// TagConfig returns the configuration tag is bound to.
func (d *Dir) TagConfig(ctx context.Context, tag string) (RunConfig, error) {
	if err := d.refresh(ctx); err != nil {
		return RunConfig{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	b, ok := d.tables[runConfigKindName].docs[tag]
	if !ok {
		return RunConfig{}, fmt.Errorf("configuration of tag %q: %w", tag, ErrNotFound)
	}
	return decodeRunConfig(tag, b)
}
