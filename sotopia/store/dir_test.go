package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

func quiet() store.DirOption { return store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))) }

func openDir(t *testing.T, dir string) *store.Dir {
	t.Helper()
	d, err := store.OpenDir(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirContract(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Store { return openDir(t, t.TempDir()) },
		Reopen: func(t *testing.T, s store.Store) store.Store {
			d := s.(*store.Dir)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			return openDir(t, d.Path())
		},
	})
}

func saveN(t *testing.T, s store.Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := s.SaveEpisode(context.Background(), storetest.Episode(fmt.Sprintf("01JT%03d", i), "t", "E", "T", sotopia.StatusDone)); err != nil {
			t.Fatal(err)
		}
	}
}

// A crash mid-write leaves a partial last line: it is dropped with a warning, every earlier
// record survives, and the next append starts on a clean line.
func TestDirTornLastLine(t *testing.T) {
	for name, tail := range map[string]string{
		"unterminated": `{"pk":"01JTORN","environment":"E","ag`,
		"zero-filled":  "\x00\x00\x00\x00\n\x00\x00",
		"bad json":     "{\"pk\": \"01JTORN\", oops}\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			d := openDir(t, dir)
			saveN(t, d, 3)
			d.Close()
			path := filepath.Join(dir, "EpisodeLog.jsonl")
			good, _ := os.ReadFile(path)
			appendFile(t, path, tail)

			var logged bytes.Buffer
			d, err := store.OpenDir(dir, store.WithLogger(slog.New(slog.NewTextHandler(&logged, nil))))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if w := d.Warnings(); len(w) != 1 || !strings.Contains(w[0], "EpisodeLog.jsonl:4") {
				t.Fatalf("warnings = %q, want one naming EpisodeLog.jsonl:4", w)
			}
			if !strings.Contains(logged.String(), "level=WARN") {
				t.Fatalf("no warning logged: %q", logged.String())
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, good) {
				t.Fatalf("damaged tail not cut back to the last good record")
			}
			eps, err := d.Episodes(context.Background(), store.Query{})
			if err != nil || len(eps) != 3 {
				t.Fatalf("after recovery: %d episodes, %v; want 3", len(eps), err)
			}
			saveN(t, d, 5) // re-saves 0..2, adds 3..4
			d.Close()
			d = openDir(t, dir)
			if st, _ := d.Stats(context.Background()); st.Episodes != 5 || len(d.Warnings()) != 0 {
				t.Fatalf("after appending past a recovered tail: %+v, warnings %q", st, d.Warnings())
			}
		})
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// Damage followed by good records is not a crash artefact: refuse to guess, name the line.
func TestDirCorruptMiddleLine(t *testing.T) {
	dir := t.TempDir()
	d := openDir(t, dir)
	saveN(t, d, 2)
	d.Close()
	path := filepath.Join(dir, "EpisodeLog.jsonl")
	b, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(b), "\n")
	os.WriteFile(path, []byte(lines[0]+"garbage\n"+lines[1]), 0o644)
	_, err := store.OpenDir(dir, quiet())
	if err == nil || !strings.Contains(err.Error(), "EpisodeLog.jsonl:2") {
		t.Fatalf("err = %v, want one naming EpisodeLog.jsonl:2", err)
	}
}

// Two writers on one directory (two runs with different tags) each see the other's records.
func TestDirTwoWritersInProcess(t *testing.T) {
	dir := t.TempDir()
	a, b := openDir(t, dir), openDir(t, dir)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := a.SaveEpisode(ctx, storetest.Episode(fmt.Sprintf("01JA%03d", i), "a", "E", "T", sotopia.StatusDone)); err != nil {
			t.Fatal(err)
		}
		if err := b.SaveEpisode(ctx, storetest.Episode(fmt.Sprintf("01JB%03d", i), "b", "E", "T", sotopia.StatusDone)); err != nil {
			t.Fatal(err)
		}
	}
	// b learns of a's record before deciding: other content under a's pk is refused.
	if err := b.SaveEpisode(ctx, storetest.Episode("01JA000", "b", "E", "T", sotopia.StatusDone)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second writer saving over the first's pk: %v, want ErrConflict", err)
	}
	for name, d := range map[string]*store.Dir{"a": a, "b": b} {
		st, err := d.Stats(ctx)
		if err != nil || st.Episodes != 10 || st.ByTag["a"].Episodes != 5 || st.ByTag["b"].Episodes != 5 {
			t.Fatalf("writer %s sees %+v, %v; want 5 per tag", name, st, err)
		}
	}
	if err := b.LoadDataset(ctx, sotopia.MustEmbedded()); err != nil {
		t.Fatal(err)
	}
	if agents, err := a.Agents(ctx); err != nil || len(agents) == 0 {
		t.Fatalf("writer a does not see b's dataset load: %d agents, %v", len(agents), err)
	}
	d := openDir(t, dir)
	defer d.Close()
	if st, _ := d.Stats(ctx); st.Episodes != 10 || len(d.Warnings()) != 0 {
		t.Fatalf("reopened: %+v, warnings %q", st, d.Warnings())
	}
}

// The helper child process for the multi-process tests: it opens the store named by
// STORE_CHILD_DIR and then either holds it (STORE_CHILD_MODE=hold) or saves episodes forever,
// printing each pk once SaveEpisode has returned (mode=write), until killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("STORE_CHILD_DIR"); dir != "" {
		os.Exit(child(dir, os.Getenv("STORE_CHILD_MODE")))
	}
	os.Exit(m.Run())
}

func child(dir, mode string) int {
	d, err := store.OpenDir(dir, store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if mode == "hold" {
		if _, err := d.LockTag(context.Background(), "held"); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin) // until the parent closes stdin or kills us
		return 0
	}
	fmt.Println("ready")
	for i := 0; ; i++ {
		ep := storetest.Episode(fmt.Sprintf("01JK%06d", i), "kill", "E", "T", sotopia.StatusDone)
		ep.Reasoning = strings.Repeat("long reasoning ", 2000) // ~30 KB per record: wider write window
		if err := d.SaveEpisode(context.Background(), ep); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println(ep.PK)
	}
}

func startChild(t *testing.T, dir, mode string) (*exec.Cmd, *lineReader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STORE_CHILD_DIR="+dir, "STORE_CHILD_MODE="+mode)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	lr := newLineReader(stdout)
	if l, ok := lr.next(10 * time.Second); !ok || l != "ready" {
		t.Fatalf("child did not start: %q", l)
	}
	return cmd, lr
}

// A writer in another process holds its tag: the same tag is refused at once naming that process
// and the tag, other tags and the store itself stay usable, and the lock dies with the process.
func TestDirTagLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd, _ := startChild(t, dir, "hold")
	d := openDir(t, dir)
	defer d.Close()
	ctx := context.Background()
	_, err := d.LockTag(ctx, "held")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) || !strings.Contains(err.Error(), "held") {
		t.Fatalf("LockTag of a tag another process writes: %v; want an error naming pid %d and the tag", err, cmd.Process.Pid)
	}
	release, err := d.LockTag(ctx, "mine")
	if err != nil {
		t.Fatalf("LockTag of another tag: %v", err)
	}
	saveN(t, d, 2)
	release()
	cmd.Process.Kill() // a dead holder's lock goes with it
	cmd.Wait()
	release, err = d.LockTag(ctx, "held")
	if err != nil {
		t.Fatalf("LockTag after the holder died: %v", err)
	}
	release()
}

// SIGKILL a writer mid-stream: every episode whose SaveEpisode had returned is there after reopen.
func TestDirSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	cmd, lr := startChild(t, dir, "write")
	var acked []string
	for len(acked) < 20 {
		l, ok := lr.next(10 * time.Second)
		if !ok || strings.HasPrefix(l, "error") {
			t.Fatalf("writer stopped: %q", l)
		}
		acked = append(acked, l)
	}
	cmd.Process.Kill()
	cmd.Wait()
	d := openDir(t, dir)
	defer d.Close()
	for _, pk := range acked {
		if _, err := d.Episode(context.Background(), pk); err != nil {
			t.Fatalf("acknowledged episode %s lost after SIGKILL: %v", pk, err)
		}
	}
	t.Logf("%d acknowledged episodes intact; recovery warnings: %d", len(acked), len(d.Warnings()))
}
