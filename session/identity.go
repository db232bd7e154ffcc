package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// tagStore is the part of a store that pins a tag to one configuration and admits one writer
// per tag (every store of the project implements it).
type tagStore interface {
	BindTag(ctx context.Context, rc store.RunConfig) error
	TagConfig(ctx context.Context, tag string) (store.RunConfig, error)
	LockTag(ctx context.Context, tag string) (release func(), err error)
}

// claimTag makes this run the tag's only writer and checks that the tag's episodes and this
// run's are one experiment: a tag bound to another configuration is refused with the settings
// that differ; a tag holding episodes of unknown configuration (imported, or written before tags
// were bound) is refused; a fresh run (no --resume) may not replay tasks the tag already holds.
// An unbound tag is bound to this run's identity. release frees the writer lock.
func claimTag(ctx context.Context, st store.Store, cfg config.Run, id config.Identity, tasks []sotopia.Task) (release func(), err error) {
	ts, ok := st.(tagStore)
	if !ok {
		return nil, fmt.Errorf("store %T cannot bind tags to configurations", st)
	}
	unlock, err := ts.LockTag(ctx, cfg.Tag)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	bound, err := ts.TagConfig(ctx, cfg.Tag)
	switch {
	case err == nil:
		if !id.Binds(bound.Fingerprint) {
			return nil, refuse(boundElsewhere(bound, id))
		}
	case errors.Is(err, store.ErrNotFound):
		stored, err := st.Episodes(ctx, store.Query{Tag: cfg.Tag})
		if err != nil {
			return nil, err
		}
		if len(stored) > 0 {
			return nil, refuse(fmt.Errorf("tag %s holds %d episodes with no recorded configuration (imported with `also db import`, "+
				"or written by an older also): a run cannot add to them; choose another --tag", cfg.Tag, len(stored)))
		}
		rc := store.RunConfig{Tag: cfg.Tag, Fingerprint: id.Fingerprint, Config: id.Config, Created: time.Now().UTC()}
		if err := ts.BindTag(ctx, rc); err != nil {
			var tb *store.TagBoundError
			switch {
			case !errors.As(err, &tb):
				return nil, err
			case !id.Binds(tb.Existing.Fingerprint):
				return nil, refuse(boundElsewhere(tb.Existing, id))
			} // bound meanwhile to this configuration's legacy fingerprint: the same experiment
		}
	default:
		return nil, err
	}
	if !cfg.Resume {
		if err := refuseReplays(ctx, st, cfg.Tag, tasks); err != nil {
			return nil, err
		}
	}
	return unlock, nil
}

// boundElsewhere explains a refused tag: its fingerprint and every setting that differs.
func boundElsewhere(bound store.RunConfig, id config.Identity) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tag %s belongs to another configuration (fingerprint %.8s, this run %.8s); the settings that differ (tag -> this run):",
		bound.Tag, bound.Fingerprint, id.Fingerprint)
	diffs, err := config.ConfigDiff(bound.Config, id.Config)
	if err != nil {
		fmt.Fprintf(&b, " (the stored configuration cannot be read: %v)", err)
	}
	for _, d := range diffs {
		b.WriteString("\n  " + d)
	}
	b.WriteString("\nrun with the tag's settings, or under another --tag (without --tag, the derived tag carries the fingerprint)")
	return errors.New(b.String())
}

// refuseReplays stops a fresh run from playing tasks its tag already holds: their attempts would
// get the ids of the stored ones, and a stored result is never replaced.
func refuseReplays(ctx context.Context, st store.Store, tag string, tasks []sotopia.Task) error {
	stored, err := st.Episodes(ctx, store.Query{Tag: tag})
	if err != nil {
		return err
	}
	held := map[string]bool{}
	for _, ep := range stored {
		held[ep.TaskID] = true
	}
	var overlap []string
	for _, t := range tasks {
		if held[t.PK] {
			overlap = append(overlap, t.PK)
		}
	}
	if len(overlap) == 0 {
		return nil
	}
	return refuse(fmt.Errorf("tag %s already holds episodes of %d of the %d tasks this run would play (first: %s): "+
		"--resume runs only the tasks not done yet; another --tag starts afresh", tag, len(overlap), len(tasks), overlap[0]))
}
