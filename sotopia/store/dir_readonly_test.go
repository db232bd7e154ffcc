package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

func TestOpenDirReadOnlyMissingPathCreatesNothing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo", "store")
	_, err := store.OpenDirReadOnly(missing, quiet())
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("read-only open of a missing path: %v; want ErrNotFound naming it", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open created something: %v", err)
	}
	empty := t.TempDir()
	if _, err := store.OpenDirReadOnly(empty, quiet()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read-only open of a directory without a store: %v; want ErrNotFound", err)
	}
	if names, _ := os.ReadDir(empty); len(names) != 0 {
		t.Fatalf("read-only open wrote into %s: %v", empty, names)
	}
}

// snapshot is every file under dir with its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		} else if err == nil {
			out[p+"/"] = ""
		}
		return nil
	})
	return out
}

// A reader changes nothing: not a damaged tail (it skips it), not a lock, not a missing file.
func TestReadOnlyNeverWrites(t *testing.T) {
	dir := t.TempDir()
	d := openDir(t, dir)
	saveN(t, d, 3)
	d.Close()
	os.Remove(filepath.Join(dir, "RunConfig.jsonl")) // as in a store made before tag bindings
	appendFile(t, filepath.Join(dir, "EpisodeLog.jsonl"), `{"pk":"01JTORN","environment":"E","ag`)
	before := snapshot(t, dir)
	r, err := store.OpenDirReadOnly(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if st, err := r.Stats(ctx); err != nil || st.Episodes != 3 {
		t.Fatalf("reader stats %+v, %v; want the 3 complete episodes", st, err)
	}
	if _, err := r.TagConfig(ctx, "t"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TagConfig on a store without bindings: %v", err)
	}
	if err := r.SaveEpisode(ctx, storetest.Episode("01JNEW", "t", "E", "T", sotopia.StatusDone)); err == nil {
		t.Fatal("a read-only store saved an episode")
	}
	if _, err := r.LockTag(ctx, "t"); err == nil {
		t.Fatal("a read-only store took a tag lock")
	}
	r.Close()
	after := snapshot(t, dir)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("a reader changed the store:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestReadOnlyWorksOnReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	dir := t.TempDir()
	d := openDir(t, dir)
	saveN(t, d, 2)
	d.Close()
	filepath.WalkDir(dir, func(p string, e os.DirEntry, _ error) error {
		if e.IsDir() {
			return os.Chmod(p, 0o555)
		}
		return os.Chmod(p, 0o444)
	})
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	r, err := store.OpenDirReadOnly(dir, quiet())
	if err != nil {
		t.Fatalf("read-only open of a read-only store: %v", err)
	}
	defer r.Close()
	if st, err := r.Stats(context.Background()); err != nil || st.Episodes != 2 {
		t.Fatalf("stats %+v, %v", st, err)
	}
}

// A final record that parses but lacks its newline (a writer stopped between the two) is a
// record: readers count it, a writer keeps it (no warning) and writes the newline before its own.
func TestFinalRecordWithoutNewlineIsKept(t *testing.T) {
	dir := t.TempDir()
	d := openDir(t, dir)
	saveN(t, d, 3)
	d.Close()
	path := filepath.Join(dir, "EpisodeLog.jsonl")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.TrimSuffix(b, []byte("\n")), 0o644)
	ctx := context.Background()

	r, err := store.OpenDirReadOnly(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Stats(ctx); st.Episodes != 3 {
		t.Fatalf("reader sees %d episodes, want 3", st.Episodes)
	}
	w := openDir(t, dir)
	if st, _ := w.Stats(ctx); st.Episodes != 3 || len(w.Warnings()) != 0 {
		t.Fatalf("writer sees %d episodes with warnings %q; want 3 and none", st.Episodes, w.Warnings())
	}
	if err := w.SaveEpisode(ctx, storetest.Episode("01JT003", "t", "E", "T", sotopia.StatusDone)); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Stats(ctx); st.Episodes != 4 { // the open reader catches up
		t.Fatalf("reader after the append sees %d, want 4", st.Episodes)
	}
	w.Close()
	r.Close()
	now, _ := os.ReadFile(path)
	if !bytes.HasPrefix(now, b) || bytes.Count(now, []byte("\n")) != 4 {
		t.Fatalf("file after the append: the kept record did not get its newline:\n%s", now)
	}
}

// A run writes in another process while readers read: every read succeeds and sees only
// complete records, counts never go back, and a writer of another tag works alongside.
func TestReadersAndAnotherWriterWhileAProcessWrites(t *testing.T) {
	dir := t.TempDir()
	openDir(t, dir).Close()
	cmd, lr := startChild(t, dir, "write")
	ctx := context.Background()
	r, err := store.OpenDirReadOnly(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w := openDir(t, dir)
	defer w.Close()
	last, reads := 0, 0
	deadline := time.Now().Add(1500 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := w.SaveEpisode(ctx, storetest.Episode(fmt.Sprintf("01JW%04d", i), "other", "E", "T", sotopia.StatusDone)); err != nil {
			t.Fatalf("second writer: %v", err)
		}
		eps, err := r.Episodes(ctx, store.Query{Tag: "kill"})
		if err != nil {
			t.Fatalf("reader while a run writes: %v", err)
		}
		if len(eps) < last {
			t.Fatalf("reader went back from %d to %d episodes", last, len(eps))
		}
		last = len(eps)
		fresh, err := store.OpenDirReadOnly(dir, quiet())
		if err != nil {
			t.Fatalf("opening a reader while a run writes: %v", err)
		}
		fresh.Close()
		reads++
	}
	cmd.Process.Kill()
	cmd.Wait()
	var acked int
	for {
		l, ok := lr.next(100 * time.Millisecond)
		if !ok {
			break
		}
		if strings.HasPrefix(l, "01JK") {
			acked++
		}
	}
	if last == 0 || acked == 0 {
		t.Fatalf("the writer made no progress (reader saw %d, writer acked %d)", last, acked)
	}
	st, err := w.Stats(ctx)
	if err != nil || st.ByTag["kill"].Episodes < acked {
		t.Fatalf("after the run: %+v, %v; want at least the %d acknowledged", st, err, acked)
	}
	t.Logf("%d reads while the run wrote %d episodes; the reader last saw %d", reads, acked, last)
}
