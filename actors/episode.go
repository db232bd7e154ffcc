package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/loop"
	"github.com/also-project/also/messages"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// Episode phases: which replies the episode is waiting for.
const (
	phaseArms    = "arm embeddings"
	phaseInit    = "policy initialisation"
	phaseEnv     = "environment"
	phaseObserve = "observation delivery"
	phaseAct     = "agent action"
	phaseJudge   = "per-turn judgement"
	phaseEmbed   = "context embedding"
	phasePolicy  = "policy choice"
	phaseChoice  = "policy choice of the seat that did not act"
	phaseFinal   = "terminal judgement"
	phaseSave    = "policy checkpoints"
	phaseRecord  = "recording"
)

// episodeActor drives one Sotopia environment through the message flow of ARCHITECTURE.md
// section 2. Children: two agents, an evaluator and one policy per optimised seat.
type episodeActor struct {
	spec     *Spec
	loop     *loop.Config
	base     context.Context
	start    messages.StartEpisode
	runner   *actor.PID
	recorder *actor.PID

	book      *loop.Book
	world     *sotopia.EpisodeWorld
	agents    [sotopia.Seats]*actor.PID
	evaluator *actor.PID
	env       *actor.PID
	policies  [sotopia.Seats]*actor.PID
	lanes     [sotopia.Seats]*nn.Pool // each policy's way into the training pool (choices.go)
	choices   [sotopia.Seats]seatChoice
	then      func(actor.Context) // what phaseChoice leads to once the choices are in (whenChosen)
	// callsModels marks the seats whose policy calls the world's models as it steps.
	callsModels [sotopia.Seats]bool
	next        int // the seat that acts next, as the Environment said after the last step
	phase       string
	pending     int
	obs         [sotopia.Seats]sotopia.Observation
	acting      int
	turn        int
	action      messages.Action // the acting seat's reply, until the Environment applied it
	dialogue    string
	log         [][]sotopia.Message // the Environment's message log, kept up to date by LogUpdates
	context     []float64
	failed      string
	// interrupted says the episode was cut by the run's cancellation (SIGINT/SIGTERM), not by a
	// fault of its own: it is recorded as interrupted, and --resume runs it again.
	interrupted bool

	// ends are the policies' end states (Spec.Carry), asked of the Policy actors once the episode
	// is judged and carried once it is stored; final is the terminal judgement meanwhile.
	ends  [sotopia.Seats]*policy.Checkpoint
	final sotopia.Judgement
}

// childFailed tells an actor that one of its children panicked (see failToParent).
type childFailed struct {
	child  string
	reason string
}

func (e *episodeActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		e.begin(c)
	case *actor.ReceiveTimeout:
		e.fail(c, fmt.Sprintf("timed out after %v waiting for %s", e.spec.StepTimeout, e.phase))
	case *childFailed:
		e.fail(c, fmt.Sprintf("%s panicked: %s", e.childName(m.child), m.reason))
	case *messages.Embedded:
		e.onEmbedded(c, m)
	case *messages.PolicyReady:
		if e.phase != phaseInit {
			return
		}
		if m.Error != "" {
			e.fail(c, fmt.Sprintf("seat %d policy: %s", m.Seat, m.Error))
			return
		}
		if m.Seat >= 0 && m.Seat < sotopia.Seats {
			e.callsModels[m.Seat] = m.CallsModels
		}
		if e.pending--; e.pending == 0 {
			e.reset(c)
		}
	case *messages.TurnStart:
		e.onTurnStart(c, m)
	case *messages.Stepped:
		e.onStepped(c, m)
	case *messages.Delivered:
		e.onDelivered(c, m)
	case *messages.Action:
		e.onAction(c, m)
	case *messages.TurnScores:
		e.onTurnScores(c, m)
	case *messages.PolicyChoice:
		e.onPolicyChoice(c, m)
	case *messages.EpisodeScores:
		if e.phase != phaseFinal {
			return
		}
		if m.Error != "" {
			e.fail(c, "terminal judge: "+m.Error)
			return
		}
		e.final = m.Judgement
		e.whenChosen(c, e.endPolicies)
	case *messages.PolicySaved:
		e.onPolicySaved(c, m)
	case *messages.Stored:
		e.onStored(c, m)
	}
}

func (e *episodeActor) begin(c actor.Context) {
	c.SetReceiveTimeout(e.spec.StepTimeout + e.spec.StepTimeout/10)
	b, err := loop.NewBook(e.loop, e.start.Attempt, e.start.Task, e.start.Seed)
	if err != nil {
		e.failEarly(c, err)
		return
	}
	e.book = b
	es := b.EpisodeSpec()
	es.Episode = e.start.Index
	w, err := e.spec.World.NewEpisode(e.base, es)
	if err != nil {
		e.failEarly(c, fmt.Errorf("world: %w", err))
		return
	}
	e.world, b.Models = w, w.Models
	env, err := sotopia.NewEnv(b.Setup())
	if err != nil {
		e.failEarly(c, err)
		return
	}
	ea := &environmentActor{env: env, hidden: w.Hidden}
	e.env = c.Spawn(actor.PropsFromProducer(func() actor.Actor { return ea }))
	for seat := range sotopia.Seats {
		a := &agentActor{base: e.base, seat: seat, agent: w.Agents[seat], spec: e.spec}
		e.agents[seat] = c.Spawn(actor.PropsFromProducer(func() actor.Actor { return a }))
	}
	ev := &evaluatorActor{base: e.base, judge: w.Judge, embedder: w.Embedder, spec: e.spec}
	e.evaluator = c.Spawn(actor.PropsFromProducer(func() actor.Actor { return ev }))
	if !e.spec.anyOptimised() {
		e.reset(c)
		return
	}
	var texts []string
	for seat := range sotopia.Seats {
		if e.spec.Optimised[seat] {
			for _, a := range b.Arms[seat] {
				texts = append(texts, a.Text)
			}
		}
	}
	e.phase = phaseArms
	c.Request(e.evaluator, &messages.Embed{Purpose: "arms", Texts: texts})
}

// failEarly records an episode that could not even be set up.
func (e *episodeActor) failEarly(c actor.Context, err error) {
	ep := &sotopia.EpisodeLog{PK: loop.PK(e.spec.Tag, e.spec.Seed, e.start.Task.PK, e.start.Attempt),
		Environment: e.start.Task.EnvID, Agents: e.start.Task.AgentIDs, Tag: e.spec.Tag, TaskID: e.start.Task.PK,
		Seed: e.start.Seed, Attempt: e.start.Attempt, Status: sotopia.StatusFailed, Error: err.Error(),
		Turns: []sotopia.TurnRecord{}}
	e.failed = err.Error()
	e.markInterrupted(ep)
	e.record(c, ep)
}

func (e *episodeActor) onEmbedded(c actor.Context, m *messages.Embedded) {
	switch {
	case m.Purpose == "arms" && e.phase == phaseArms:
		if m.Error != "" {
			e.fail(c, "arm embeddings: "+m.Error)
			return
		}
		e.phase, e.pending = phaseInit, 0
		next := 0
		for seat := range sotopia.Seats {
			if !e.spec.Optimised[seat] {
				continue
			}
			arms := make([]policy.Arm, len(e.book.Arms[seat]))
			for i, a := range e.book.Arms[seat] {
				arms[i] = policy.Arm{Index: i, ID: a.ID, Text: a.Text, Embedding: m.Vectors[next]}
				next++
			}
			if e.spec.Pool != nil {
				e.lanes[seat] = e.spec.Pool.Lane()
			}
			p := &policyActor{base: e.base, seat: seat, seed: e.start.Seed, spec: e.spec, lane: e.lanes[seat],
				optimiser: e.world.Optimiser, embedder: e.world.Embedder}
			e.policies[seat] = c.Spawn(actor.PropsFromProducer(func() actor.Actor { return p }))
			c.Request(e.policies[seat], &messages.InitPolicy{Arms: arms})
			e.pending++
		}
	case m.Purpose == "context" && e.phase == phaseEmbed:
		if m.Error != "" {
			e.fail(c, "context embedding: "+m.Error)
			return
		}
		e.context = m.Vectors[0]
		e.book.SetContextHash(e.context)
		e.policySteps(c)
	}
}

// reset asks the Environment for the first turn.
func (e *episodeActor) reset(c actor.Context) {
	e.phase = phaseEnv
	c.Request(e.env, &messages.ResetEnv{})
}

// nextTurn asks the Environment to open the next turn.
func (e *episodeActor) nextTurn(c actor.Context) {
	e.phase = phaseEnv
	c.Request(e.env, &messages.NextTurn{})
}

// fromEnv accepts an Environment reply (TurnStart or Stepped): it must be awaited, carry no
// error, and its log update must apply; otherwise the episode fails (or the reply is stale).
func (e *episodeActor) fromEnv(c actor.Context, errMsg string, log messages.LogUpdate) bool {
	if e.phase != phaseEnv {
		return false
	}
	if errMsg != "" {
		e.fail(c, errMsg)
		return false
	}
	if err := e.follow(log); err != nil {
		e.fail(c, err.Error())
		return false
	}
	return true
}

// onTurnStart delivers the new observation to the seats that do not act; once they have it,
// the acting seat is asked to act.
func (e *episodeActor) onTurnStart(c actor.Context, m *messages.TurnStart) {
	if !e.fromEnv(c, m.Error, m.Log) {
		return
	}
	e.obs, e.acting, e.turn = m.Observations, m.Acting, m.Turn
	e.book.SetEnv(loop.EnvState{Turn: m.Turn, Messages: e.log})
	e.phase, e.pending = phaseObserve, 0
	for seat := range sotopia.Seats {
		if seat != e.acting {
			c.Request(e.agents[seat], &messages.Observe{Observation: e.obs[seat]})
			e.pending++
		}
	}
	if e.pending == 0 {
		e.act(c)
	}
}

func (e *episodeActor) act(c actor.Context) {
	e.phase = phaseAct
	c.Request(e.agents[e.acting], &messages.Act{Turn: e.turn, Observation: e.obs[e.acting]})
}

// onDelivered counts acknowledgements of observations and (choices.go) strategies.
func (e *episodeActor) onDelivered(c actor.Context, m *messages.Delivered) {
	if m.Strategy {
		e.onStrategySet(c, m.Seat)
		return
	}
	if e.phase != phaseObserve {
		return
	}
	if e.pending--; e.pending == 0 {
		e.act(c)
	}
}

func (e *episodeActor) onAction(c actor.Context, m *messages.Action) {
	if e.phase != phaseAct || m.Seat != e.acting {
		return
	}
	if m.Error != "" {
		e.fail(c, fmt.Sprintf("seat %d agent: %s", m.Seat, m.Error))
		return
	}
	e.action = *m
	e.stepEnv(c)
}

// stepEnv hands the acting seat's action to the Environment.
func (e *episodeActor) stepEnv(c actor.Context) {
	e.phase = phaseEnv
	c.Request(e.env, &messages.StepEnv{Seat: e.action.Seat, Action: e.action.Action, WantDialogue: e.spec.embedsDialogue(),
		WantJudge: e.spec.anyOptimised()})
}

// onStepped records the step the Environment applied and asks for its judgement.
func (e *episodeActor) onStepped(c actor.Context, m *messages.Stepped) {
	if !e.fromEnv(c, m.Error, m.Log) {
		return
	}
	e.turn, e.dialogue, e.next = m.Turn, m.Dialogue, m.Next
	e.book.SetEnv(loop.EnvState{Turn: m.Turn, Messages: e.log, Reason: m.Reason})
	e.book.RecordStep(e.action.Seat, e.action.Action, e.action.Note)
	req := m.Judge
	switch {
	case m.Done:
		e.phase = phaseFinal
		c.Request(e.evaluator, &messages.JudgeEpisode{Request: req})
	case e.spec.anyOptimised():
		e.phase = phaseJudge
		c.Request(e.evaluator, &messages.JudgeTurn{Request: req})
	default:
		e.nextTurn(c)
	}
}

func (e *episodeActor) onTurnScores(c actor.Context, m *messages.TurnScores) {
	if e.phase != phaseJudge {
		return
	}
	if m.Error != "" {
		// No reward this turn: recorded, and the policies are not updated (never a silent zero).
		e.book.NoteJudgeError(m.Error)
	} else {
		e.book.ApplyJudgement(m.Judgement)
	}
	if e.spec.embedsDialogue() {
		e.phase = phaseEmbed
		c.Request(e.evaluator, &messages.Embed{Purpose: "context", Turn: m.Turn, Texts: []string{e.dialogue}})
		return
	}
	e.policySteps(c)
}

// fail records the episode as failed with its reason; later replies are ignored.
func (e *episodeActor) fail(c actor.Context, reason string) {
	if e.failed != "" || e.phase == phaseRecord || e.book == nil {
		return
	}
	e.failed = reason
	ep := e.book.Finish(nil, reason)
	e.markInterrupted(ep)
	e.record(c, ep)
}

// markInterrupted turns a failure into an interruption when the run itself was cancelled: its
// calls failed because of the cancellation (context canceled), whatever error surfaced first.
func (e *episodeActor) markInterrupted(ep *sotopia.EpisodeLog) {
	if e.base.Err() == nil {
		return
	}
	e.interrupted = true
	ep.Status = sotopia.StatusInterrupted
	ep.Error = "interrupted: " + context.Cause(e.base).Error() + " (" + ep.Error + ")"
}

func (e *episodeActor) record(c actor.Context, ep *sotopia.EpisodeLog) {
	if e.world != nil && e.world.Usage != nil && e.book != nil {
		e.book.Usage = e.world.Usage()
		if ep.Usage == nil && e.book.Usage.Calls > 0 {
			u := e.book.Usage
			ep.Usage = &u
		}
	}
	e.phase = phaseRecord
	c.Request(e.recorder, &messages.Record{Index: e.start.Index, Episode: *ep})
}

func (e *episodeActor) onStored(c actor.Context, m *messages.Stored) {
	if e.phase != phaseRecord {
		return
	}
	done := &messages.EpisodeDone{Index: e.start.Index, Attempt: e.start.Attempt, TaskID: e.start.Task.PK,
		EpisodePK: m.PK, Status: sotopia.StatusDone, Error: e.failed}
	switch {
	case e.interrupted:
		done.Status = sotopia.StatusInterrupted
	case e.failed != "":
		done.Status = sotopia.StatusFailed
	}
	if m.Error != "" {
		done.Status, done.Error = sotopia.StatusFailed, "recording: "+m.Error
	}
	if e.book != nil {
		done.Usage = e.book.Usage
	}
	if done.Status == sotopia.StatusDone {
		for seat, cp := range e.ends {
			if cp != nil {
				e.spec.Carry.Set(seat, *cp)
			}
		}
	}
	c.CancelReceiveTimeout()
	c.Send(e.runner, done)
	c.Stop(c.Self())
}

// endPolicies asks each optimised seat's Policy actor for the checkpoint of the state it ended
// with (Spec.Carry), then records the episode. Checkpointed before recording: a state that cannot
// be carried fails the episode in its stored log too, not only in the runner's count.
func (e *episodeActor) endPolicies(c actor.Context) {
	e.phase, e.pending = phaseSave, 0
	if e.spec.Carry != nil {
		for _, pid := range e.policies {
			if pid != nil {
				c.Request(pid, &messages.SavePolicy{})
				e.pending++
			}
		}
	}
	if e.pending == 0 {
		e.record(c, e.book.Finish(&e.final, ""))
	}
}

// onPolicySaved keeps a seat's end state (handed to Spec.Carry once the episode is stored as
// done); the last one records the episode.
func (e *episodeActor) onPolicySaved(c actor.Context, m *messages.PolicySaved) {
	if e.phase != phaseSave {
		return
	}
	done, err := e.keepEnd(m)
	if err != nil {
		e.fail(c, err.Error())
		return
	}
	if done {
		e.record(c, e.book.Finish(&e.final, ""))
	}
}

// keepEnd checks one PolicySaved and keeps its checkpoint; done says every asked seat answered.
// A second answer for a seat is an error, not a count: counted, it would record the episode
// before the other seat's state is in.
func (e *episodeActor) keepEnd(m *messages.PolicySaved) (done bool, err error) {
	switch {
	case m.Error != "":
		return false, errors.New(m.Error)
	case m.Seat < 0 || m.Seat >= sotopia.Seats || e.policies[m.Seat] == nil:
		return false, fmt.Errorf("a policy checkpoint for seat %d, which has no policy", m.Seat)
	case e.ends[m.Seat] != nil:
		return false, fmt.Errorf("p%d policy checkpoint: a second answer to one request", m.Seat+1)
	}
	var cp policy.Checkpoint
	if err := json.Unmarshal(m.Checkpoint, &cp); err != nil {
		return false, fmt.Errorf("p%d policy checkpoint: %v", m.Seat+1, err)
	}
	e.ends[m.Seat] = &cp
	e.pending--
	return e.pending == 0, nil
}

func (e *episodeActor) childName(id string) string {
	for seat, p := range e.agents {
		if p != nil && p.Id == id {
			return fmt.Sprintf("seat %d agent", seat)
		}
	}
	for seat, p := range e.policies {
		if p != nil && p.Id == id {
			return fmt.Sprintf("seat %d policy", seat)
		}
	}
	if e.evaluator != nil && e.evaluator.Id == id {
		return "evaluator"
	}
	if e.env != nil && e.env.Id == id {
		return "environment"
	}
	return "child " + id
}

// failToParent is the supervision strategy of Episodes and the Runner: a failing child is stopped
// and its parent is told, so a panic fails one episode and never the batch.
type failToParent struct{}

func (failToParent) HandleFailure(sys *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, _ interface{}) {
	sup.StopChildren(child)
	if s, ok := sup.(interface{ Self() *actor.PID }); ok {
		sys.Root.Send(s.Self(), &childFailed{child: child.Id, reason: fmt.Sprint(reason)})
	}
}

// follow applies the Environment's log update to the episode's copy of the message log. The
// lists it replaces are the episode's own (each update carries fresh copies), so no one else
// sees them change.
func (e *episodeActor) follow(u messages.LogUpdate) error {
	if u.From < 0 || u.From > len(e.log) {
		return fmt.Errorf("environment: message log update from list %d, but the episode holds %d", u.From, len(e.log))
	}
	e.log = append(e.log[:u.From], u.Lists...)
	return nil
}
