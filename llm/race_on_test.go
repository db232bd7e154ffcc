//go:build race

package llm

// raceEnabled relaxes timing assertions: the race detector slows goroutines several-fold.
const raceEnabled = true
