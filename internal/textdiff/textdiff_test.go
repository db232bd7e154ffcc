package textdiff

import (
	"strings"
	"testing"
)

func TestMismatch(t *testing.T) {
	if err := Mismatch("same", "abc", "abc"); err != nil {
		t.Fatalf("equal texts: %v", err)
	}
	for _, c := range []struct{ got, want, at string }{
		{"abcX", "abcY", "at byte 3 (len got 4, want 4)"},
		{"abc", "abcdef", "at byte 3 (len got 3, want 6)"},
		{"", "x", "at byte 0 (len got 0, want 1)"},
	} {
		err := Mismatch("prompt", c.got, c.want)
		if err == nil || !strings.Contains(err.Error(), "prompt differs "+c.at) {
			t.Errorf("Mismatch(%q, %q) = %v, want %q", c.got, c.want, err, c.at)
		}
	}
}
