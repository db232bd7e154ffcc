//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Locks are flocks: the kernel drops them when the process dies, so a crash never leaves a stale
// lock behind. flock locks belong to the open file, so two opens in one process exclude each
// other too.

// tryLockFile takes an exclusive lock on path (created if needed) without waiting. held reports
// that someone else has it.
func tryLockFile(path string) (f *os.File, held bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, false, nil
}

// unlockFile releases the lock; the file stays (removing it would race with a waiting locker).
func unlockFile(f *os.File) error { return f.Close() }
