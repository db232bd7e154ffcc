package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"math/rand/v2"
	"strings"

	"github.com/also-project/also/sotopia"
)

// Agent is a simulated Sotopia agent (or the scripted opponent) of one seat. It implements
// sotopia.Agent. The episode's hidden state decides what the seat does (the environment owns
// it); the agent voices that decision, delivered as the observation's cue, with its own random
// text stream. It shares no state with any other participant.
type Agent struct {
	seat      int
	partner   string // the other seat's first name
	goal      string // first-person goal, for the goal line of utterances
	text      *rand.Rand
	scripted  bool
	behaviour agents.Behaviour
	script    *agents.Script
	answered  map[int]sotopia.AgentAction
}

// newAgent builds seat's agent; scripted says the hidden state plays the seat as the given
// behaviour or script.
func newAgent(seat int, setup *sotopia.Setup, seed int64, task string, scripted scriptedSeat) *Agent {
	a := &Agent{seat: seat, text: stream(seed, task, "text", itoa(seat)), answered: map[int]sotopia.AgentAction{}}
	a.partner = fmt.Sprintf("Agent %d", 2-seat)
	if p := setup.Agents[1-seat]; p != nil {
		a.partner = p.FirstName
		if a.partner == "" {
			a.partner = p.Name()
		}
	}
	if seat < len(setup.Env.AgentGoals) {
		a.goal = firstPerson(goalCore(setup.Env.AgentGoals[seat]))
	}
	if scripted.seat == seat {
		a.scripted, a.behaviour, a.script = true, scripted.behaviour, scripted.script
	}
	return a
}

// SetStrategy implements sotopia.Agent. The strategy acts through the hidden state (the
// environment gets it too); the agent voices what the state decides, so it keeps nothing.
func (a *Agent) SetStrategy(sotopia.ArmChoice) {}

// Observe implements sotopia.Agent. A simulated agent needs no inbox: the turn to voice comes
// with Act's observation.
func (a *Agent) Observe(sotopia.Observation) {}

// Act implements sotopia.Agent: it voices the turn that obs prompts (turn obs.Turn+1) as the
// observation's cue says. Asking again for a turn already played returns the same action.
func (a *Agent) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if err := ctx.Err(); err != nil {
		return sotopia.AgentAction{}, err
	}
	if obs.Seat != a.seat {
		return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d got an observation for seat %d", a.seat, obs.Seat)
	}
	if act, ok := a.answered[obs.Turn]; ok {
		return act, nil
	}
	if len(obs.Cue) == 0 {
		return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d: observation of turn %d has no cue (the environment plays the hidden state)", a.seat, obs.Turn)
	}
	var c cue
	if err := json.Unmarshal(obs.Cue, &c); err != nil {
		return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d: cue of turn %d: %w", a.seat, obs.Turn, err)
	}
	if c.Seat != a.seat || c.Turn != obs.Turn+1 {
		return sotopia.AgentAction{}, fmt.Errorf("sim agent of seat %d: cue for seat %d turn %d on the observation of turn %d", a.seat, c.Seat, c.Turn, obs.Turn)
	}
	act := a.utter(&c)
	a.answered[obs.Turn] = act
	return act, nil
}

// utter renders the action the hidden state decided for a turn as readable text.
func (a *Agent) utter(c *cue) sotopia.AgentAction {
	r := a.text
	if a.scripted && a.script != nil {
		act := a.script.ActionFor(c.OwnTurns, a.partner)
		if act.ActionType != c.Action { // the observation did not allow the script's action
			act = agents.Fallback(c.Action)
		}
		return act
	}
	act := sotopia.AgentAction{ActionType: c.Action}
	switch c.Action {
	case sotopia.ActionNonVerbal:
		if c.Trust >= 0.5 {
			act.Argument = pick(r, warmGestures)
		} else {
			act.Argument = pick(r, coolGestures)
		}
	case sotopia.ActionAction:
		act.Argument = sprintfLoose(pick(r, physicalActions), a.partner)
	case sotopia.ActionSpeak:
		act.Argument = a.speech(c)
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
func (a *Agent) speech(c *cue) string {
	r := a.text
	if a.scripted {
		if line, ok := a.behaviour.Line(r); ok {
			return line
		}
	}
	var parts []string
	firstTurn := c.OwnTurns == 1
	if firstTurn {
		parts = append(parts, fmt.Sprintf(pick(r, openers), a.partner))
	} else if r.IntN(2) == 0 {
		parts = append(parts, sprintfLoose(pick(r, connectors), a.partner))
	}
	if a.goal != "" && (firstTurn || r.Float64() < 0.15) {
		g, lines := a.goal, goalLines
		if strings.HasPrefix(g, "I ") {
			lines = statementLines
		}
		parts = append(parts, fmt.Sprintf(pick(r, lines), g))
	}
	// The scripted leaver chats normally until it leaves, but never by a strategy.
	if c.Strategy && !a.scripted {
		if len(c.Quotes) > 0 && r.Float64() < 0.7 {
			parts = append(parts, pick(r, c.Quotes))
		} else if ws := sample(r, c.Words, 2); len(ws) == 2 {
			parts = append(parts, fmt.Sprintf(pick(r, stratLines), ws[0], ws[1]))
		}
	}
	if h := a.hint(c); h != "" {
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
func (a *Agent) hint(c *cue) string {
	r := a.text
	rank := 0
	if r.Float64() < 0.15 && len(c.Hints) > 1 {
		rank = 1
	}
	if len(c.Hints) == 0 {
		return ""
	}
	words := c.Hints[rank]
	tmpl := pick(r, hintLines[a.seat])
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
