package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The production binary must not link package testing (it registers test flags and pulls test
// helpers into the binary); test-only helpers such as llm/llmtest stay out of its imports.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	out, err := exec.Command(gotool, "list", "-deps", ".").Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps returned %d packages; expected the whole dependency tree:\n%s", len(deps), out)
	}
	for _, dep := range deps {
		if dep == "testing" {
			t.Fatal("cmd/also links package testing; find the importer with: go list -deps -f '{{.ImportPath}} {{.Imports}}' ./cmd/also | grep -w testing")
		}
	}
}
