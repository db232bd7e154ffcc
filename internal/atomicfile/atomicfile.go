// Package atomicfile writes files so that a reader (or a crash) sees either the old content or
// the whole new content, never a half-written file: the data goes to a temporary file in the same
// directory, is fsynced, then renamed (or hard-linked, for files that must never be replaced) into
// place, and the directory is fsynced so the new name survives a power loss.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data atomically; the file gets exactly perm (no umask).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write replaces path atomically with what fill writes (buffered). If fill or any step fails, the
// temporary file is removed and path is left as it was.
func Write(path string, perm os.FileMode, fill func(io.Writer) error) error {
	return write(path, perm, fill, false)
}

// WriteNew is Write for files that are never replaced: it fails with an error matching
// fs.ErrExist if path exists (checked atomically, by hard-linking the finished temporary file to
// path), and leaves the existing file untouched.
func WriteNew(path string, perm os.FileMode, fill func(io.Writer) error) error {
	return write(path, perm, fill, true)
}

// WriteNewFile is WriteNew with the content given.
func WriteNewFile(path string, data []byte, perm os.FileMode) error {
	return WriteNew(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// syncDir is a variable so tests can make the directory fsync fail.
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func write(path string, perm os.FileMode, fill func(io.Writer) error, noReplace bool) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	placed := false
	defer func() {
		if err != nil && !placed {
			f.Close() // may already be closed; the error that counts is err
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriter(f)
	if err = fill(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if noReplace {
		// A link fails if path exists, where a rename would silently replace it.
		if err = os.Link(tmp, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				// Name the file in the way, not the temporary one.
				err = &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
			}
			return err
		}
		placed = true
		os.Remove(tmp) // path holds the content now; a leftover name would only waste space
	} else {
		if err = os.Rename(tmp, path); err != nil {
			return err
		}
		placed = true
	}
	if serr := syncDir(dir); serr != nil {
		// The new content is in place, but its name may not survive a crash: say so.
		return fmt.Errorf("%s written but not durable: fsync %s: %w", path, dir, serr)
	}
	return nil
}
