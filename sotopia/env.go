package sotopia

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxStaleTurns is Sotopia's max_stale_turn: more consecutive `none` actions end the episode.
const MaxStaleTurns = 2

// Reason strings of Sotopia's RuleBasedTerminatedEvaluator, concatenated when several apply.
const (
	ReasonTooLong = "The conversation is too long; "
	ReasonLeave1  = "Agent 1 is leaving; "
	ReasonLeave2  = "Agent 2 is leaving; "
	ReasonStale   = "The conversation stales for too long; "
)

const environmentSender = "Environment"

// Validate checks what an episode needs: a scenario with two goals, two distinct named agents,
// a known relationship and era, and MaxTurns >= 1.
func (s *Setup) Validate() error {
	switch {
	case s == nil:
		return errors.New("setup: nil")
	case s.Env == nil:
		return errors.New("setup: no environment profile")
	case len(s.Env.AgentGoals) != Seats:
		return fmt.Errorf("setup: environment %s has %d goals, want %d", s.Env.PK, len(s.Env.AgentGoals), Seats)
	case s.Env.Relationship < Stranger || s.Env.Relationship > FamilyMember:
		return fmt.Errorf("setup: environment %s has unknown relationship %d", s.Env.PK, int(s.Env.Relationship))
	case s.MaxTurns < 1:
		return fmt.Errorf("setup: MaxTurns %d, want >= 1", s.MaxTurns)
	case s.Era != "" && s.Era != EraALSO && s.Era != EraBenchmark && s.Era != Era2023:
		return fmt.Errorf("setup: unknown era %q (want %q, %q or %q)", s.Era, EraALSO, EraBenchmark, Era2023)
	}
	for i, a := range s.Agents {
		if a == nil {
			return fmt.Errorf("setup: seat %d has no agent profile", i)
		}
		if strings.TrimSpace(a.Name()) == "" {
			return fmt.Errorf("setup: seat %d agent %s has no name", i, a.PK)
		}
	}
	if s.Agents[0].Name() == s.Agents[1].Name() {
		return fmt.Errorf("setup: both seats are named %q (Sotopia keys agents by name)", s.Agents[0].Name())
	}
	return nil
}

// inboxEntry is one message of the environment's inbox: the context, a "Turn #n" marker, or an
// agent's action. The judge transcript and the termination rules read it.
type inboxEntry struct {
	sender string
	text   string
	action *AgentAction
}

// Env is one Sotopia ParallelSotopiaEnv in round-robin order, with benchmark-era (default) or 2023
// rules. It is a pure state machine: no I/O, no LLM, not safe for concurrent use.
type Env struct {
	setup *Setup
	names [Seats]string

	started bool
	turn    int
	acting  int
	done    bool
	reason  string

	inbox    []inboxEntry
	messages [][]Message
}

// NewEnv validates the setup and returns an environment; call Reset before Step.
func NewEnv(setup *Setup) (*Env, error) {
	if err := setup.Validate(); err != nil {
		return nil, err
	}
	e := &Env{setup: setup}
	for i, a := range setup.Agents {
		e.names[i] = a.Name()
	}
	return e, nil
}

// Reset starts the episode and returns the turn-0 observations: seat 0 may act, seat 1 only none.
func (e *Env) Reset() [Seats]Observation {
	e.started, e.turn, e.acting, e.done, e.reason = true, 0, 0, false, ""
	e.inbox = []inboxEntry{{sender: environmentSender, text: e.setup.EnvironmentContext()}}
	var obs [Seats]Observation
	for i := range obs {
		obs[i] = e.observation(i, e.setup.ContextFor(i, ""))
	}
	e.messages = [][]Message{e.observationMessages(obs)}
	return obs
}

// Acting is the seat whose turn it is now.
func (e *Env) Acting() int { return e.acting }

// Turn is the environment's turn_number: the number of steps done so far.
func (e *Env) Turn() int { return e.turn }

// Done reports whether the episode has terminated.
func (e *Env) Done() bool { return e.done }

// Reason is the concatenated Sotopia termination reason ("" while running).
func (e *Env) Reason() string { return e.reason }

// Names are the agents' display names in seat order.
func (e *Env) Names() [Seats]string { return e.names }

func envActionTypeValid(t ActionType) bool {
	for _, a := range AllActionTypes {
		if a == t {
			return true
		}
	}
	return false
}

// Step plays the acting seat's action (the other seat is recorded as doing nothing), applies the
// termination rules of sotopia.md 2.7 and returns both seats' next observations: "Turn #k: <Name>
// <action text>\n", rendered for each viewer as Sotopia does. Once done, no seat is offered any
// action but none. Errors: before Reset, after the end, a seat not acting, an unknown action type.
func (e *Env) Step(seat int, a AgentAction) (obs [Seats]Observation, done bool, reason string, err error) {
	switch {
	case !e.started:
		return obs, false, "", errors.New("env: Step before Reset")
	case e.done:
		return obs, true, e.reason, fmt.Errorf("env: episode already done (%s)", strings.TrimSpace(e.reason))
	case seat < 0 || seat >= Seats:
		return obs, false, "", fmt.Errorf("env: seat %d out of range [0, %d)", seat, Seats)
	case seat != e.acting:
		return obs, false, "", fmt.Errorf("env: seat %d acted at turn %d but seat %d is acting", seat, e.turn, e.acting)
	case !envActionTypeValid(a.ActionType):
		return obs, false, "", fmt.Errorf("env: invalid action type %q (want one of none, speak, non-verbal communication, action, leave)", a.ActionType)
	}
	var actions [Seats]AgentAction
	for i := range actions {
		actions[i] = AgentAction{ActionType: ActionNone}
	}
	actions[seat] = a

	e.turn++
	// Benchmark-era and 2023 Sotopia log every seat's action, the forced nones included; the stale
	// rule below counts them (sotopia.md 2.4 step 2).
	e.inbox = append(e.inbox, inboxEntry{sender: environmentSender, text: "Turn #" + strconv.Itoa(e.turn)})
	cur := &e.messages[len(e.messages)-1]
	for i := range actions {
		act := actions[i]
		e.inbox = append(e.inbox, inboxEntry{sender: e.names[i], text: act.Render(), action: &act})
		*cur = append(*cur, Message{Sender: e.names[i], Receiver: environmentSender, Text: act.Render()})
	}

	e.reason = e.terminationReason(actions)
	e.done = e.reason != ""
	e.acting = e.turn % Seats

	var parts []string
	for i, act := range actions {
		if act.ActionType != ActionNone {
			parts = append(parts, e.names[i]+" "+act.Render())
		}
	}
	lastTurn := strings.Join(parts, ";")
	for i := range obs {
		obs[i] = e.observation(i, observationNL(e.turn, RenderFor(lastTurn, AgentViewer(i))))
	}
	e.messages = append(e.messages, e.observationMessages(obs))
	return obs, e.done, e.reason, nil
}

// terminationReason applies RuleBasedTerminatedEvaluator to this step's actions and the inbox.
func (e *Env) terminationReason(actions [Seats]AgentAction) string {
	var r strings.Builder
	tooLong := e.turn >= e.setup.MaxTurns
	if e.setup.era() == Era2023 {
		tooLong = e.turn > e.setup.MaxTurns // paper-era rule: one step more
	}
	if tooLong {
		r.WriteString(ReasonTooLong)
	}
	if actions[0].ActionType == ActionLeave {
		r.WriteString(ReasonLeave1)
	}
	if actions[1].ActionType == ActionLeave {
		r.WriteString(ReasonLeave2)
	}
	stale := 0
	for i := len(e.inbox) - 1; i >= 0 && stale <= MaxStaleTurns; i-- {
		m := e.inbox[i]
		if m.sender == environmentSender {
			continue
		}
		if m.action.ActionType != ActionNone {
			break
		}
		stale++
	}
	if stale > MaxStaleTurns {
		r.WriteString(ReasonStale)
	}
	return r.String()
}

func (e *Env) observation(seat int, text string) Observation {
	available := []ActionType{ActionNone}
	if !e.done && seat == e.acting {
		available = append([]ActionType(nil), AllActionTypes...)
	}
	return Observation{Seat: seat, Turn: e.turn, Text: text, AvailableActions: available}
}

func (e *Env) observationMessages(obs [Seats]Observation) []Message {
	out := make([]Message, 0, 2*Seats)
	for i, o := range obs {
		out = append(out, Message{Sender: environmentSender, Receiver: e.names[i], Text: o.Text})
	}
	return out
}

// Messages is the Sotopia message log so far (sotopia.md 1.7): per turn the two observations then
// the two actions ("did nothing" for the seat not in turn); after the end, a last list with only
// the final observations. The result is a copy.
func (e *Env) Messages() [][]Message { return e.MessagesFrom(0) }

// MessagesFrom is a copy of the message log's lists from index from on (none past the end): a
// follower that holds the lists before from catches up without the whole log being copied. Only
// the last list still grows (by the next step's actions).
func (e *Env) MessagesFrom(from int) [][]Message {
	from = min(max(from, 0), len(e.messages))
	out := make([][]Message, len(e.messages)-from)
	for i, turn := range e.messages[from:] {
		out[i] = append([]Message(nil), turn...)
	}
	return out
}

// JudgeHistory is the judge's transcript (sotopia.md 3.2): the environment-view context, then per
// step "Turn #n" (n from 1) and "<Name> <action text>" lines, joined by "\n". Like Sotopia it drops
// every entry whose text contains "did nothing", an utterance that says those words included.
func (e *Env) JudgeHistory() string {
	var lines []string
	for _, m := range e.inbox {
		if strings.Contains(m.text, "did nothing") {
			continue
		}
		if m.sender == environmentSender {
			lines = append(lines, m.text)
		} else {
			lines = append(lines, m.sender+" "+m.text)
		}
	}
	return strings.Join(lines, "\n")
}

// DialogueText is the context-embedding text of also-method.md 1.6: the agents' messages so far
// (no environment messages, none of the entries JudgeHistory drops), one per line as
// "<Full Name> <action text>", with every newline then replaced by a space.
func (e *Env) DialogueText() string {
	var lines []string
	for _, m := range e.inbox {
		if m.sender == environmentSender || strings.Contains(m.text, "did nothing") {
			continue
		}
		lines = append(lines, m.sender+" "+m.text)
	}
	return strings.ReplaceAll(strings.Join(lines, "\n"), "\n", " ")
}
