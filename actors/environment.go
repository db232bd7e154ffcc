package actors

import (
	"encoding/json"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/messages"
	"github.com/also-project/also/sotopia"
)

// environmentActor owns the Sotopia environment of one episode (turn order, observations,
// termination, the message log and the judges' transcript) and, in a world with hidden state
// (the sim world), that state: the agents and the judge learn what they need of it only from
// the Cue and Facts this actor puts in their messages.
type environmentActor struct {
	env    *sotopia.Env
	hidden sotopia.Hidden
	obs    [sotopia.Seats]sotopia.Observation
	// sent is how many lists of the message log the Episode holds (LogUpdate).
	sent int
}

func (a *environmentActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *messages.ResetEnv:
		a.obs, a.sent = a.env.Reset(), 0
		c.Respond(a.turnStart())
	case *messages.NextTurn:
		c.Respond(a.turnStart())
	case *messages.SetStrategy:
		if a.hidden != nil {
			a.hidden.SetArm(m.Seat, m.Arm)
		}
		c.Respond(&messages.Delivered{Seat: m.Seat, Strategy: true})
	case *messages.StepEnv:
		c.Respond(a.step(m))
	}
}

// turnStart opens the current turn; the acting seat's observation gets the hidden state's cue.
func (a *environmentActor) turnStart() *messages.TurnStart {
	out := &messages.TurnStart{Turn: a.env.Turn(), Acting: a.env.Acting(), Observations: a.obs, Log: a.logUpdate()}
	if a.hidden != nil {
		cue, err := a.hidden.Cue(a.obs[out.Acting])
		if err != nil {
			out.Error = fmt.Sprintf("hidden state, turn %d: %v", out.Turn+1, err)
			return out
		}
		out.Observations[out.Acting].Cue = cue
	}
	return out
}

func (a *environmentActor) step(m *messages.StepEnv) *messages.Stepped {
	obs, done, _, err := a.env.Step(m.Seat, m.Action)
	if err != nil {
		return &messages.Stepped{Error: fmt.Sprintf("seat %d action: %v", m.Seat, err)}
	}
	a.obs = obs
	out := &messages.Stepped{Turn: a.env.Turn(), Next: a.env.Acting(), Done: done, Reason: a.env.Reason(), Log: a.logUpdate(),
		Judge: sotopia.JudgeRequest{Turn: a.env.Turn()}}
	if done || m.WantJudge {
		// The transcript grows every turn: build it only when a judge will read it.
		out.Judge.History = a.env.JudgeHistory()
	}
	if m.WantDialogue && !done {
		out.Dialogue = a.env.DialogueText()
	}
	if a.hidden != nil && (done || m.WantJudge) {
		// The facts are for the judge: built only when one will read them, for this turn or,
		// at the end, the whole episode.
		var facts json.RawMessage
		if done {
			facts, err = a.hidden.EpisodeFacts()
		} else {
			facts, err = a.hidden.TurnFacts(out.Turn)
		}
		if err != nil {
			out.Error = fmt.Sprintf("hidden state, turn %d: %v", out.Turn, err)
		}
		out.Judge.Facts = facts
	}
	return out
}

// logUpdate is what the Episode lacks of the message log: the last list it holds (which may have
// grown since) and every list after it.
func (a *environmentActor) logUpdate() messages.LogUpdate {
	from := max(0, a.sent-1)
	lists := a.env.MessagesFrom(from)
	a.sent = from + len(lists)
	return messages.LogUpdate{From: from, Lists: lists}
}
