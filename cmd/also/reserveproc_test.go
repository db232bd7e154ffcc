package main

import (
	"runtime"
	"testing"

	"github.com/also-project/also/nn"
)

// The command keeps one P beyond the training workers, unless GOMAXPROCS was set explicitly.
func TestReserveProcKeepsAPBeyondTheTrainingWorkers(t *testing.T) {
	cores := runtime.GOMAXPROCS(0)
	defer func() {
		runtime.GOMAXPROCS(cores)
		nn.SetDefaultWorkers(cores)
	}()
	reserveProc(func(string) string { return "3" })
	if runtime.GOMAXPROCS(0) != cores {
		t.Fatalf("an explicit GOMAXPROCS was changed: %d, want %d", runtime.GOMAXPROCS(0), cores)
	}
	reserveProc(func(string) string { return "" })
	if got := runtime.GOMAXPROCS(0); got != cores+1 {
		t.Fatalf("GOMAXPROCS %d, want %d", got, cores+1)
	}
	if got := nn.DefaultWorkers(); got != cores {
		t.Fatalf("training workers %d, want the %d cores", got, cores)
	}
}
