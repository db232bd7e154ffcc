package sotopia

import (
	"context"
	"encoding/json"
)

// Era selects Sotopia's rendering and termination rules (sotopia.md sections 2.2 and 2.7).
type Era string

const (
	// EraBenchmark is Sotopia from Mar 2024 (the `sotopia benchmark` CLI, Sotopia-pi/RL), and what
	// an empty Era means. EraALSO (the artifact's prompts over these rules) is `also run`'s default.
	EraBenchmark Era = "benchmark"
	// Era2023 reproduces the released 2023 (ICLR) episodes: both background lines always printed,
	// a hidden bio printed empty, and the "> max turns" rule.
	Era2023 Era = "2023"
)

// Setup is everything about one episode that agents, judges and the environment share.
type Setup struct {
	Task     Task
	Env      *EnvironmentProfile
	Agents   [Seats]*AgentProfile
	Era      Era
	MaxTurns int
	// Omniscient shows each agent the other's goal (Sotopia's omniscient flag).
	Omniscient bool
}

// Observation is what one seat receives after a step (Sotopia's Observation).
type Observation struct {
	Seat int `json:"seat"`
	// Turn is the environment turn number: 0 for the context, k for "Turn #k-1: ...".
	Turn int `json:"turn"`
	// Text is the rendered observation exactly as Sotopia logs it.
	Text             string       `json:"text"`
	AvailableActions []ActionType `json:"available_actions"`
	// Cue is what a world with hidden state (Hidden) tells the acting seat's agent about the turn
	// it must voice (the sim world's decided action and what it reveals); nil otherwise.
	Cue json.RawMessage `json:"cue,omitempty"`
}

// ArmChoice is a strategy selected for a seat: its index in the pool, id, the strategy text and the
// full arm text that replaces the seat's background in its own context.
type ArmChoice struct {
	Index       int    `json:"index"`
	ID          string `json:"id"`
	Description string `json:"description"`
	Text        string `json:"text"`
}

// Agent plays one seat. Implementations: LLM-backed (sotopia/live), simulated and scripted
// (sotopia/sim). Calls for one agent are never concurrent.
type Agent interface {
	// Observe delivers an observation the seat receives without being asked to act. Every
	// observation reaches the agent exactly once, through Observe or Act, in turn order.
	Observe(obs Observation)
	// Act returns this seat's action for the newest observation (earlier ones went through Observe
	// or Act, in order). A seat that may only do `none` is not asked.
	Act(ctx context.Context, obs Observation) (AgentAction, error)
	// SetStrategy injects an arm into the agent's own copy of its background; it governs the
	// agent's next utterances.
	SetStrategy(arm ArmChoice)
}

// ActionNoter is implemented by agents that can turn an unusable model output into an action
// (the live agent answers `none` after a failed fix-up call): ActionNote says what happened on a
// turn, "" if nothing, so the episode log shows why an action is not what the model said.
type ActionNoter interface {
	ActionNote(turn int) string
}

// JudgeRequest is what a judge sees: the environment-view history (both backgrounds, goals and
// secrets, then the turns) and the step number.
type JudgeRequest struct {
	Turn    int    `json:"turn"`
	History string `json:"history"`
	// Facts is what a world with hidden state (Hidden) tells its judge about the turn or the
	// episode; nil otherwise.
	Facts json.RawMessage `json:"facts,omitempty"`
}

// Judgement is the judge's verdict for both seats.
type Judgement struct {
	Scores    [Seats]Scores `json:"scores"`
	Reasoning string        `json:"reasoning"`
	Prompt    string        `json:"prompt,omitempty"`
	// Expected, when the world knows it (sim), is each seat's expected per-turn reward of every arm
	// at this turn, holding the other seat's arm fixed. Nil otherwise.
	Expected [Seats][]float64 `json:"expected,omitempty"`
}

// Judge scores conversations with Sotopia-Eval, per turn and at the end.
type Judge interface {
	JudgeTurn(ctx context.Context, req JudgeRequest) (Judgement, error)
	JudgeEpisode(ctx context.Context, req JudgeRequest) (Judgement, error)
}

// Embedder maps texts (arm texts, dialogue so far) to vectors.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float64, error)
}

// EpisodeSpec asks a world for the participants of one episode.
type EpisodeSpec struct {
	Setup *Setup
	// Seed makes the episode's hidden state and noise reproducible (sim world).
	Seed int64
	// Arms is each seat's arm pool (index 0 = no strategy); the sim world reads its preferences from it.
	Arms [Seats][]ArmChoice
	// Optimised says which seats have a policy.
	Optimised [Seats]bool
	// Episode is the task's 0-based position in the run's plan (a switching opponent may change
	// model by episode).
	Episode int
}

// EpisodeWorld holds the participants of one episode.
type EpisodeWorld struct {
	Agents   [Seats]Agent
	Judge    Judge
	Embedder Embedder
	// Models names what plays each role, for EpisodeLog.models: [judge, seat0, seat1].
	Models []string
	// Usage, if set, reports the LLM usage of this episode so far.
	Usage func() Usage
	// Optimiser writes new arm texts for the prompt-optimising policies (opro, evoprompt-*,
	// promptbreeder); nil when the world has none configured.
	Optimiser Optimiser
	// Hidden is the world's hidden state of the episode (the sim world's; nil for a live one).
	// The environment actor owns it; agents and the judge learn from it only through Cue and
	// Facts in their messages, so no state is shared between the actors of an episode.
	Hidden Hidden
}

// Hidden is a world's hidden state for one episode, driven by the environment alone.
type Hidden interface {
	// SetArm makes arm the seat's active strategy from the next turn on.
	SetArm(seat int, arm ArmChoice)
	// Cue plays the hidden side of the turn obs prompts (the acting seat's) and returns what its
	// agent needs to voice it. Asking again for the same turn returns the same cue.
	Cue(obs Observation) (json.RawMessage, error)
	// TurnFacts and EpisodeFacts are what the judge needs for a played turn and for the episode.
	TurnFacts(turn int) (json.RawMessage, error)
	EpisodeFacts() (json.RawMessage, error)
}

// World builds episodes: the simulated world (sotopia/sim) or the live one (LLMs, sotopia/live).
type World interface {
	Name() string
	NewEpisode(ctx context.Context, spec EpisodeSpec) (*EpisodeWorld, error)
}
