package policy

import (
	"fmt"
	"math"
)

// Config holds every policy's knobs; each policy reads the ones it documents.
type Config struct {
	// Eta is the softmax temperature of ALSO's decayed-score sampling and EXP3-IX's learning rate.
	Eta float64 `json:"eta" toml:"eta"`
	// Gamma is EXP3's uniform mixing; 0 tunes it to Horizon (Auer et al. Corollary 3.2).
	Gamma float64 `json:"gamma" toml:"gamma"`
	// Horizon is the number of selections a policy plans for (max turns - 1 per episode).
	Horizon int `json:"horizon" toml:"horizon"`
	// Alpha is LinUCB's exploration weight and NeuralUCB's regulariser lambda.
	Alpha float64 `json:"alpha" toml:"alpha"`
	// Beta is NeuralUCB's exploration scale nu.
	Beta float64 `json:"beta" toml:"beta"`
	// Epsilon is the exploration rate of epsilon-greedy and of ALSO's greedy selection.
	Epsilon float64    `json:"epsilon" toml:"epsilon"`
	ALSO    ALSOConfig `json:"also" toml:"also"`

	// PopulationSize is the population of opro, evoprompt-* and promptbreeder (the first
	// PopulationSize pool arms seed it); EvolutionInterval the turns between their evolutions.
	PopulationSize    int        `json:"population_size" toml:"population_size"`
	EvolutionInterval int        `json:"evolution_interval" toml:"evolution_interval"`
	OPRO              OPROConfig `json:"opro" toml:"opro"`
}

// ALSOConfig is the ALSO bandit and its neural surrogate (also-method.md sections 1.5-1.7).
type ALSOConfig struct {
	Depth       int     `json:"depth" toml:"depth"`
	Hidden      int     `json:"hidden" toml:"hidden"`
	Epochs      int     `json:"epochs" toml:"epochs"`
	BatchSize   int     `json:"batch_size" toml:"batch_size"`
	LR          float64 `json:"lr" toml:"lr"`
	LRMin       float64 `json:"lr_min" toml:"lr_min"`
	ScoreDecay  float64 `json:"score_decay" toml:"score_decay"`
	DynamicEta  bool    `json:"dynamic_eta" toml:"dynamic_eta"`
	ScoreMode   string  `json:"score_mode" toml:"score_mode"` // nn | actual | mean
	Greedy      bool    `json:"greedy_selection" toml:"greedy_selection"`
	Static      bool    `json:"static_strategy" toml:"static_strategy"`
	MultiDim    bool    `json:"multi_dim_prediction" toml:"multi_dim_prediction"`
	Surrogate   string  `json:"surrogate" toml:"surrogate"` // scratch | warm
	WarmEpochs  int     `json:"warm_epochs" toml:"warm_epochs"`
	NoEarlyStop bool    `json:"no_early_stop" toml:"no_early_stop"`
	UseContext  bool    `json:"context_embedding" toml:"context_embedding"`

	// DynamicEtaDivide makes DynamicEta divide eta by sqrt(t+1) as the artifact's code does,
	// instead of multiplying as its help text says (see also.go).
	DynamicEtaDivide bool `json:"dynamic_eta_divide" toml:"dynamic_eta_divide"`
}

// DefaultConfig is the paper configuration.
func DefaultConfig() Config {
	return Config{
		Eta: 5, Horizon: 19, Alpha: 1, Beta: 0.01, Epsilon: 0.1,
		ALSO: ALSOConfig{Depth: 2, Hidden: 100, Epochs: 100, BatchSize: 8, LR: 1e-2, LRMin: 1e-4,
			ScoreDecay: 0.9, ScoreMode: "nn", Surrogate: "scratch", WarmEpochs: 20, UseContext: true},
		PopulationSize: 5, EvolutionInterval: 5, OPRO: OPROConfig{Samples: 5, Threshold: 0.5, TopK: 10},
	}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	bad := func(name string, v any, want string) error { return fmt.Errorf("%s = %v: %s", name, v, want) }
	switch {
	case !(c.Eta > 0) || math.IsInf(c.Eta, 0):
		return bad("eta", c.Eta, "must be a positive number")
	case c.Gamma < 0 || c.Gamma > 1:
		return bad("gamma", c.Gamma, "must be in [0, 1] (0 = tuned)")
	case c.Horizon < 1:
		return bad("horizon", c.Horizon, "must be at least 1")
	case c.Alpha < 0:
		return bad("alpha", c.Alpha, "must be >= 0")
	case c.Beta < 0:
		return bad("beta", c.Beta, "must be >= 0")
	case c.Epsilon < 0 || c.Epsilon > 1:
		return bad("epsilon", c.Epsilon, "must be in [0, 1]")
	}
	if err := c.validatePopulation(); err != nil {
		return err
	}
	a := c.ALSO
	switch {
	case a.Depth < 0:
		return bad("depth", a.Depth, "must be >= 0")
	case a.Hidden < 1:
		return bad("hidden", a.Hidden, "must be >= 1")
	case a.Epochs < 1:
		return bad("epochs", a.Epochs, "must be >= 1")
	case a.BatchSize < 1:
		return bad("batch_size", a.BatchSize, "must be >= 1")
	case !(a.LR > 0):
		return bad("lr", a.LR, "must be > 0")
	case a.LRMin < 0 || a.LRMin > a.LR:
		return bad("lr_min", a.LRMin, "must be in [0, lr]")
	case a.ScoreDecay < 0 || a.ScoreDecay > 1:
		return bad("score_decay", a.ScoreDecay, "must be in [0, 1]")
	case a.ScoreMode != "nn" && a.ScoreMode != "actual" && a.ScoreMode != "mean":
		return bad("score_mode", a.ScoreMode, "must be nn, actual or mean")
	case a.Surrogate != "scratch" && a.Surrogate != "warm":
		return bad("surrogate", a.Surrogate, "must be scratch or warm")
	case a.WarmEpochs < 1:
		return bad("warm_epochs", a.WarmEpochs, "must be >= 1")
	}
	return nil
}
