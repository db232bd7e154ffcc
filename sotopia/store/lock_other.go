//go:build !unix

package store

import (
	"errors"
	"os"
)

// Without flock a lock is a file created exclusively. A crash leaves it behind: the errors that
// report a held lock name the file, so the user can check the holder is gone and delete it.

func tryLockFile(path string) (f *os.File, held bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, true, nil
	}
	return f, false, err
}

func unlockFile(f *os.File) error {
	name := f.Name()
	if err := f.Close(); err != nil {
		return err
	}
	return os.Remove(name)
}
