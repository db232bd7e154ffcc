package session

import (
	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// planOptimiser adds the optimiser calls of the prompt-optimising bandits to a plan: per
// optimised seat, an evolution after every turn t < steps with t a multiple of the evolution
// interval (the policy evolves in Select(t) when t - last >= interval), each making the calls of
// its bandit with prompts of the artifact's templates filled with arm texts of the pool's mean
// length, answered by one arm text each; every accepted text is also embedded once. Estimates:
// a real run drops unusable answers and PromptBreeder draws its hyper-mutations at random
// (here: the expected 2/3 of replications that make a second call).
func planOptimiser(cfg config.Run, setup *sotopia.Setup, strategies []sotopia.Strategy, optimised [sotopia.Seats]bool,
	steps int, m liveModels, t *planTally) {
	if m.optimizer == "" {
		return
	}
	p := cfg.Policy
	evolutions := 0
	for turn := p.EvolutionInterval; turn < steps; turn += p.EvolutionInterval {
		evolutions++
	}
	size := min(p.PopulationSize, len(strategies))
	for seat := range sotopia.Seats {
		if !optimised[seat] || evolutions == 0 {
			continue
		}
		bg := setup.OwnBackground(seat)
		arm := 0
		for _, s := range strategies[:size] {
			arm += len(sotopia.ArmText(bg, s))
		}
		arm /= max(1, size)
		var calls, promptChars, children float64
		switch cfg.Bandit {
		case "opro":
			// Top-k of the trajectory (at most what was played), n samples of one prompt.
			shown := min(p.OPRO.TopK, size)
			calls, promptChars, children = float64(p.OPRO.Samples), float64(len(sotopia.OPROMetaPrompt)+shown*(arm+30)), float64(p.OPRO.Samples)
		case "evoprompt-ga", "evoprompt_ga", "evoprompt":
			n := float64(max(1, size/5))
			calls, promptChars, children = n, float64(len(sotopia.EvoPromptGA)+4*arm), n
		case "evoprompt-de", "evoprompt_de":
			n := float64(size - 1)
			calls, promptChars, children = n, float64(len(sotopia.EvoPromptDE)+8*arm), n
		default: // promptbreeder
			pairs := float64(size / 2)
			calls, promptChars, children = pairs*5/3, float64(len(sotopia.PromptBreederMutation)+arm+200), pairs
		}
		e := float64(evolutions)
		t.add(PlanOptimiser, m.optimizer, int64(e*calls+0.5), int64(e*calls*float64(llm.EstimateTokens(int(promptChars)))+0.5),
			int64(e*calls*float64(llm.EstimateTokens(arm))+0.5))
		t.add(PlanEmbedder, m.embedder, int64(e*children+0.5), int64(e*children*float64(llm.EstimateTokens(arm))+0.5), 0)
	}
}
