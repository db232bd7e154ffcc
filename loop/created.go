package loop

import (
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// Arms created during the episode by a prompt-optimising policy (opro, evoprompt-*,
// promptbreeder): the policy numbers them past the pool, and the book keeps what a reader of the
// turn records needs (text, parents, operator). The agent receives the text whole, as the
// artifact's evolved bios replace the background; the sim world reads the strategy part
// (sotopia.StrategyOf) as the arm's description.

type createdArm struct {
	arm      sotopia.ArmChoice
	parents  []string
	operator string
}

// AddCreated registers an arm the seat's policy created, so that Choose accepts its index.
func (b *Book) AddCreated(seat int, m policy.Member) {
	if b.created[seat] == nil {
		b.created[seat] = map[int]createdArm{}
	}
	b.created[seat][m.Index] = createdArm{
		arm:      sotopia.ArmChoice{Index: m.Index, ID: m.ID, Description: sotopia.StrategyOf(b.setup.OwnBackground(seat), m.Text), Text: m.Text},
		parents:  append([]string(nil), m.Parents...),
		operator: m.Operator,
	}
}

// NoteEvolution adds the optimiser steps a seat's policy took after the step of turn to that
// step's record (the last one, or the one before when the choice was deferred past the next).
func (b *Book) NoteEvolution(seat, turn int, events []sotopia.OptimiserEvent) {
	if len(events) == 0 || len(b.Turns) == 0 {
		return
	}
	i := len(b.Turns) - 1
	for i > 0 && b.Turns[i].Turn > turn {
		i--
	}
	st := &b.Turns[i].Seats[seat]
	st.Evolution = append(st.Evolution, events...)
}

// arm is a seat's pool arm or created arm by index.
func (b *Book) arm(seat, index int) (sotopia.ArmChoice, *createdArm, bool) {
	if index >= 0 && index < len(b.Arms[seat]) {
		return b.Arms[seat][index], nil, true
	}
	if c, ok := b.created[seat][index]; ok {
		return c.arm, &c, true
	}
	return sotopia.ArmChoice{}, nil, false
}
