// Package textdiff reports where two long texts (rendered prompts and their golden copies)
// first differ, which is what one needs to fix wording.
package textdiff

import (
	"fmt"
	"testing"
)

// Mismatch is nil when got equals want; otherwise it names what, the first differing byte and
// the 80 bytes either side of it in both texts.
func Mismatch(what, got, want string) error {
	if got == want {
		return nil
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-80)
	return fmt.Errorf("%s differs at byte %d (len got %d, want %d)\n got: %q\nwant: %q", what, i, len(got), len(want),
		got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
}

// Require fails t with Mismatch's report when got differs from want.
func Require(t testing.TB, what, got, want string) {
	t.Helper()
	if err := Mismatch(what, got, want); err != nil {
		t.Fatal(err)
	}
}
