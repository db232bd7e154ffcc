package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// appendLog is one append-only JSONL file, shared by every process that has the store open.
// Writers append only while holding the store's write lock (Dir.appendTo), each append ends with
// fsync, so a line that append reported written survives a crash. Anyone may read at any time:
// catchUp applies only complete records, so a reader never sees half of a write in progress.
type appendLog struct {
	path     string
	writable bool
	f        *os.File // nil while a read-only log's file does not exist yet
	// size is the offset just past the last applied record (and its newline when it has one).
	size int64
	// openTail: the last applied record parsed but has no newline (a writer stopped between the
	// two); the next append writes the newline first. The record itself is kept.
	openTail bool
	lines    int // lines consumed, for error messages
	// broken is sticky: after a failed write or fsync the file's tail is unknown, so further
	// appends are refused rather than risk interleaving with garbage (reopen to recover).
	broken error
}

// logTail is what follows the last complete record: nothing, a write in progress (for a reader),
// or what a crashed writer left (for a writer, who holds the lock, so no write is in progress).
type logTail struct {
	bytes int64
	line  int   // its first line number
	err   error // why it is not a record
}

func openLogFile(path string, writable bool) (*appendLog, error) {
	l := &appendLog{path: path, writable: writable}
	var err error
	if writable {
		l.f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	} else if l.f, err = os.Open(path); errors.Is(err, fs.ErrNotExist) {
		return l, nil // nothing of this kind yet; catchUp looks again
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// catchUp applies, in file order, every complete record written since the last call (by this or
// another process). A complete record is a line ending in a newline or a final line without one
// that apply accepts (a JSON object cannot parse before its last byte, so this is never half a
// write). What follows is returned as the tail and left unapplied. A damaged line followed by
// good ones is not what a crash leaves: that is an error naming file and line.
func (l *appendLog) catchUp(apply func(off int64, line []byte) error) (logTail, error) {
	if l.f == nil {
		f, err := os.Open(l.path)
		if errors.Is(err, fs.ErrNotExist) {
			return logTail{}, nil
		}
		if err != nil {
			return logTail{}, err
		}
		l.f = f
	}
	st, err := l.f.Stat()
	if err != nil {
		return logTail{}, fmt.Errorf("%s: %w", l.path, err)
	}
	end := st.Size()
	if end < l.size {
		return logTail{}, fmt.Errorf("%s shrank from %d to %d bytes while open: another program changed it; reopen the store", l.path, l.size, end)
	}
	pending := end - l.size
	if pending == 0 {
		// Nothing written since: every save and read checks, so no reader (a buffer of up to
		// 1 MiB, cleared on allocation) is made for nothing.
		return logTail{}, nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(l.f, l.size, pending), int(min(pending, 1<<20)))
	off := l.size
	var tail logTail
	for {
		line, rerr := r.ReadBytes('\n')
		if len(line) == 0 && rerr == io.EOF {
			break
		}
		if rerr != nil && rerr != io.EOF {
			return logTail{}, fmt.Errorf("%s: %w", l.path, rerr)
		}
		start := off
		off += int64(len(line))
		lineNo := l.lines + 1
		complete := rerr == nil
		body := line
		if complete {
			body = line[:len(line)-1]
		}
		var lineErr error
		switch {
		case len(bytes.TrimSpace(body)) == 0 && complete:
			if tail.err == nil {
				l.size, l.lines, l.openTail = off, lineNo, false
			}
			continue
		case len(bytes.TrimSpace(body)) == 0:
			lineErr = errors.New("unterminated line")
		default:
			lineErr = apply(start, body)
			if lineErr == nil && tail.err != nil {
				return logTail{}, fmt.Errorf("%s:%d: damaged record (%v) followed by good ones; fix or remove that line", l.path, tail.line, tail.err)
			}
		}
		if lineErr != nil {
			if tail.err == nil {
				tail = logTail{line: lineNo, err: lineErr}
			}
			continue
		}
		l.size, l.lines, l.openTail = off, lineNo, !complete
	}
	if tail.err != nil {
		tail.bytes = end - l.size
	}
	return tail, nil
}

// repair makes the file end on a clean line before an append: a tail that is not a record (a
// crashed writer's half line) is cut off and reported through warn; a final record without its
// newline is kept and gets it with the next append. Only a writer holding the lock calls this.
func (l *appendLog) repair(tail logTail, warn func(string)) error {
	if tail.bytes == 0 {
		return nil
	}
	if err := l.f.Truncate(l.size); err != nil {
		return fmt.Errorf("%s: cut damaged tail: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", l.path, err)
	}
	warn(fmt.Sprintf("%s:%d: dropped a damaged last record (%d bytes: %v), probably from a crash mid-write; every earlier record is intact",
		l.path, tail.line, tail.bytes, tail.err))
	return nil
}

// write appends the lines (each without its newline) and fsyncs once. The caller holds the write
// lock and has caught up and repaired, so the file ends at end (l.size, read under the caller's
// mutex), with a record lacking its newline if openTail; catchUp then applies the lines. On
// failure the file is cut back to end.
func (l *appendLog) write(end int64, openTail bool, lines ...[]byte) error {
	if l.broken != nil {
		return l.broken
	}
	if !l.writable {
		return fmt.Errorf("%s: store opened read-only", l.path)
	}
	var buf bytes.Buffer
	if openTail {
		buf.WriteByte('\n')
	}
	for _, line := range lines {
		if bytes.IndexByte(line, '\n') >= 0 {
			return fmt.Errorf("%s: record contains a newline", l.path)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		if terr := l.f.Truncate(end); terr != nil {
			l.broken = fmt.Errorf("%s: write failed (%v) and the partial record could not be removed (%v)", l.path, err, terr)
		}
		return fmt.Errorf("%s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		l.broken = fmt.Errorf("%s: fsync failed, durability unknown: %w", l.path, err)
		return l.broken
	}
	return nil
}

func (l *appendLog) readAt(off int64, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := l.f.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("%s at %d: %w", l.path, off, err)
	}
	return b, nil
}

func (l *appendLog) close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

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
