package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `bench llm --cpuprofile` writes a pprof profile of the run; a file that cannot be created is an
// error naming the flag, before any work.
func TestBenchLLMWritesCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	out := mustCLI(t, "bench", "llm", "--episodes", "1", "--batch-size", "1", "--max-turns", "2", "--latency", "1ms",
		"--dir", t.TempDir(), "--cpuprofile", prof)
	if !strings.Contains(out, "ratio") {
		t.Fatalf("output %q", out)
	}
	b, err := os.ReadFile(prof)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof profiles are gzipped
		t.Fatalf("profile %d bytes, err %v", len(b), err)
	}
	_, _, err = runCLI(t, "bench", "llm", "--episodes", "1", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "p"))
	if err == nil || !strings.Contains(err.Error(), "--cpuprofile") {
		t.Fatalf("err %v, want one naming --cpuprofile", err)
	}
}
