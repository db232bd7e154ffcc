//go:build race

package fakellm

// raceEnabled relaxes timing assertions: the race detector slows goroutines several-fold.
const raceEnabled = true
