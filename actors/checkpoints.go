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
	// Strategy and Strategies are the strategy version and its pool: with the embedding width
	// they are the arm-pool identity a checkpoint is bound to (an episode's arm texts are
	// rendered for its scenario, so the pool's own texts identify it).
	Strategy   string
	Strategies []sotopia.Strategy
	Freeze     bool

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
	pool := c.identity(arms)
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

// end is the checkpoint of the state seat's policy ended an episode with; the episode Sets it
// once the episode is stored as done.
func (c *PolicyCarry) end(seat int, pol policy.Policy, arms []policy.Arm) (policy.Checkpoint, error) {
	cp, err := policy.Save(pol, c.identity(arms))
	if err != nil {
		return policy.Checkpoint{}, fmt.Errorf("p%d policy checkpoint: %w", seat+1, err)
	}
	return cp, nil
}

// identity is the pool identity of the strategy pool at the episode's embedding width.
func (c *PolicyCarry) identity(arms []policy.Arm) policy.PoolIdentity {
	pool := make([]policy.Arm, len(c.Strategies))
	for i, s := range c.Strategies {
		pool[i] = policy.Arm{Index: i, ID: s.ID, Text: s.Name + "\n" + s.Theory + "\n" + s.Description}
	}
	id := policy.IdentifyPool(c.Strategy, pool)
	if len(arms) != len(pool) {
		id.Arms = len(arms) // an episode with another arm count than the pool never matches
	}
	id.EmbeddingWidth = 0
	if len(arms) > 0 {
		id.EmbeddingWidth = len(arms[0].Embedding)
	}
	return id
}

// Check compares the loaded checkpoints with the run before any episode starts: the bandit type
// and the strategy pool (the embedding width is known, and checked, once an episode embeds its
// arms).
func (c *PolicyCarry) Check(bandit string) error {
	in, err := policy.Lookup(bandit)
	if err != nil {
		return err
	}
	for seat := range sotopia.Seats {
		cp, ok := c.Get(seat)
		if !ok {
			continue
		}
		pool := c.identity(make([]policy.Arm, len(c.Strategies)))
		pool.EmbeddingWidth = cp.Pool.EmbeddingWidth
		if err := cp.Check(in.Name, pool); err != nil {
			return fmt.Errorf("p%d: %w", seat+1, err)
		}
	}
	return nil
}
