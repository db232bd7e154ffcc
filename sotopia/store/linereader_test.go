package store_test

import (
	"bufio"
	"io"
	"time"
)

// lineReader reads a child's output lines with a timeout.
type lineReader struct{ lines chan string }

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lr.lines <- sc.Text()
		}
		close(lr.lines)
	}()
	return lr
}

func (lr *lineReader) next(timeout time.Duration) (string, bool) {
	select {
	case l, ok := <-lr.lines:
		return l, ok
	case <-time.After(timeout):
		return "", false
	}
}
