package sim

import (
	"context"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/also-project/also/sotopia"
)

// episode is the state both agents and the judge of one episode share. Calls arrive from
// different actors, so every access takes the lock even though the protocol is sequential.
type episode struct {
	mu      sync.Mutex
	m       *model
	names   [sotopia.Seats]string
	first   [sotopia.Seats]string
	goals   [sotopia.Seats]string // first-person goal, for the goal line of utterances
	text    [sotopia.Seats]*rand.Rand
	actions []sotopia.AgentAction // the action of every played turn
}

func newEpisode(m *model, setup *sotopia.Setup) *episode {
	ep := &episode{m: m}
	for i, a := range setup.Agents {
		ep.names[i], ep.first[i] = fmt.Sprintf("Agent %d", i+1), fmt.Sprintf("Agent %d", i+1)
		if a != nil {
			ep.names[i] = a.Name()
			ep.first[i] = a.FirstName
			if ep.first[i] == "" {
				ep.first[i] = ep.names[i]
			}
		}
		if i < len(setup.Env.AgentGoals) {
			ep.goals[i] = firstPerson(goalCore(setup.Env.AgentGoals[i]))
		}
		ep.text[i] = stream(m.seed, m.task, "text", itoa(i))
	}
	return ep
}

// Agent is a simulated Sotopia agent (or the scripted opponent) of one seat. It implements
// sotopia.Agent.
type Agent struct {
	ep   *episode
	seat int
}

// SetStrategy makes arm the seat's active strategy from the next turn on. The world reads the
// arm's description, so strategies that are not in the pool (rewritten by a prompt optimiser)
// get their own features. A scripted agent records the arm but ignores it.
func (a *Agent) SetStrategy(arm sotopia.ArmChoice) {
	a.ep.mu.Lock()
	defer a.ep.mu.Unlock()
	a.ep.m.seats[a.seat].active = a.ep.m.armIndex(a.seat, arm)
}

// Observe implements sotopia.Agent. A simulated agent needs no inbox: both seats read the shared
// hidden state, and the turn to play comes with Act's observation.
func (a *Agent) Observe(sotopia.Observation) {}

// Act plays the turn that obs prompts (turn obs.Turn+1): it advances the hidden state and
// returns the seat's action. Asking again for a turn already played returns the same action,
// so a retried request never advances the world twice.
func (a *Agent) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if err := ctx.Err(); err != nil {
		return sotopia.AgentAction{}, err
	}
	if obs.Seat != a.seat {
		return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d got an observation for seat %d", a.seat, obs.Seat)
	}
	ep := a.ep
	ep.mu.Lock()
	defer ep.mu.Unlock()
	turn, played := obs.Turn+1, len(ep.m.turns)
	switch {
	case obs.Turn < 0:
		return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d: negative observation turn %d", a.seat, obs.Turn)
	case turn <= played:
		if ep.m.turns[turn-1].Actor != a.seat {
			return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d: turn %d was played by seat %d", a.seat, turn, ep.m.turns[turn-1].Actor)
		}
		return ep.actions[turn-1], nil
	case turn > played+1:
		return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d: observation of turn %d but only %d turns played", a.seat, obs.Turn, played)
	}
	rec, err := ep.m.step(a.seat, allowedSet(obs.AvailableActions))
	if err != nil {
		return sotopia.AgentAction{}, err
	}
	act := ep.utter(rec)
	ep.actions = append(ep.actions, act)
	return act, nil
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

// utter renders the action the model decided for a turn as readable text.
func (ep *episode) utter(rec *turnRecord) sotopia.AgentAction {
	seat := rec.Actor
	r := ep.text[seat]
	if m := ep.m; seat == m.scripted && m.script != nil {
		act := m.script.ActionFor(m.seats[seat].ownTurns, ep.first[1-seat])
		if act.ActionType != rec.Action { // the observation did not allow the script's action
			act = agents.Fallback(rec.Action)
		}
		return act
	}
	act := sotopia.AgentAction{ActionType: rec.Action}
	switch rec.Action {
	case sotopia.ActionNonVerbal:
		if rec.Trust >= 0.5 {
			act.Argument = pick(r, warmGestures)
		} else {
			act.Argument = pick(r, coolGestures)
		}
	case sotopia.ActionAction:
		act.Argument = sprintfLoose(pick(r, physicalActions), ep.first[1-seat])
	case sotopia.ActionSpeak:
		act.Argument = ep.speech(rec)
	}
	return act
}

var (
	warmGestures    = []string{"nods and smiles", "leans in, listening closely", "smiles warmly", "nods slowly, looking thoughtful", "relaxes and laughs softly"}
	coolGestures    = []string{"crosses arms", "sighs and looks away", "frowns slightly", "shifts uncomfortably", "raises an eyebrow"}
	physicalActions = []string{"takes out a notebook and writes something down for %s", "checks the time on the phone", "pours a glass of water for %s",
		"slides a sheet of paper across the table to %s", "opens the laptop to look something up"}
	openers    = []string{"Hi %s!", "Hello %s, good to see you.", "Hey %s, thanks for taking the time."}
	connectors = []string{"I see.", "Okay.", "Right.", "I hear you, %s.", "Fair enough.", "Thanks, %s."}
	goalLines  = []string{"What I'm after is simple: I want to %s.", "Let me be clear: I'd like to %s.", "To be honest, I came here to %s."}
	// statements are goals that already read as a sentence about the speaker ("I am the buyer ...").
	statementLines = []string{"Just so you know, %s.", "To be clear, %s.", "Let me be upfront: %s."}
	// hintLines are phrased by role: seat 0 opens the conversation and says what it values, seat 1
	// responds and says what would win it over. Each key word follows a role cue word, so the
	// dialogue's word bigrams tell whose preference a hint is about.
	hintLines = [sotopia.Seats][]string{
		{"I would appreciate some %s here.", "Honestly, I value %s, and I appreciate %s.", "What I value is %s; I'd appreciate %s too."},
		{"I'd be more open with some %s.", "To be convinced I need %s and %s.", "I'm open to it if there is %s; I need %s."},
	}
	stratLines = []string{"Let's think about %s and %s.", "I think %s and %s could help us here."}
)

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// speech composes an utterance: an opener, sometimes the goal, a line in the spirit of the
// active strategy, and a hint of what works on the speaker (words of the strategies nearest its
// listener's current theta), which is what carries the context signal.
func (ep *episode) speech(rec *turnRecord) string {
	seat, other := rec.Actor, 1-rec.Actor
	r := ep.text[seat]
	m := ep.m
	if seat == m.scripted {
		if line, ok := m.behaviour.Line(r); ok {
			return line
		}
	}
	var parts []string
	firstTurn := m.seats[seat].ownTurns == 1
	if firstTurn {
		parts = append(parts, fmt.Sprintf(pick(r, openers), ep.first[other]))
	} else if r.IntN(2) == 0 {
		parts = append(parts, sprintfLoose(pick(r, connectors), ep.first[other]))
	}
	if ep.goals[seat] != "" && (firstTurn || r.Float64() < 0.15) {
		g, lines := ep.goals[seat], goalLines
		if strings.HasPrefix(g, "I ") {
			lines = statementLines
		}
		parts = append(parts, fmt.Sprintf(pick(r, lines), g))
	}
	// The scripted leaver chats normally until it leaves, but never by a strategy.
	if f := m.seats[seat].arms[rec.Arms[seat]]; f.desc != "" && seat != m.scripted {
		if len(f.quote) > 0 && r.Float64() < 0.7 {
			parts = append(parts, pick(r, f.quote))
		} else if ws := sample(r, f.words, 2); len(ws) == 2 {
			parts = append(parts, fmt.Sprintf(pick(r, stratLines), ws[0], ws[1]))
		}
	}
	if h := ep.hint(rec, r); h != "" {
		parts = append(parts, h)
	}
	if len(parts) == 0 {
		parts = append(parts, "Let's talk this through.")
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += " " + p
	}
	return out
}

// hint reveals what works on the speaker: words of its listener's best arm under theta (now and
// then the second best), so the dialogue embedding carries information about theta(t).
func (ep *episode) hint(rec *turnRecord, r *rand.Rand) string {
	listener := 1 - rec.Actor
	ranked := rec.Hint[listener]
	rank := 0
	if r.Float64() < 0.15 && len(ranked) > 1 {
		rank = 1
	}
	if len(ranked) == 0 {
		return ""
	}
	words := ep.m.seats[listener].arms[ranked[rank]].keys
	tmpl := pick(r, hintLines[rec.Actor])
	n := countSlots(tmpl)
	ws := sample(r, words, n)
	if len(ws) < n {
		return ""
	}
	args := make([]any, n)
	for i, w := range ws {
		args[i] = w
	}
	return fmt.Sprintf(tmpl, args...)
}

// sample draws n distinct words (fewer if there are not enough).
func sample(r *rand.Rand, words []string, n int) []string {
	if len(words) < n {
		n = len(words)
	}
	idx := r.Perm(len(words))[:n]
	out := make([]string, n)
	for i, k := range idx {
		out[i] = words[k]
	}
	return out
}

func countSlots(tmpl string) int {
	n := 0
	for i := 0; i+1 < len(tmpl); i++ {
		if tmpl[i] == '%' && tmpl[i+1] == 's' {
			n++
		}
	}
	return n
}

// sprintfLoose fills a template that may or may not take the name.
func sprintfLoose(tmpl, name string) string {
	if countSlots(tmpl) == 0 {
		return tmpl
	}
	return fmt.Sprintf(tmpl, name)
}
