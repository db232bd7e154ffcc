package messages

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The protocol depends only on plain domain types: not on the policies, their neural networks or
// gorgonia (what crosses between actors must not drag the learners along).
func TestProtocolDependsOnPlainTypesOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		// Locally a missing go tool is no reason to fail; in CI the rule must be checked.
		if os.Getenv("CI") != "" {
			t.Fatalf("go list: %v", err)
		}
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/also-project/also/policy" || dep == "github.com/also-project/also/nn" ||
			strings.HasPrefix(dep, "gorgonia.org/") {
			t.Errorf("messages depends on %s", dep)
		}
	}
}
