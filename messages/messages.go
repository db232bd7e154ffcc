// Package messages is the protocol the actors exchange: plain data, no behaviour, no pointers to
// shared state, no channels or funcs, so every message can cross a process boundary.
package messages

import (
	"github.com/also-project/also/policy/arms"
	"github.com/also-project/also/sotopia"
)

// StartEpisode asks an Episode actor to play one task.
type StartEpisode struct {
	Index   int // position of the task in the run's plan
	Attempt int // 0 for the first try
	Task    sotopia.Task
	Seed    int64
}

// EpisodeDone reports a finished (recorded) episode to the Runner.
type EpisodeDone struct {
	Index     int
	Attempt   int
	TaskID    string
	EpisodePK string
	Status    string // sotopia.StatusDone, StatusFailed or StatusInterrupted
	Error     string
	Usage     sotopia.Usage
}

// Observe delivers an observation to a seat that is not asked to act.
type Observe struct {
	Observation sotopia.Observation
}

// Delivered acknowledges Observe and SetStrategy, so a turn starts only once every seat's state
// (and the environment's hidden state) is settled: ordering must not depend on scheduling.
type Delivered struct {
	Seat int
	// Strategy says it acknowledges a SetStrategy (an Observe otherwise): a seat's strategy may
	// be set while an observation is being delivered to it (see actors' deferred choices).
	Strategy bool
}

// Act asks the acting seat for its action on this observation.
type Act struct {
	Turn        int
	Observation sotopia.Observation
}

// Action is an agent's reply to Act.
type Action struct {
	Seat   int
	Turn   int
	Action sotopia.AgentAction
	// Note says why the action is not what the agent's model answered (sotopia.ActionNoter).
	Note  string
	Error string
}

// SetStrategy injects a selected arm into a seat's own background; the Environment gets it too
// (a world's hidden state plays the active arms).
type SetStrategy struct {
	Seat int
	Arm  sotopia.ArmChoice
}

// ResetEnv asks the Environment to start the episode; it answers with the first TurnStart.
type ResetEnv struct{}

// NextTurn asks the Environment to open the next turn (once the strategies are in place).
type NextTurn struct{}

// TurnStart opens a turn: who acts, every seat's observation (the acting seat's carries the
// world's cue, if it has hidden state) and what is new in the message log.
type TurnStart struct {
	Turn         int
	Acting       int
	Observations [sotopia.Seats]sotopia.Observation
	Log          LogUpdate
	Error        string
}

// LogUpdate brings a follower's copy of the Sotopia message log up to date: its lists from index
// From on are replaced by Lists. Sending only what changed keeps an episode's messages linear in
// its turns (the whole log each turn was quadratic); From is before the end because the log's
// last list grows by the next step's actions, so it is sent again.
type LogUpdate struct {
	From  int
	Lists [][]sotopia.Message
}

// StepEnv applies the acting seat's action; WantDialogue asks for the dialogue text (context
// embedding), WantJudge for the turn's judge transcript (the episode's is always sent).
type StepEnv struct {
	Seat         int
	Action       sotopia.AgentAction
	WantDialogue bool
	WantJudge    bool
}

// Stepped is the Environment's reply to StepEnv: the new turn number, whether and why the
// episode ended, the judge's request for this turn (or the episode, when Done), the dialogue
// text if asked, and what is new in the message log.
type Stepped struct {
	Turn int
	// Next is the seat that acts next (its policy's choice is the one the next turn waits for).
	Next     int
	Done     bool
	Reason   string
	Judge    sotopia.JudgeRequest
	Dialogue string
	Log      LogUpdate
	Error    string
}

// JudgeTurn asks the Evaluator for the per-turn scores of both seats.
type JudgeTurn struct {
	Request sotopia.JudgeRequest
}

// TurnScores is the Evaluator's reply to JudgeTurn.
type TurnScores struct {
	Turn      int
	Judgement sotopia.Judgement
	Error     string
}

// JudgeEpisode asks the Evaluator for the terminal Sotopia-Eval scores.
type JudgeEpisode struct {
	Request sotopia.JudgeRequest
}

// EpisodeScores is the Evaluator's reply to JudgeEpisode.
type EpisodeScores struct {
	Judgement sotopia.Judgement
	Error     string
}

// Embed asks the Evaluator to embed texts (arm texts at the start, the dialogue once per turn).
type Embed struct {
	Purpose string // "arms" or "context"
	Turn    int
	Texts   []string
}

// Embedded is the reply to Embed.
type Embedded struct {
	Purpose string
	Turn    int
	Vectors [][]float64
	Error   string
}

// InitPolicy gives a Policy actor its arms (with embeddings) before the first turn.
type InitPolicy struct {
	Arms []arms.Arm
}

// PolicyReady acknowledges InitPolicy.
type PolicyReady struct {
	Seat int
	// CallsModels says the policy calls the world's optimiser or embedder while it steps (the
	// prompt optimisers): its steps are never deferred, so its calls keep their order.
	CallsModels bool
	Error       string
}

// PolicyStep feeds a Policy actor the reward of the arm that was active (if Feedback is set) and
// asks for the next arm (if Select is set).
type PolicyStep struct {
	Turn     int
	Feedback *arms.Feedback
	Select   bool
	Context  []float64
}

// PolicyChoice is the reply to PolicyStep.
type PolicyChoice struct {
	Seat     int
	Turn     int
	Selected bool
	Choice   arms.Choice
	// Created is the chosen arm when the policy wrote it during the episode (a prompt
	// optimiser's member past the pool), nil for pool arms; Evolution lists the optimiser steps
	// the policy took in this step.
	Created   *arms.Member
	Evolution []sotopia.OptimiserEvent
	Error     string
}

// SavePolicy asks a Policy actor for the checkpoint of the state it holds (carried to the next
// episode and written by --policy-out), once the episode's last reward is in.
type SavePolicy struct{}

// PolicySaved is the reply to SavePolicy. Checkpoint is the JSON of a policy.Checkpoint (the
// protocol does not depend on the policies).
type PolicySaved struct {
	Seat       int
	Checkpoint []byte
	Error      string
}

// Record asks the Recorder to persist an episode.
type Record struct {
	Index   int
	Episode sotopia.EpisodeLog
}

// Stored is the Recorder's acknowledgement: the episode is durable.
type Stored struct {
	PK    string
	Error string
}
