//go:build race

package main

// raceEnabled shortens slow checks: the race detector slows plain computation several-fold.
const raceEnabled = true
