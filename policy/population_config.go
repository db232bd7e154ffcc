package policy

import "fmt"

// OPROConfig is OPRO's optimiser step (also-method.md 2.5; the artifact's OPROConfig defaults).
type OPROConfig struct {
	// Samples is how many texts one optimiser call asks for (n = 5, temperature 1.0).
	Samples int `json:"samples" toml:"samples"`
	// Threshold is the lowest score an instruction needs to appear in the meta-prompt.
	Threshold float64 `json:"threshold" toml:"threshold"`
	// TopK is how many of the highest-scoring instructions the meta-prompt shows.
	TopK int `json:"top_k" toml:"top_k"`
}

// validatePopulation checks the population policies' knobs (read by opro, evoprompt-ga,
// evoprompt-de and promptbreeder only).
func (c Config) validatePopulation() error {
	bad := func(name string, v any, want string) error { return fmt.Errorf("%s = %v: %s", name, v, want) }
	switch {
	case c.PopulationSize < 2:
		return bad("population_size", c.PopulationSize, "must be at least 2")
	case c.EvolutionInterval < 1:
		return bad("evolution_interval", c.EvolutionInterval, "must be at least 1")
	case c.OPRO.Samples < 1:
		return bad("opro.samples", c.OPRO.Samples, "must be at least 1")
	case c.OPRO.Threshold < 0 || c.OPRO.Threshold > 1:
		return bad("opro.threshold", c.OPRO.Threshold, "must be in [0, 1]")
	case c.OPRO.TopK < 1:
		return bad("opro.top_k", c.OPRO.TopK, "must be at least 1")
	}
	return nil
}

// NeedsOptimiser reports whether the named policy (or alias) writes arm texts with an optimiser
// LLM, so a run must provide one (and, live, its key).
func NeedsOptimiser(name string) bool {
	in, err := Lookup(name)
	if err != nil {
		return false
	}
	switch in.Name {
	case "opro", "evoprompt-ga", "evoprompt-de", "promptbreeder":
		return true
	}
	return false
}
