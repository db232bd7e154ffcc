package policy

import (
	"encoding/json"
	"fmt"
)

// Freeze returns p with learning switched off (the artifact's "test" mode): selections use the
// policy as it is, rewards are ignored, and its checkpoint stays the state it had when frozen.
// Selection-time bookkeeping still runs inside the episode (ALSO appends its prediction to the
// score trace, a population policy may still write new members at its evolution interval); none
// of it is saved. Evolving policies stay Evolving.
func Freeze(p Policy) (Policy, error) {
	cp, ok := p.(Checkpointer)
	if !ok {
		return nil, fmt.Errorf("%s: policy cannot be checkpointed, so it cannot be frozen", p.Name())
	}
	state, err := cp.SaveState()
	if err != nil {
		return nil, fmt.Errorf("%s: freeze: %w", p.Name(), err)
	}
	f := &frozen{Policy: p, state: state}
	if evo, ok := p.(Evolving); ok {
		return &frozenEvolving{frozen: f, evo: evo}, nil
	}
	return f, nil
}

type frozen struct {
	Policy
	state json.RawMessage
}

// Update ignores the reward: a frozen policy does not learn.
func (f *frozen) Update(Feedback) error { return nil }

// SaveState is the state the policy was frozen with.
func (f *frozen) SaveState() (json.RawMessage, error) { return f.state, nil }

// LoadState refuses: a frozen policy's state is fixed.
func (f *frozen) LoadState(json.RawMessage) error {
	return fmt.Errorf("%s: a frozen policy cannot load another state", f.Name())
}

type frozenEvolving struct {
	*frozen
	evo Evolving
}

func (f *frozenEvolving) Members() []Member               { return f.evo.Members() }
func (f *frozenEvolving) Member(index int) (Member, bool) { return f.evo.Member(index) }
func (f *frozenEvolving) DrainEvents() []OptimiserEvent   { return f.evo.DrainEvents() }
