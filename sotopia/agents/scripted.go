package agents

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/also-project/also/sotopia"
)

// Behaviour is a scripted adversary: it ignores any strategy and acts by fixed rules.
type Behaviour string

// The scripted behaviours.
const (
	// Refuser speaks every turn and politely refuses whatever is asked.
	Refuser Behaviour = "refuser"
	// Staller answers vaguely; from seat 0 it sometimes passes (never twice in a row).
	Staller Behaviour = "staller"
	// Leaver chats until its LeaverTurns-th own turn, then leaves.
	Leaver Behaviour = "leaver"
)

// DefaultLeaverTurns is the own turn on which the leaver leaves (the sim world's LeaverTurns
// setting overrides it there).
const DefaultLeaverTurns = 2

// stallerPassRate: the staller passes at most this often, and only from seat 0 (see Decide).
const stallerPassRate = 0.2

var behaviours = []Behaviour{Refuser, Staller, Leaver}

func behaviourNames() []string {
	out := make([]string, len(behaviours))
	for i, b := range behaviours {
		out[i] = string(b)
	}
	return out
}

func behaviourList() string { return strings.Join(behaviourNames(), ", ") }

// Behaviours lists the scripted behaviours.
func Behaviours() []Behaviour { return append([]Behaviour(nil), behaviours...) }

// Valid reports whether b is a known behaviour.
func (b Behaviour) Valid() bool {
	for _, x := range behaviours {
		if x == b {
			return true
		}
	}
	return false
}

// Decide is the action type the behaviour takes on its ownTurn-th turn (1-based) from seat, given
// whether its previous action was `none` and one uniform draw u in [0, 1) (always drawn by the
// caller, so its random stream stays aligned whatever is decided).
func (b Behaviour) Decide(seat, ownTurn int, lastNone bool, u float64, leaverTurns int) sotopia.ActionType {
	switch b {
	case Leaver:
		if ownTurn >= leaverTurns {
			return sotopia.ActionLeave
		}
	case Staller:
		// Benchmark-era Sotopia ends the episode at once when slot 1 passes (forced nones count
		// as stale turns), so only slot 0 passes, never twice in a row.
		if seat == 0 && !lastNone && u < stallerPassRate {
			return sotopia.ActionNone
		}
	}
	return sotopia.ActionSpeak
}

var (
	refusals = []string{"I'm sorry, but I can't agree to that.", "I appreciate you asking, but my answer is no.",
		"Thank you, but I'd rather not.", "I understand where you're coming from, but I have to decline.",
		"That's kind of you, but no.", "I hear you, but I'm not going to change my mind."}
	stalls = []string{"Hmm, let me think about it.", "Maybe. I'm not sure yet.", "We could talk about that later, perhaps.",
		"I'll have to see how things go.", "It's hard to say right now.", "Possibly... it depends, I suppose."}
	// chatter is what the leaver says before it leaves in a world with no speech model of its own.
	chatter = []string{"Hi there.", "Okay, I see.", "Right, go on.", "Sure, that's fair."}
)

// Line is what a refuser or staller says, drawn from r (one draw); ok is false for the leaver,
// which talks like its world's other agents until it leaves.
func (b Behaviour) Line(r *rand.Rand) (line string, ok bool) {
	switch b {
	case Refuser:
		return refusals[r.IntN(len(refusals))], true
	case Staller:
		return stalls[r.IntN(len(stalls))], true
	}
	return "", false
}

// Scripted plays a behaviour in a world that has no model of it (the live world): it makes no
// LLM call. It implements sotopia.Agent; its state is its own.
type Scripted struct {
	behaviour   Behaviour
	seat        int
	leaverTurns int
	behave      *rand.Rand
	text        *rand.Rand
	ownTurns    int
	lastNone    bool
	answered    map[int]sotopia.AgentAction
}

// NewScripted builds seat's scripted agent for one episode; seed is the episode seed.
func NewScripted(b Behaviour, seat int, seed int64) (*Scripted, error) {
	if !b.Valid() {
		return nil, fmt.Errorf("scripted behaviour %q unknown (want one of %s)", b, behaviourList())
	}
	return &Scripted{behaviour: b, seat: seat, leaverTurns: DefaultLeaverTurns,
		behave:   rand.New(rand.NewPCG(uint64(seed), uint64(seat)*2+1)),
		text:     rand.New(rand.NewPCG(uint64(seed), uint64(seat)*2+2)),
		answered: map[int]sotopia.AgentAction{}}, nil
}

// Observe implements sotopia.Agent: a scripted agent does not listen.
func (s *Scripted) Observe(sotopia.Observation) {}

// SetStrategy implements sotopia.Agent: a scripted agent ignores strategies.
func (s *Scripted) SetStrategy(sotopia.ArmChoice) {}

// Act implements sotopia.Agent. Asking again for a turn already answered returns the same action.
func (s *Scripted) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if err := ctx.Err(); err != nil {
		return sotopia.AgentAction{}, err
	}
	if obs.Seat != s.seat {
		return sotopia.AgentAction{}, fmt.Errorf("scripted agent of seat %d got an observation for seat %d", s.seat, obs.Seat)
	}
	if act, ok := s.answered[obs.Turn]; ok {
		return act, nil
	}
	s.ownTurns++
	want := s.behaviour.Decide(s.seat, s.ownTurns, s.lastNone, s.behave.Float64(), s.leaverTurns)
	act := Fallback(Allowed(want, obs.AvailableActions))
	if act.ActionType == sotopia.ActionSpeak {
		line, ok := s.behaviour.Line(s.text)
		if !ok {
			line = chatter[s.text.IntN(len(chatter))]
		}
		act.Argument = line
	}
	s.lastNone = act.ActionType == sotopia.ActionNone
	s.answered[obs.Turn] = act
	return act, nil
}

// Allowed is want if the observation allows it (an empty list allows everything), else the first
// allowed of speak, non-verbal, action, leave, else none.
func Allowed(want sotopia.ActionType, available []sotopia.ActionType) sotopia.ActionType {
	if len(available) == 0 {
		return want
	}
	has := func(t sotopia.ActionType) bool {
		for _, a := range available {
			if a == t {
				return true
			}
		}
		return false
	}
	if has(want) {
		return want
	}
	for _, t := range []sotopia.ActionType{sotopia.ActionSpeak, sotopia.ActionNonVerbal, sotopia.ActionAction, sotopia.ActionLeave} {
		if has(t) {
			return t
		}
	}
	return sotopia.ActionNone
}

// Lines lists what a refuser or staller may say (nil for the leaver).
func (b Behaviour) Lines() []string {
	switch b {
	case Refuser:
		return append([]string(nil), refusals...)
	case Staller:
		return append([]string(nil), stalls...)
	}
	return nil
}
