package sim

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/also-project/also/sotopia"
)

// hidden is the hidden state of one episode (sotopia.Hidden): the model, played turn by turn as
// the environment asks. Only the environment actor calls it, so it needs no lock; the agents and
// the judge learn from it only through the cue and facts they receive in their messages.
type hidden struct {
	m       *model
	cues    []json.RawMessage // the cue of every played turn, so a repeated request is answered alike
	observe func(Outcome)     // World.Observed
}

var _ sotopia.Hidden = (*hidden)(nil)

// cue is what the acting seat's agent needs to voice the turn the model decided: the action, the
// trust it is voiced with, the speaker's own-turn count, its active strategy's words, and the
// words of its listener's best arms (the hint that carries the context signal).
type cue struct {
	Turn     int                `json:"turn"`
	Seat     int                `json:"seat"`
	Action   sotopia.ActionType `json:"action"`
	Trust    float64            `json:"trust"`
	OwnTurns int                `json:"own_turns"`
	// Strategy says the active arm has a strategy; Quotes and Words are its features.
	Strategy bool     `json:"strategy"`
	Quotes   []string `json:"quotes,omitempty"`
	Words    []string `json:"words,omitempty"`
	// Hints are the key words of the listener's best and second-best arms under its theta.
	Hints [][]string `json:"hints,omitempty"`
}

// turnFacts is what the judge needs of a played turn.
type turnFacts struct {
	Turn                                    int
	Trust                                   float64
	Goal, Info, Leak, Violation, Reward, Mu [sotopia.Seats]float64
	Expected                                [sotopia.Seats][]float64
}

// episodeFacts is what the judge needs of the whole episode.
type episodeFacts struct {
	Turns int
	Mean  [sotopia.Seats]float64
	Last  turnFacts
}

// SetArm implements sotopia.Hidden. The world reads the arm's description, so strategies that are
// not in the pool (rewritten by a prompt optimiser) get their own features.
func (h *hidden) SetArm(seat int, arm sotopia.ArmChoice) {
	if seat >= 0 && seat < sotopia.Seats {
		h.m.seats[seat].active = h.m.armIndex(seat, arm)
	}
}

// Cue implements sotopia.Hidden: it plays the turn obs prompts (turn obs.Turn+1) for obs.Seat.
func (h *hidden) Cue(obs sotopia.Observation) (json.RawMessage, error) {
	m := h.m
	turn, played := obs.Turn+1, len(m.turns)
	switch {
	case obs.Seat < 0 || obs.Seat >= sotopia.Seats:
		return nil, fmt.Errorf("sim: no seat %d", obs.Seat)
	case obs.Turn < 0:
		return nil, fmt.Errorf("sim: negative observation turn %d", obs.Turn)
	case turn <= played:
		if m.turns[turn-1].Actor != obs.Seat {
			return nil, fmt.Errorf("sim: turn %d was played by seat %d, not %d", turn, m.turns[turn-1].Actor, obs.Seat)
		}
		return h.cues[turn-1], nil
	case turn > played+1:
		return nil, fmt.Errorf("sim: observation of turn %d but only %d turns played", obs.Turn, played)
	}
	rec, err := m.step(obs.Seat, allowedSet(obs.AvailableActions))
	if err != nil {
		return nil, err
	}
	if h.observe != nil {
		h.observe(rec.Outcome)
	}
	seat, listener := rec.Actor, 1-rec.Actor
	c := cue{Turn: turn, Seat: seat, Action: rec.Action, Trust: rec.Trust, OwnTurns: m.seats[seat].ownTurns}
	if f := m.seats[seat].arms[rec.Arms[seat]]; f.desc != "" {
		c.Strategy, c.Quotes, c.Words = true, f.quote, f.words
	}
	for _, k := range rec.Hint[listener][:min(2, len(rec.Hint[listener]))] {
		c.Hints = append(c.Hints, m.seats[listener].arms[k].keys)
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	h.cues = append(h.cues, raw)
	return raw, nil
}

// TurnFacts implements sotopia.Hidden.
func (h *hidden) TurnFacts(turn int) (json.RawMessage, error) {
	if turn < 1 || turn > len(h.m.turns) {
		return nil, fmt.Errorf("sim: turn %d not played (turns played: %d)", turn, len(h.m.turns))
	}
	return json.Marshal(factsOf(&h.m.turns[turn-1]))
}

// EpisodeFacts implements sotopia.Hidden.
func (h *hidden) EpisodeFacts() (json.RawMessage, error) {
	turns := h.m.turns
	if len(turns) == 0 {
		return nil, errors.New("sim: no turns played")
	}
	f := episodeFacts{Turns: len(turns), Last: factsOf(&turns[len(turns)-1])}
	for i := range f.Mean {
		for _, t := range turns {
			f.Mean[i] += t.Reward[i]
		}
		f.Mean[i] /= float64(len(turns))
	}
	return json.Marshal(f)
}

func factsOf(rec *turnRecord) turnFacts {
	return turnFacts{Turn: rec.Turn, Trust: rec.Trust, Goal: rec.Goal, Info: rec.Info, Leak: rec.Leak, Violation: rec.Violation,
		Reward: rec.Reward, Mu: rec.Mu, Expected: rec.Expected}
}

// allowedSet is nil (everything allowed) for an empty list.
func allowedSet(types []sotopia.ActionType) map[sotopia.ActionType]bool {
	if len(types) == 0 {
		return nil
	}
	m := make(map[sotopia.ActionType]bool, len(types))
	for _, t := range types {
		m[t] = true
	}
	return m
}
