// Package live is the LLM-backed Sotopia world (sotopia.World): agents that role-play with a chat
// model, the Sotopia-Eval judge (per turn and at the end) and the context embedder, all through
// package llm (routing, retries, limits, record/replay cache, usage and cost).
package live

import (
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"math"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// Name is the world's name (sotopia.World.Name).
const Name = "live"

// Config configures the live world. Start from DefaultConfig; Router is required.
type Config struct {
	// P1Model and P2Model play seats 0 and 1 (heterogeneous pairing when they differ).
	P1Model, P2Model string
	// SeatAgents puts another agent than the LLM in a seat (package agents; zero: llm). A seat
	// that is not llm never calls its P1Model/P2Model (a switch seat calls its stage models).
	SeatAgents [sotopia.Seats]agents.Spec
	// RewardEvalModel is the per-turn judge, TerminalEvalModel the end-of-episode judge.
	RewardEvalModel, TerminalEvalModel string
	// EmbeddingModel embeds arm texts and the dialogue so far.
	EmbeddingModel string
	// EmbeddingDim asks the embedding model for vectors of this length (0 = its default).
	EmbeddingDim int
	// ReformatModel answers the one fix-up call for unparsable agent output; "" means the
	// agent's own model (as ALSO does; Sotopia used a fixed gpt-3.5/4o-mini).
	ReformatModel string

	// OptimizerModel writes new arm texts for the prompt-optimising policies (opro,
	// evoprompt-*, promptbreeder); "" means the world offers no optimiser (no key is needed).
	OptimizerModel string

	// Temperature and MaxTokens govern agent calls (MaxTokens 0 = not sent).
	Temperature float64
	MaxTokens   int
	// JudgeMaxTokens bounds judge answers; JudgeAttempts is how many answers a judge may give
	// before failing on unparsable or out-of-range output. Judges run at temperature 0.
	JudgeMaxTokens int
	JudgeAttempts  int
	// JudgePrompts selects the judges' prompts: the ALSO artifact's (default) or Sotopia's stock
	// one. The agents' prompts follow the episode's Setup.Era.
	JudgePrompts sotopia.JudgePrompts

	// ProviderPreferences are OpenRouter routing preferences by model name, sent with every
	// action, judge and embedding call to that model but never with the fix-up call (as in
	// the artifact, whose format_bad_output call carries no provider pin).
	ProviderPreferences map[string]llm.ProviderPreferences

	// Router resolves model names and carries the cache; required.
	Router *llm.Router
	// Meter is the run's meter (with its Budget); every episode records into a child of it.
	// Nil means a fresh unlimited meter.
	Meter *llm.Meter
}

// Defaults from the ALSO artifact (also-method.md section 6).
const (
	DefaultAgentModel        = "openrouter/openai/gpt-4o-mini"
	DefaultRewardEvalModel   = "openrouter/deepseek/deepseek-v3.2"
	DefaultTerminalEvalModel = "openrouter/openai/gpt-4o"
	DefaultEmbeddingModel    = "openrouter/qwen/qwen3-embedding-8b"
	// DefaultOptimizerModel is the artifact's optimiser for OPRO, EvoPrompt and PromptBreeder
	// (OPROConfig and EvoPromptConfig defaults; no CLI flag there).
	DefaultOptimizerModel = "openrouter/qwen/qwen-2.5-7b-instruct"
)

// DefaultConfig is the paper's setup: gpt-4o-mini agents at temperature 0.7 with 4096 tokens,
// DeepSeek-V3.2 per-turn judge, GPT-4o terminal judge (both at temperature 0 with 4096 tokens and
// the artifact's prompts), Qwen3-Embedding-8B, 3 judge attempts.
func DefaultConfig() Config {
	return Config{
		P1Model:           DefaultAgentModel,
		P2Model:           DefaultAgentModel,
		RewardEvalModel:   DefaultRewardEvalModel,
		TerminalEvalModel: DefaultTerminalEvalModel,
		EmbeddingModel:    DefaultEmbeddingModel,
		Temperature:       0.7,
		MaxTokens:         4096,
		JudgeMaxTokens:    4096,
		JudgeAttempts:     3,
		JudgePrompts:      sotopia.JudgePromptsALSO,
	}
}

// Validate reports the first bad field by its name.
func (c Config) Validate() error {
	for _, f := range []struct{ field, name string }{
		{"P1Model", c.P1Model}, {"P2Model", c.P2Model}, {"RewardEvalModel", c.RewardEvalModel},
		{"TerminalEvalModel", c.TerminalEvalModel}, {"EmbeddingModel", c.EmbeddingModel},
	} {
		if f.name == "" {
			return fmt.Errorf("live: %s is empty", f.field)
		}
		if f.name == llm.SimModel {
			return fmt.Errorf("live: %s is %q: the simulated world is sotopia/sim, not a live model", f.field, f.name)
		}
	}
	if c.OptimizerModel == llm.SimModel {
		return fmt.Errorf("live: OptimizerModel is %q: the simulated world is sotopia/sim, not a live model", c.OptimizerModel)
	}
	if _, err := sotopia.ParseJudgePrompts(string(c.JudgePrompts)); err != nil {
		return fmt.Errorf("live: JudgePrompts: %w", err)
	}
	switch {
	case c.Router == nil:
		return fmt.Errorf("live: no Router")
	case math.IsNaN(c.Temperature) || c.Temperature < 0 || c.Temperature > 2:
		return fmt.Errorf("live: Temperature %v outside [0, 2]", c.Temperature)
	case c.MaxTokens < 0:
		return fmt.Errorf("live: MaxTokens %d is negative", c.MaxTokens)
	case c.JudgeMaxTokens < 0:
		return fmt.Errorf("live: JudgeMaxTokens %d is negative", c.JudgeMaxTokens)
	case c.JudgeAttempts < 1:
		return fmt.Errorf("live: JudgeAttempts %d, want >= 1", c.JudgeAttempts)
	case c.EmbeddingDim < 0:
		return fmt.Errorf("live: EmbeddingDim %d is negative", c.EmbeddingDim)
	}
	return nil
}
