package actors

import (
	"fmt"
	"sync"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// PolicyCarry carries each optimised seat's policy state through a run (also run --policy-in,
// --policy-out). Each seat's policy starts from the seat's current checkpoint (the loaded one,
// or nil: a cold start) and, after every episode that finished and was stored, the checkpoint of
// the state it ended with replaces it. Episodes must then run one at a time (Spec.BatchSize 1):
// the state passes from each episode to the next in task order, as the artifact's generalisation
// script carries one surrogate across scenarios. A failed attempt's state is dropped, so its retry
// starts where the attempt did. With Freeze the policies select from their loaded state and
// ignore rewards, so the checkpoint is unchanged by the run.
type PolicyCarry struct {
	// Strategy is the strategy version, part of the arm-pool identity a checkpoint is bound to.
	Strategy string
	Freeze   bool

	mu    sync.Mutex
	state [sotopia.Seats]*policy.Checkpoint
}

// Set puts seat's starting checkpoint (from --policy-in).
func (c *PolicyCarry) Set(seat int, cp policy.Checkpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state[seat] = &cp
}

// Get returns seat's current checkpoint, if any.
func (c *PolicyCarry) Get(seat int) (policy.Checkpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state[seat] == nil {
		return policy.Checkpoint{}, false
	}
	return *c.state[seat], true
}

// start builds a seat's policy for an episode: restored from the carried checkpoint, frozen if
// asked.
func (c *PolicyCarry) start(seat int, pol policy.Policy, arms []policy.Arm) (policy.Policy, error) {
	pool := policy.IdentifyPool(c.Strategy, arms)
	if cp, ok := c.Get(seat); ok {
		if err := policy.Load(pol, pool, cp); err != nil {
			return nil, fmt.Errorf("p%d policy checkpoint: %w", seat+1, err)
		}
	}
	if c.Freeze {
		return policy.Freeze(pol)
	}
	return pol, nil
}

// finish records the state seat's policy ended an episode with.
func (c *PolicyCarry) finish(seat int, pol policy.Policy, arms []policy.Arm) error {
	cp, err := policy.Save(pol, policy.IdentifyPool(c.Strategy, arms))
	if err != nil {
		return fmt.Errorf("p%d policy checkpoint: %w", seat+1, err)
	}
	c.Set(seat, cp)
	return nil
}
