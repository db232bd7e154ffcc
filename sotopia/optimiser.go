package sotopia

import "context"

// OptimiserCall is one call of a prompt optimiser (OPRO, EvoPrompt, PromptBreeder): one user
// message, a temperature and a number of samples, as the artifact sends them. Operator, Seat
// and Turn say who asks; a live world puts them in the cache key, so that two identical
// prompts at different turns get their own samples.
type OptimiserCall struct {
	Operator    string
	Seat        int
	Turn        int
	Prompt      string
	Temperature float64
	Samples     int
}

// Optimiser is the world's optimiser LLM: the live world's goes through the llm layer (usage
// role "optimiser"), the sim world answers offline.
type Optimiser interface {
	Optimise(ctx context.Context, call OptimiserCall) ([]string, error)
}

// OptimiserEvent records one optimiser step of a population policy: what it was asked, what it
// kept and why it dropped the rest. Episode logs keep them in the seat's turn record.
type OptimiserEvent struct {
	Turn     int      `json:"turn"`
	Operator string   `json:"operator"`
	Parents  []string `json:"parents,omitempty"`
	// Answers is how many texts the optimiser returned; Accepted the IDs of the members made
	// from them; Rejected why the others were not used (with the answer).
	Answers  int         `json:"answers"`
	Accepted []string    `json:"accepted,omitempty"`
	Rejected []Rejection `json:"rejected,omitempty"`
	// Replaced is the ID of the member a new one took the place of; Reverted names a DE trial
	// that lost to the member it challenged, which is back.
	Replaced string `json:"replaced,omitempty"`
	Reverted string `json:"reverted,omitempty"`
	Err      string `json:"error,omitempty"`
}

// Rejection is an unusable optimiser answer.
type Rejection struct {
	Reason string `json:"reason"`
	Answer string `json:"answer"`
}
