package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// Import counts records by tag (written, already stored, repeated in the input), not lines; it
// refuses a run's tag and a conflicting id before anything is written.
func TestImportCountsRecordsAndRefusesBeforeWriting(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ep := func(pk, tag string) *sotopia.EpisodeLog {
		return storetest.Episode(pk, tag, "E", "T", sotopia.StatusDone)
	}
	first := []*sotopia.EpisodeLog{ep("01A", "a"), ep("01B", "a"), ep("01A", "a"), ep("01C", "b")}
	res, err := store.Import(ctx, st, first)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total() != 3 || res.Imported["a"] != 2 || res.Imported["b"] != 1 || res.Repeated["a"] != 1 || len(res.Stored) != 0 {
		t.Fatalf("first import: %+v, want a: 2 written and 1 repeat, b: 1", res)
	}
	res, err = store.Import(ctx, st, []*sotopia.EpisodeLog{ep("01A", "a"), ep("01D", "b")})
	if err != nil || res.Total() != 1 || res.Stored["a"] != 1 || res.Imported["b"] != 1 {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	if tags := res.Tags(); len(tags) != 2 || tags[0] != "a" || tags[1] != "b" {
		t.Fatalf("tags %v", tags)
	}

	count := func(tag string) int {
		eps, err := st.Episodes(ctx, store.Query{Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		return len(eps)
	}
	if err := st.BindTag(ctx, store.RunConfig{Tag: "run", Fingerprint: "feedbeef99", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, err = store.Import(ctx, st, []*sotopia.EpisodeLog{ep("01E", "c"), ep("01F", "run")})
	if !errors.Is(err, store.ErrRunTag) || count("c") != 0 || count("run") != 0 {
		t.Fatalf("import into a run's tag: %v; c holds %d, run %d; want ErrRunTag and nothing written", err, count("c"), count("run"))
	}
	changed := ep("01B", "a")
	changed.Error = "other content"
	_, err = store.Import(ctx, st, []*sotopia.EpisodeLog{ep("01G", "a"), changed})
	if !errors.Is(err, store.ErrConflict) || count("a") != 2 {
		t.Fatalf("import of a changed episode: %v; a holds %d, want ErrConflict and 2", err, count("a"))
	}
	// The tags' locks are released: another import goes through.
	if _, err := store.Import(ctx, st, []*sotopia.EpisodeLog{ep("01H", "a"), ep("01I", "c")}); err != nil {
		t.Fatalf("import after refusals: %v", err)
	}
}

// Nothing stored is replaced: a conflicting copy leaves the stored episode as it was, an id given
// twice with different content refuses the whole input, and an id stored under a run's tag is
// not overwritten by an input claiming it under a free tag.
func TestImportNeverReplacesAStoredEpisode(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ep := func(pk, tag string) *sotopia.EpisodeLog {
		return storetest.Episode(pk, tag, "E", "T", sotopia.StatusDone)
	}
	if _, err := store.Import(ctx, st, []*sotopia.EpisodeLog{ep("01A", "a")}); err != nil {
		t.Fatal(err)
	}
	if err := st.BindTag(ctx, store.RunConfig{Tag: "run", Fingerprint: "feedbeef99", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveEpisode(ctx, ep("01R", "run")); err != nil {
		t.Fatal(err)
	}
	changed := ep("01A", "a")
	changed.Error = "other content"
	twiceA, twiceB := ep("01N", "a"), ep("01N", "a")
	twiceB.Error = "other content"
	claimed := ep("01R", "free")
	for name, input := range map[string][]*sotopia.EpisodeLog{
		"changed copy":        {ep("01M", "a"), changed},
		"twice, two contents": {twiceA, twiceB},
		"run's id, free tag":  {ep("01M", "free"), claimed},
	} {
		if _, err := store.Import(ctx, st, input); !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
		}
	}
	for pk, tag := range map[string]string{"01A": "a", "01R": "run"} {
		got, err := st.Episode(ctx, pk)
		if err != nil || got.Tag != tag || got.Error != "" {
			t.Errorf("episode %s after refused imports: %+v, %v; want it unchanged under %s", pk, got, err, tag)
		}
	}
	for _, pk := range []string{"01M", "01N"} {
		if _, err := st.Episode(ctx, pk); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("episode %s of a refused import: %v, want it not written", pk, err)
		}
	}
}
