package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// FuzzStoreRecordReader feeds arbitrary bytes to the store's JSONL reader as an episode file, as
// a crash, a full disk or a hand edit can leave it. Whatever the bytes: no panic; a reader changes
// nothing and sees what a writer sees; a writer that opens the file can append, and a reopen finds
// every record it saw plus the new one, with nothing left to repair.
func FuzzStoreRecordReader(f *testing.F) {
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, content []byte) {
	{
		dir := t.TempDir()
		path := filepath.Join(dir, "EpisodeLog.jsonl")
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		r, rerr := store.OpenDirReadOnly(dir, quiet())
		var read store.Stats
		if rerr == nil {
			if read, rerr = r.Stats(ctx); rerr == nil {
				_, rerr = r.Episodes(ctx, store.Query{})
			}
			r.Close()
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, content) {
			t.Fatal("the read-only open changed the file")
		}
		w, werr := store.OpenDir(dir, quiet())
		if werr == nil {
			if _, werr = w.Episodes(ctx, store.Query{}); werr != nil {
				w.Close()
			}
		}
		if (rerr == nil) != (werr == nil) {
			t.Fatalf("reader error %v, writer error %v: they must agree on whether the file is readable", rerr, werr)
		}
		if werr != nil {
			return
		}
		defer w.Close()
		st, err := w.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st, read) {
			t.Fatalf("writer sees %+v, reader saw %+v", st, read)
		}
		if err := w.SaveEpisode(ctx, storetest.Episode("01JFUZZNEW", "fuzz", "E", "T", sotopia.StatusDone)); err != nil {
			t.Fatalf("append after opening: %v", err)
		}
		w.Close()
		again, err := store.OpenDir(dir, quiet())
		if err != nil {
			t.Fatalf("reopen after the append: %v", err)
		}
		defer again.Close()
		st2, err := again.Stats(ctx)
		if err != nil || st2.Episodes != st.Episodes+1 || len(again.Warnings()) != 0 {
			t.Fatalf("after the append: %+v (%v), warnings %q; want %d episodes and nothing to repair", st2, err, again.Warnings(), st.Episodes+1)
		}
	}
}

// FuzzImportJSONL feeds arbitrary bytes to the Sotopia episode JSONL reader behind `also db
// import`. No panic; what it accepts is storable, and exporting it and importing the export gives
// the same episodes back.
func FuzzImportJSONL(f *testing.F) {
	ds := sotopia.MustEmbedded()
	f.Fuzz(func(t *testing.T, content []byte) {
		eps, err := store.ImportJSONL(bytes.NewReader(content), ds)
		if err != nil || len(eps) == 0 {
			return
		}
		d, err := store.OpenDir(t.TempDir(), quiet())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		ctx := context.Background()
		for _, ep := range eps {
			if err := d.SaveEpisode(ctx, ep); err != nil && !errorsIsConflict(err) {
				t.Fatalf("an imported episode cannot be stored: %v", err)
			}
		}
		var out bytes.Buffer
		if err := store.ExportJSONL(&out, eps, ds); err != nil {
			t.Fatal(err)
		}
		back, err := store.ImportJSONL(&out, ds)
		if err != nil {
			t.Fatalf("re-import of the export: %v\n%s", err, out.String())
		}
		if len(back) != len(eps) {
			t.Fatalf("re-import gave %d episodes, want %d", len(back), len(eps))
		}
		for i := range eps {
			if !store.SameEpisode(back[i], eps[i]) {
				t.Fatalf("episode %s changed through export and import:\n got %+v\nwant %+v", eps[i].PK, back[i], eps[i])
			}
		}
	})
}

// errorsIsConflict: one file may repeat an id with other content; the store refuses the second.
func errorsIsConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
