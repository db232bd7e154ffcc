package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Two locks keep writers apart without shutting readers out (readers take none):
//   - LOCK is held only for the length of one append (a few ms: write and fsync), so any number of
//     processes can write the store, one record batch at a time;
//   - locks/<tag>.lock is held by the one writer of a tag (a run, an import) for as long as it
//     writes, so the same tag is never written by two processes at once.

// writeLockWait bounds the wait for another process's append. An append takes milliseconds; a
// longer wait means an older also that held LOCK for its whole run.
var writeLockWait = time.Minute

func (d *Dir) lockWrites(ctx context.Context) (func(), error) {
	path := filepath.Join(d.path, "LOCK")
	deadline := time.Now().Add(writeLockWait)
	delay := time.Millisecond
	for {
		f, held, err := tryLockFile(path)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", d.path, err)
		}
		if !held {
			return func() { unlockFile(f) }, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("store %s: its write lock %s has been held for over %s (by %s; an older also holds it for a whole run): stop that process or upgrade it",
				d.path, path, writeLockWait, holderOf(path))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 20*time.Millisecond)
	}
}

func holderOf(path string) string {
	b, _ := os.ReadFile(path)
	pid := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(strings.TrimSpace(string(b)), "\n", 2)[0], "pid "))
	switch pid {
	case "":
		return "an unknown process"
	case strconv.Itoa(os.Getpid()):
		return "pid " + pid + ", this process"
	}
	return "pid " + pid
}

// tagLockName is a file name for tag: readable, and unique thanks to the hash.
func tagLockName(tag string) string {
	safe := []byte(tag)
	for i, c := range safe {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			safe[i] = '_'
		}
	}
	if len(safe) > 48 {
		safe = safe[:48]
	}
	h := sha256.Sum256([]byte(tag))
	return string(safe) + "-" + hex.EncodeToString(h[:4]) + ".lock"
}

// LockTag makes this process the only writer of tag until release is called (or the process
// ends). A tag held elsewhere, in this process included, fails at once naming the holder.
func (d *Dir) LockTag(ctx context.Context, tag string) (release func(), err error) {
	if err := d.checkWritable(ctx); err != nil {
		return nil, err
	}
	if tag == "" {
		return nil, fmt.Errorf("lock tag: empty tag")
	}
	dir := filepath.Join(d.path, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock tag %s: %w", tag, err)
	}
	path := filepath.Join(dir, tagLockName(tag))
	f, held, err := tryLockFile(path)
	if err != nil {
		return nil, fmt.Errorf("lock tag %s: %w", tag, err)
	}
	if held {
		return nil, fmt.Errorf("tag %s is being written by another run (%s, lock %s): one writer per tag at a time; wait for it to finish or use another --tag",
			tag, holderOf(path), path)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\ntag "+tag+"\n"), 0)
	}
	var once sync.Once
	return func() { once.Do(func() { unlockFile(f) }) }, nil
}
