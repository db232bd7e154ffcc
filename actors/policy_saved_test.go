package actors

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/messages"
)

// The episode records once both seats' checkpoints are in; a seat answering twice is an error,
// not a second count (which would record the episode without the other seat's state).
func TestKeepEndCountsEachSeatOnce(t *testing.T) {
	e := &episodeActor{pending: 2}
	e.policies[0], e.policies[1] = actor.NewPID("local", "p1"), actor.NewPID("local", "p2")
	cp := []byte(`{"bandit":"exp3"}`)
	if done, err := e.keepEnd(&messages.PolicySaved{Seat: 0, Checkpoint: cp}); done || err != nil {
		t.Fatalf("first seat: done %v, err %v", done, err)
	}
	if done, err := e.keepEnd(&messages.PolicySaved{Seat: 0, Checkpoint: cp}); done || err == nil {
		t.Fatalf("seat 0 again: done %v, err %v; want an error", done, err)
	}
	if done, err := e.keepEnd(&messages.PolicySaved{Seat: 1, Checkpoint: cp}); !done || err != nil {
		t.Fatalf("second seat: done %v, err %v", done, err)
	}
	for _, bad := range []*messages.PolicySaved{
		{Seat: 2, Checkpoint: cp}, {Seat: -1, Checkpoint: cp}, {Seat: 0, Error: "boom"},
	} {
		f := &episodeActor{pending: 1}
		f.policies[0] = actor.NewPID("local", "p1")
		if _, err := f.keepEnd(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	g := &episodeActor{pending: 1}
	g.policies[0] = actor.NewPID("local", "p1")
	if _, err := g.keepEnd(&messages.PolicySaved{Seat: 0, Checkpoint: []byte("{")}); err == nil {
		t.Error("a checkpoint that is not JSON accepted")
	}
}
