package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// The embedded store's costs that the README's storage section and the closing notes quote:
// one durable save (fsync-bound), an identical re-save (a no-op by the no-overwrite rule) and a
// read-only open plus stats over 1,000 episodes (what `also db stats` does while a run writes).
// go test -run '^$' -bench . ./sotopia/store

func BenchmarkDirSaveEpisode(b *testing.B) {
	d, err := store.OpenDir(b.TempDir(), quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		ep := storetest.Episode(fmt.Sprintf("ep%d", i), "bench", "env", "task", sotopia.StatusDone)
		if err := d.SaveEpisode(ctx, ep); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDirResaveIdentical(b *testing.B) {
	d, err := store.OpenDir(b.TempDir(), quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	ep := storetest.Episode("ep", "bench", "env", "task", sotopia.StatusDone)
	if err := d.SaveEpisode(ctx, ep); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := d.SaveEpisode(ctx, ep); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenReadOnlyStats1000(b *testing.B) {
	dir := b.TempDir()
	d, err := store.OpenDir(dir, quiet())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range 1000 {
		ep := storetest.Episode(fmt.Sprintf("ep%d", i), fmt.Sprintf("tag%d", i%10), "env", "task", sotopia.StatusDone)
		if err := d.SaveEpisode(ctx, ep); err != nil {
			b.Fatal(err)
		}
	}
	d.Close()
	b.ResetTimer()
	for range b.N {
		r, err := store.OpenDirReadOnly(dir, quiet())
		if err != nil {
			b.Fatal(err)
		}
		if s, err := r.Stats(ctx); err != nil || s.Episodes != 1000 {
			b.Fatalf("stats %+v, %v", s, err)
		}
		r.Close()
	}
}
