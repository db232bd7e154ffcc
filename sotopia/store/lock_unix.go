//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDir takes an exclusive flock on dir/LOCK and writes our pid into it. The kernel drops the
// lock when the process dies, so a crash never leaves a stale lock behind. flock locks belong to
// the open file, so a second OpenDir of the same directory in this process is refused too.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock store: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, lockedError(dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("lock store %s: %w", dir, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock store: %w", err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock store: %w", err)
	}
	return f, nil
}

func unlockDir(f *os.File) error {
	// Closing the file releases the flock; the pid is left as a harmless hint.
	return f.Close()
}

func lockedError(dir, pid string) error {
	if pid == "" {
		pid = "unknown"
	}
	if pid == strconv.Itoa(os.Getpid()) {
		return fmt.Errorf("store %s is already open in this process (pid %s); open it once and share it", dir, pid)
	}
	return fmt.Errorf("store %s is locked by another process (pid %s); stop it or use another directory", dir, pid)
}
