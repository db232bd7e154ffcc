package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A seat agent counts in the run identity; a script by its text (editing it changes the tag,
// moving it does not); llm is the default.
func TestSeatAgentIdentity(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, moved, edited := write("a.script", "* speak No.\n"), write("b.script", "* speak No.\n"), write("c.script", "* speak Yes.\n")
	id := func(p2 string) string {
		r := DefaultRun()
		r.P2Agent = p2
		if err := r.Validate(); err != nil {
			t.Fatal(err)
		}
		got, err := r.Identity()
		if err != nil {
			t.Fatal(err)
		}
		return got.Fingerprint
	}
	if id("") != id("llm") {
		t.Error("p2_agent = llm changed the identity of the default")
	}
	if id("") == id("scripted:refuser") || id("scripted:refuser") == id("scripted:staller") {
		t.Error("scripted agents do not count in the identity")
	}
	if id("script:"+a) != id("script:"+moved) {
		t.Error("moving a script changed the identity")
	}
	if id("script:"+a) == id("script:"+edited) {
		t.Error("editing a script kept the identity")
	}
	r := DefaultRun()
	r.P1Agent = "scripted:grumpy"
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "p1_agent") {
		t.Errorf("bad p1_agent: %v", err)
	}
}
