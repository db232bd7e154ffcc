package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// onlyEntries fails unless dir holds exactly the names given (no temporary file left behind).
func onlyEntries(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("directory holds %q, want %q", got, want)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteFileReplacesContentAndSetsPerm(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	if err := WriteFile(path, []byte("old, and longer than the new content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, path); got != "new" {
		t.Fatalf("content %q, want %q", got, "new")
	}
	onlyEntries(t, dir, "a.json")
	if runtime.GOOS == "windows" {
		return
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Fatalf("perm %v, want 0640", st.Mode().Perm())
	}
}

func TestFailedFillLeavesOldFileAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.jsonl")
	if err := WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("encoder failed")
	for name, write := range map[string]func(string, os.FileMode, func(io.Writer) error) error{"Write": Write, "WriteNew": WriteNew} {
		err := write(path, 0o644, func(w io.Writer) error {
			io.WriteString(w, "half a line")
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("%s: error %v, want the fill error", name, err)
		}
		if got := readString(t, path); got != "old" {
			t.Fatalf("%s: content %q after a failed write, want the old content", name, got)
		}
		onlyEntries(t, dir, "a.jsonl")
	}
}

func TestFailedRenameRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A file cannot be renamed over a non-empty directory.
	if err := WriteFile(path, []byte("x"), 0o644); err == nil {
		t.Fatal("renaming a file over a non-empty directory succeeded")
	}
	onlyEntries(t, dir, "taken")
}

func TestMissingDirectoryIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := WriteFile(path, []byte("x"), 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want not-exist", err)
	}
}

func TestWriteNewRefusesExistingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := WriteNew(path, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "first"); return err }); err != nil {
		t.Fatal(err)
	}
	err := WriteNewFile(path, []byte("second"), 0o644)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew: error %v, want exist", err)
	}
	if want := "create " + path + ": file already exists"; err.Error() != want {
		t.Fatalf("error %q, want %q (naming the file in the way)", err, want)
	}
	if got := readString(t, path); got != "first" {
		t.Fatalf("content %q, want the first write kept", got)
	}
	onlyEntries(t, dir, "report.html")
}

func TestDirectoryIsSyncedAndItsFailureReported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	var synced []string
	saved := syncDir
	t.Cleanup(func() { syncDir = saved })
	syncDir = func(d string) error {
		synced = append(synced, d)
		return saved(d) // the real fsync must work on a temp directory
	}
	if err := WriteFile(path, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(filepath.Join(dir, "g"), 0o644, func(io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 2 || synced[0] != dir || synced[1] != dir {
		t.Fatalf("directories synced %q, want %q twice", synced, dir)
	}

	syncErr := errors.New("EIO")
	syncDir = func(string) error { return syncErr }
	err := WriteFile(path, []byte("b"), 0o644)
	if !errors.Is(err, syncErr) || !strings.Contains(err.Error(), "not durable") {
		t.Fatalf("error %v, want the directory fsync failure reported as not durable", err)
	}
	// The rename happened, so the new content is what a reader sees; no temp file remains.
	if got := readString(t, path); got != "b" {
		t.Fatalf("content %q, want %q", got, "b")
	}
	onlyEntries(t, dir, "f", "g")
}
