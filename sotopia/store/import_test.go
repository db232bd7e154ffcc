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
