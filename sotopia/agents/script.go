package agents

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/also-project/also/sotopia"
)

// Script is a parsed seat script: rules tried in file order, the first whose turns match the
// seat's own turn decides its action.
//
// Format (one rule per line; blank lines and lines starting with # are ignored):
//
//	TURNS  ACTION  [ARGUMENT]
//
// TURNS counts the seat's own turns from 1 (its first action is own turn 1, whichever seat
// opens): N, a range N-M, N+ (N and every later turn) or * (any turn). ACTION is speak,
// non-verbal, action (each needs an ARGUMENT, the rest of the line), leave or none (no argument).
// In an ARGUMENT, {partner} is replaced by the other seat's first name. A turn no rule matches
// is `none`. For example:
//
//	1    speak  Hello {partner}. I'm not selling below asking price.
//	2-5  speak  No.
//	6    non-verbal  shakes head
//	7+   leave
type Script struct {
	File  string
	Rules []Rule
}

// Rule is one line of a script: own turns From..To (To 0: no upper bound), an action type and
// its argument.
type Rule struct {
	Line     int
	From, To int
	Action   sotopia.ActionType
	Argument string
}

var scriptActions = map[string]sotopia.ActionType{
	"speak": sotopia.ActionSpeak, "non-verbal": sotopia.ActionNonVerbal, "action": sotopia.ActionAction,
	"leave": sotopia.ActionLeave, "none": sotopia.ActionNone,
}

// ParseScript reads a script's text; file names it in errors ("FILE:LINE: ...").
func ParseScript(file, text string) (*Script, error) {
	sc := &Script{File: file}
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at := func(format string, args ...any) error {
			return fmt.Errorf("script %s:%d: %s", file, i+1, fmt.Sprintf(format, args...))
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return nil, at("want TURNS ACTION [ARGUMENT], got %q", line)
		}
		r := Rule{Line: i + 1}
		var err error
		if r.From, r.To, err = parseTurns(fields[0]); err != nil {
			return nil, at("%v", err)
		}
		act, ok := scriptActions[fields[1]]
		if !ok {
			return nil, at("action %q unknown (want speak, non-verbal, action, leave or none)", fields[1])
		}
		r.Action = act
		rest := strings.TrimSpace(line[len(fields[0]):])
		r.Argument = strings.TrimSpace(rest[len(fields[1]):])
		switch act {
		case sotopia.ActionLeave, sotopia.ActionNone:
			if r.Argument != "" {
				return nil, at("%s takes no argument, got %q", fields[1], r.Argument)
			}
		default:
			if r.Argument == "" {
				return nil, at("%s needs an argument (what is said or done)", fields[1])
			}
		}
		sc.Rules = append(sc.Rules, r)
	}
	if len(sc.Rules) == 0 {
		return nil, fmt.Errorf("script %s: no rules (want lines of TURNS ACTION [ARGUMENT])", file)
	}
	return sc, nil
}

// parseTurns reads N, N-M, N+ or *.
func parseTurns(s string) (from, to int, err error) {
	num := func(x string) (int, error) {
		n, err := strconv.Atoi(x)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("turns %q: want N, N-M, N+ or * with own turns counted from 1", s)
		}
		return n, nil
	}
	switch {
	case s == "*":
		return 1, 0, nil
	case strings.HasSuffix(s, "+"):
		from, err = num(strings.TrimSuffix(s, "+"))
		return from, 0, err
	case strings.Contains(s, "-"):
		a, b, _ := strings.Cut(s, "-")
		if from, err = num(a); err != nil {
			return 0, 0, err
		}
		if to, err = num(b); err != nil {
			return 0, 0, err
		}
		if to < from {
			return 0, 0, fmt.Errorf("turns %q: range ends before it starts", s)
		}
		return from, to, nil
	}
	from, err = num(s)
	return from, from, err
}

// ActionFor is the action of the seat's ownTurn-th turn, with {partner} filled in.
func (sc *Script) ActionFor(ownTurn int, partner string) sotopia.AgentAction {
	for _, r := range sc.Rules {
		if ownTurn >= r.From && (r.To == 0 || ownTurn <= r.To) {
			return sotopia.AgentAction{ActionType: r.Action, Argument: strings.ReplaceAll(r.Argument, "{partner}", partner)}
		}
	}
	return sotopia.AgentAction{ActionType: sotopia.ActionNone}
}

// ScriptAgent plays a script in a world that has no model of it (the live world): no LLM call.
type ScriptAgent struct {
	script   *Script
	seat     int
	partner  string
	ownTurns int
	answered map[int]sotopia.AgentAction
}

// NewScriptAgent builds seat's agent for one episode; partner is the other seat's first name.
func NewScriptAgent(sc *Script, seat int, partner string) (*ScriptAgent, error) {
	if sc == nil || len(sc.Rules) == 0 {
		return nil, errors.New("script agent: empty script")
	}
	return &ScriptAgent{script: sc, seat: seat, partner: partner, answered: map[int]sotopia.AgentAction{}}, nil
}

// Observe implements sotopia.Agent: a script does not listen.
func (a *ScriptAgent) Observe(sotopia.Observation) {}

// SetStrategy implements sotopia.Agent: a script ignores strategies.
func (a *ScriptAgent) SetStrategy(sotopia.ArmChoice) {}

// Act implements sotopia.Agent: the script's action for this own turn, or the closest allowed
// type (see Allowed) when the observation forbids it. A repeated request gets the same answer.
func (a *ScriptAgent) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if err := ctx.Err(); err != nil {
		return sotopia.AgentAction{}, err
	}
	if obs.Seat != a.seat {
		return sotopia.AgentAction{}, fmt.Errorf("script agent of seat %d got an observation for seat %d", a.seat, obs.Seat)
	}
	if act, ok := a.answered[obs.Turn]; ok {
		return act, nil
	}
	a.ownTurns++
	act := a.script.ActionFor(a.ownTurns, a.partner)
	if t := Allowed(act.ActionType, obs.AvailableActions); t != act.ActionType {
		act = Fallback(t)
	}
	a.answered[obs.Turn] = act
	return act, nil
}

// Fallback is an action of type t with a neutral argument where the type needs one.
func Fallback(t sotopia.ActionType) sotopia.AgentAction {
	act := sotopia.AgentAction{ActionType: t}
	switch act.ActionType {
	case sotopia.ActionSpeak:
		act.Argument = "Okay."
	case sotopia.ActionNonVerbal:
		act.Argument = "nods"
	case sotopia.ActionAction:
		act.Argument = "waits"
	}
	return act
}
