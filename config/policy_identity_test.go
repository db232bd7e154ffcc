package config

import (
	"os"
	"path/filepath"
	"testing"
)

// --policy-in counts in the run identity by its checkpoints' content: the same state from
// another folder is the same run, another state is not; --policy-out does not count.
func TestPolicyInIdentityIsTheCheckpointContent(t *testing.T) {
	write := func(dir, text string) string {
		d := filepath.Join(t.TempDir(), dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, PolicyCheckpointFile(0)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, moved, other := write("a", `{"state": 1}`), write("b", `{"state": 1}`), write("c", `{"state": 2}`)
	id := func(in string, freeze bool, out string) string {
		r := DefaultRun()
		r.PolicyIn, r.PolicyFreeze, r.PolicyOut = in, freeze, out
		got, err := r.Identity()
		if err != nil {
			t.Fatal(err)
		}
		return got.Fingerprint
	}
	if id(a, false, "") != id(moved, false, "") {
		t.Error("moving the checkpoints changed the identity")
	}
	if id(a, false, "") == id(other, false, "") || id("", false, "") == id(a, false, "") {
		t.Error("another starting state kept the identity")
	}
	if id(a, false, "") == id(a, true, "") {
		t.Error("freezing kept the identity")
	}
	if id("", false, "") != id("", false, t.TempDir()) {
		t.Error("policy_out changed the identity")
	}
}
