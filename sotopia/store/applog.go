package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// appendLog is one append-only JSONL file. Every append ends with fsync, so a line that append
// reported written survives a crash. Not safe for concurrent appends: the caller serialises them.
// Reads (readAt) may run concurrently with an append because they only touch bytes below size.
type appendLog struct {
	path string
	f    *os.File
	size int64
	// broken is sticky: after a failed write or fsync the file's tail is unknown, so further
	// appends are refused rather than risk interleaving with garbage (reopen to recover).
	broken error
}

// openLog replays path line by line, calling apply for each non-blank line with its offset. A
// damaged tail (an unterminated last line, or unparsable lines with no good line after them: what
// a crash mid-write leaves) is reported through warn and cut off, so later appends start on a
// clean line and no earlier line is lost. A damaged line followed by good ones is real corruption
// and an error naming file and line.
func openLog(path string, apply func(off int64, line []byte) error, warn func(string)) (*appendLog, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	good, err := replay(f, path, apply, warn)
	if err != nil {
		f.Close()
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() != good {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: cut damaged tail: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return &appendLog{path: path, f: f, size: good}, nil
}

// replay returns the offset just past the last good line.
func replay(f *os.File, path string, apply func(int64, []byte) error, warn func(string)) (int64, error) {
	r := bufio.NewReaderSize(f, 1<<20)
	var off, good int64
	var badLine int    // first damaged line not yet followed by a good one (0: none)
	var badErr error   // why it was damaged
	var badBytes int64 // bytes from the first damaged line to the end
	for lineNo := 1; ; lineNo++ {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		start := off
		off += int64(len(line))
		var lineErr error
		switch {
		case err == io.EOF: // no newline: the write never finished
			lineErr = errors.New("unterminated line")
		case len(bytes.TrimSpace(line)) == 0:
			if badLine == 0 {
				good = off
			}
			continue
		default:
			lineErr = apply(start, line[:len(line)-1])
			if lineErr == nil && badLine != 0 {
				return 0, fmt.Errorf("%s:%d: damaged record (%v) followed by good ones; fix or remove that line", path, badLine, badErr)
			}
		}
		if lineErr != nil {
			if badLine == 0 {
				badLine, badErr = lineNo, lineErr
			}
			badBytes = off - good
			continue
		}
		good = off
	}
	if badLine != 0 {
		warn(fmt.Sprintf("%s:%d: dropped a damaged last record (%d bytes: %v), probably from a crash mid-write; every earlier record is intact",
			path, badLine, badBytes, badErr))
	}
	return good, nil
}

// append writes the lines (each without its newline) and fsyncs once; it returns each line's
// offset. On failure the file is cut back to its previous size.
func (l *appendLog) append(lines ...[]byte) ([]int64, error) {
	if l.broken != nil {
		return nil, l.broken
	}
	var buf bytes.Buffer
	offs := make([]int64, len(lines))
	for i, line := range lines {
		if bytes.IndexByte(line, '\n') >= 0 {
			return nil, fmt.Errorf("%s: record contains a newline", l.path)
		}
		offs[i] = l.size + int64(buf.Len())
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		if terr := l.f.Truncate(l.size); terr != nil {
			l.broken = fmt.Errorf("%s: write failed (%v) and the partial record could not be removed (%v)", l.path, err, terr)
		}
		return nil, fmt.Errorf("%s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		l.broken = fmt.Errorf("%s: fsync failed, durability unknown: %w", l.path, err)
		return nil, l.broken
	}
	l.size += int64(buf.Len())
	return offs, nil
}

func (l *appendLog) readAt(off int64, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := l.f.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("%s at %d: %w", l.path, off, err)
	}
	return b, nil
}

// reset empties the log (the outbox does this once everything in it was delivered).
func (l *appendLog) reset() error {
	if l.broken != nil {
		return l.broken
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("%s: %w", l.path, err)
	}
	l.size = 0
	return nil
}

func (l *appendLog) close() error { return l.f.Close() }

// syncDir makes newly created files in dir durable (their directory entries).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
