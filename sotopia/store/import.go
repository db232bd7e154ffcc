package store

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/also-project/also/sotopia"
)

// ErrRunTag is an import refused because a tag holds the episodes of a run: every episode under a
// bound tag was played with its configuration, and imported ones were not.
var ErrRunTag = errors.New("tag holds the episodes of a run")

// ImportResult counts an import by tag, in records (episodes), not input lines.
type ImportResult struct {
	Imported map[string]int // episodes written
	Stored   map[string]int // episodes the store already held with the same content
	Repeated map[string]int // further copies of an episode earlier in the input
}

// Tags lists every tag of the import, sorted.
func (r ImportResult) Tags() []string {
	seen := map[string]bool{}
	var tags []string
	for _, m := range []map[string]int{r.Imported, r.Stored, r.Repeated} {
		for t := range m {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
	}
	sort.Strings(tags)
	return tags
}

// Total is the number of episodes written.
func (r ImportResult) Total() int {
	n := 0
	for _, c := range r.Imported {
		n += c
	}
	return n
}

// Import writes the episodes the store lacks. Every tag involved is locked against other writers
// for the whole import; before anything is written it refuses a tag bound to a run's
// configuration (ErrRunTag) and an id stored, or repeated in eps, with other content
// (ErrConflict): an import never replaces anything, nor writes half of itself on such errors.
func Import(ctx context.Context, st Store, eps []*sotopia.EpisodeLog) (ImportResult, error) {
	res := ImportResult{Imported: map[string]int{}, Stored: map[string]int{}, Repeated: map[string]int{}}
	var tags []string
	seenTag := map[string]bool{}
	for _, ep := range eps {
		if !seenTag[ep.Tag] {
			seenTag[ep.Tag] = true
			tags = append(tags, ep.Tag)
		}
	}
	sort.Strings(tags) // one lock order for every importer
	for _, t := range tags {
		release, err := st.LockTag(ctx, t)
		if err != nil {
			return res, err
		}
		defer release()
		rc, err := st.TagConfig(ctx, t)
		switch {
		case err == nil:
			return res, fmt.Errorf("tag %s (configuration %.8s): %w; import under another tag", shownTag(t), rc.Fingerprint, ErrRunTag)
		case !errors.Is(err, ErrNotFound):
			return res, err
		}
	}
	fresh, err := NewEpisodes(ctx, st, eps)
	if err != nil {
		return res, err
	}
	isFresh := map[*sotopia.EpisodeLog]bool{}
	for _, ep := range fresh {
		isFresh[ep] = true
	}
	counted := map[string]bool{}
	for _, ep := range eps {
		switch {
		case isFresh[ep]:
			// counted once it is written
		case counted[ep.PK]:
			res.Repeated[ep.Tag]++
		default:
			res.Stored[ep.Tag]++
		}
		counted[ep.PK] = true
	}
	for _, ep := range fresh {
		if err := st.SaveEpisode(ctx, ep); err != nil {
			return res, err
		}
		res.Imported[ep.Tag]++
	}
	return res, nil
}
