package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/loop"
	"github.com/also-project/also/messages"
)

// After each judged turn the learning seats' policies update and reselect (loop.Book.PolicySteps),
// which for the neural bandits means a retraining. The next turn needs only the choice of the
// seat that acts next before its model call. The other seat's choice is needed only once the
// next turn is judged: before the policies step again (their feedback names the arm played) or
// the episode ends. So that seat's step is deferred: it trains during the next speaker's model
// call and the next turn's judgement, and its lane into the training pool is marked background
// meanwhile, urgent once the episode waits for it. The turn's record is written when the
// Environment steps; a choice that lands after that is written into it then (loop.Book.Choose),
// so the records, and therefore the stored episode, are the same as when every choice is
// awaited at once. loop.DeferChoice decides, and says when a choice is never deferred.

// seatChoice is a seat's outstanding policy step.
type seatChoice struct {
	asked    bool // a PolicyStep is out, its PolicyChoice not yet handled
	acks     int  // SetStrategy acknowledgements still to come (the agent's and the Environment's)
	deferred bool // the next turn may open without it
}

// policySteps feeds each learning seat its reward and asks the reselecting ones for the next arm
// (loop.Book.PolicySteps: credit assignment and alternation), once the deferred choices of the
// last steps are in.
func (e *episodeActor) policySteps(c actor.Context) { e.whenChosen(c, e.stepPolicies) }

func (e *episodeActor) stepPolicies(c actor.Context) {
	e.phase = phasePolicy
	for _, st := range e.book.PolicySteps(e.acting) {
		deferred := loop.DeferChoice(st.Seat, e.next, e.world.Hidden != nil, e.callsModels[st.Seat])
		if lane := e.lanes[st.Seat]; lane != nil {
			lane.SetUrgent(!deferred)
		}
		e.choices[st.Seat] = seatChoice{asked: true, deferred: deferred}
		e.book.ChoiceAsked(st.Seat)
		c.Request(e.policies[st.Seat], &messages.PolicyStep{Turn: e.turn, Feedback: e.book.Feedback(st.Seat, e.context),
			Select: st.Select, Context: e.context})
	}
	e.settle(c)
}

// settled reports whether the seats' choices are in place: all of them, or only those the next
// turn cannot open without.
func (e *episodeActor) settled(all bool) bool {
	for _, ch := range e.choices {
		if (ch.asked || ch.acks > 0) && (all || !ch.deferred) {
			return false
		}
	}
	return true
}

// whenChosen runs then once every seat's choice is in place: at once, or after the deferred
// choices land, whose trainings are now what the episode waits for.
func (e *episodeActor) whenChosen(c actor.Context, then func(actor.Context)) {
	if e.settled(true) {
		then(c)
		return
	}
	e.phase, e.then = phaseChoice, then
	for seat, ch := range e.choices {
		if ch.asked && e.lanes[seat] != nil {
			e.lanes[seat].SetUrgent(true)
		}
	}
}

// settle moves the episode on once what its phase waits for is in place.
func (e *episodeActor) settle(c actor.Context) {
	switch {
	case e.phase == phasePolicy && e.settled(false):
		e.nextTurn(c)
	case e.phase == phaseChoice && e.settled(true):
		then := e.then
		e.then = nil
		then(c)
	}
}

// onPolicyChoice makes a seat's choice its active arm, in the agent and the Environment, whatever
// the phase (a deferred choice arrives during the next turn).
func (e *episodeActor) onPolicyChoice(c actor.Context, m *messages.PolicyChoice) {
	if e.phase == phaseRecord || m.Seat < 0 || m.Seat >= len(e.choices) || !e.choices[m.Seat].asked {
		return
	}
	e.choices[m.Seat].asked = false
	e.book.NoteEvolution(m.Seat, m.Turn, m.Evolution)
	if m.Error != "" {
		e.fail(c, fmt.Sprintf("seat %d policy: %s", m.Seat, m.Error))
		return
	}
	if !m.Selected {
		e.book.NoChoice(m.Seat)
	} else {
		if m.Created != nil {
			e.book.AddCreated(m.Seat, *m.Created)
		}
		arm, err := e.book.Choose(m.Seat, m.Choice)
		if err != nil {
			e.fail(c, err.Error())
			return
		}
		// The strategy must be in place (in the agent and the environment's hidden state) before
		// the seat's next turn: wait for both acknowledgements.
		e.choices[m.Seat].acks += 2
		c.Request(e.agents[m.Seat], &messages.SetStrategy{Seat: m.Seat, Arm: arm})
		c.Request(e.env, &messages.SetStrategy{Seat: m.Seat, Arm: arm})
	}
	e.settle(c)
}

// onStrategySet counts a SetStrategy acknowledgement.
func (e *episodeActor) onStrategySet(c actor.Context, seat int) {
	if e.phase == phaseRecord || seat < 0 || seat >= len(e.choices) || e.choices[seat].acks == 0 {
		return
	}
	e.choices[seat].acks--
	e.settle(c)
}
