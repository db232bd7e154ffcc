// Package arms is the vocabulary a seat's policy shares with the rest of the program: arms,
// feedback, choices and the members of a population policy. Plain data with no behaviour and no
// imports, so the actors' protocol (package messages) carries it without linking the policies.
package arms

// Arm is one strategy of a seat's pool as a policy sees it.
type Arm struct {
	Index int
	ID    string
	// Embedding of the arm text (or strategy text); nil when the policy needs none.
	Embedding []float64
	// Text is the full arm text; the population policies (opro, evoprompt-*, promptbreeder)
	// show it to their optimiser.
	Text string
}

// Feedback is one observed reward for the arm that was active.
type Feedback struct {
	Turn   int
	Arm    int
	Reward float64 // in [0,1]
	// Dims are the seven normalised Sotopia-Eval scores behind Reward, when known.
	Dims []float64
	// Context is the embedding of the dialogue so far (shared by both seats), nil if disabled.
	Context []float64
}

// Choice is a selection: the arm, the probability it was drawn with, and the whole distribution
// where the policy has one.
type Choice struct {
	Arm   int
	Prob  float64
	Probs []float64
}

// Member is one arm of a population policy: a seed arm of the pool or a text the optimiser wrote
// during the episode.
type Member struct {
	// Index identifies the arm in Choice.Arm and Feedback.Arm: pool arms keep their pool index,
	// created arms get the next free index past the pool, never reused.
	Index     int       `json:"index"`
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	Embedding []float64 `json:"-"`
	// Parents are the IDs of the members the text was made from; Operator says how ("seed" for
	// pool arms). Born is the turn after which it was created (0 for seeds).
	Parents  []string `json:"parents,omitempty"`
	Operator string   `json:"operator"`
	Born     int      `json:"born"`
	// Fitness is the latest reward (the artifact's "replace" update), or the inherited or
	// initial value until Evaluated.
	Fitness   float64 `json:"fitness"`
	Evaluated bool    `json:"evaluated"`
	// MutationPrompt and ThinkingStyle are PromptBreeder's per-unit operators.
	MutationPrompt string `json:"mutation_prompt,omitempty"`
	ThinkingStyle  string `json:"thinking_style,omitempty"`
}
