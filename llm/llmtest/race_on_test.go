//go:build race

package llmtest

// raceEnabled relaxes timing assertions: the race detector slows goroutines several-fold.
const raceEnabled = true
