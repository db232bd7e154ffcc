package policy

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Eta schedules of ALSO's softmax temperature (also-method.md 1.7 step 5), with t the runner
// turn just played (1, 2, ...).
const (
	// EtaConstant uses eta at every selection.
	EtaConstant = "constant"
	// EtaDivideSqrt is eta / sqrt(t+1): what the artifact's `--dynamic-eta` does in its code.
	EtaDivideSqrt = "divide-sqrt"
	// EtaMultiplySqrt is eta * sqrt(t+1): what the artifact's `--dynamic-eta` help text and the
	// comment of its s24 config (adversarial_s24_hard_eta4.yml) describe, not what its code does.
	EtaMultiplySqrt = "multiply-sqrt"
)

// EtaSchedules lists the eta schedules.
var EtaSchedules = []string{EtaConstant, EtaDivideSqrt, EtaMultiplySqrt}

// Config holds every policy's knobs; each policy reads the ones it documents.
type Config struct {
	// Eta is the softmax temperature of ALSO's decayed-score sampling (EXP3-IX tunes its own).
	// The default, 5, is the artifact's CLI default (run_bandit_simulation_context.py --eta); no
	// paper run uses it. The artifact's paper configurations pass 0.5 (adversarial_v3_hard.yml,
	// the Sotopia-Hard runs, and its conf README's default), 10 (the README's direct
	// hard_small run and the GPT-4o-mini / custom-Qwen configs) and 4 with --dynamic-eta (the
	// s24 strategy-pool ablation, adversarial_s24_hard_eta4.yml).
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
	Epsilon float64 `json:"epsilon" toml:"epsilon"`
	// UpdateInterval is the artifact's --update-interval: the policies that retrain a network
	// (also, instinct, neural_ucb) retrain only after runner turns t with t % UpdateInterval == 0
	// and otherwise select with the network as last trained. 1 (the artifact's default and every
	// paper configuration) retrains after every turn.
	UpdateInterval int `json:"update_interval" toml:"update_interval"`
	// AlternateOptimization is the artifact's --alternate-optimization (optimize both only):
	// both seats' policies are fed every reward, but only one seat retrains and reselects after
	// each turn, seat 1 after odd turns and seat 2 after even turns. Off in every paper run.
	AlternateOptimization bool `json:"alternate_optimization" toml:"alternate_optimization"`
	// UCBContext appends the dialogue embedding to the arm embedding in instinct and neural_ucb
	// (the artifact's neural_ucb with --context-embedding). Off by default, as in the
	// artifact's neural_ucb configs (neural_ucb_no_ctx_*.yml, and the s24 one), which the paper's
	// Instinct column is inferred to come from.
	UCBContext bool       `json:"ucb_context_embedding" toml:"ucb_context_embedding"`
	ALSO       ALSOConfig `json:"also" toml:"also"`
	// StaticArm is the arm the static bandit always plays: 0, the bare background, is the paper's
	// Original; k > 0 holds pool arm k fixed (the strategy analysis). omitempty keeps the
	// fingerprint of every run made before the setting existed (they all played arm 0).
	StaticArm int `json:"static_arm,omitempty" toml:"static_arm"`

	// PopulationSize is the population of opro, evoprompt-* and promptbreeder (the first
	// PopulationSize pool arms seed it); EvolutionInterval the turns between their evolutions.
	PopulationSize    int        `json:"population_size" toml:"population_size"`
	EvolutionInterval int        `json:"evolution_interval" toml:"evolution_interval"`
	OPRO              OPROConfig `json:"opro" toml:"opro"`
}

// ALSOConfig is the ALSO bandit and its neural surrogate (also-method.md sections 1.5-1.7).
type ALSOConfig struct {
	Depth      int     `json:"depth" toml:"depth"`
	Hidden     int     `json:"hidden" toml:"hidden"`
	Epochs     int     `json:"epochs" toml:"epochs"`
	BatchSize  int     `json:"batch_size" toml:"batch_size"`
	LR         float64 `json:"lr" toml:"lr"`
	LRMin      float64 `json:"lr_min" toml:"lr_min"`
	ScoreDecay float64 `json:"score_decay" toml:"score_decay"`
	// EtaSchedule is one of EtaSchedules; the artifact's --dynamic-eta is EtaDivideSqrt.
	EtaSchedule string `json:"eta_schedule" toml:"eta_schedule"`
	ScoreMode   string `json:"score_mode" toml:"score_mode"` // nn | actual | mean
	Greedy      bool   `json:"greedy_selection" toml:"greedy_selection"`
	Static      bool   `json:"static_strategy" toml:"static_strategy"`
	MultiDim    bool   `json:"multi_dim_prediction" toml:"multi_dim_prediction"`
	Surrogate   string `json:"surrogate" toml:"surrogate"` // scratch | warm
	WarmEpochs  int    `json:"warm_epochs" toml:"warm_epochs"`
	NoEarlyStop bool   `json:"no_early_stop" toml:"no_early_stop"`
	// UseContext is set from the run's context_embedding (one switch embeds the dialogue and
	// feeds it to ALSO), so it is no key of its own in a run file.
	UseContext bool `json:"context_embedding" toml:"-"`
}

// DefaultConfig is the artifact's CLI defaults for ALSO (eta 5, score decay 0.9, depth 2, nn
// scores, constant eta, update interval 1, no alternation) with the surrogate's BanditConfig
// schedule (also-method.md 1.5), and for the neural UCBs lambda 1 (the CLI's --alpha) and nu
// 0.01 (neural_ucb_no_ctx_v3.yml's --beta; the CLI's default is 1) without context. Which eta
// each paper configuration uses: see Config.Eta.
func DefaultConfig() Config {
	return Config{
		Eta: 5, Horizon: 19, Alpha: 1, Beta: 0.01, Epsilon: 0.1, UpdateInterval: 1,
		ALSO: ALSOConfig{Depth: 2, Hidden: 100, Epochs: 100, BatchSize: 8, LR: 1e-2, LRMin: 1e-4,
			ScoreDecay: 0.9, EtaSchedule: EtaConstant, ScoreMode: "nn", Surrogate: "scratch", WarmEpochs: 20, UseContext: true},
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
	case c.StaticArm < 0:
		return bad("static_arm", c.StaticArm, "must be >= 0 (an index into the arm pool; 0 = no strategy)")
	case c.UpdateInterval < 1:
		return bad("update_interval", c.UpdateInterval, "must be at least 1 (the artifact's 0 never trains: its networks would choose untrained)")
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
	case !slices.Contains(EtaSchedules, a.EtaSchedule):
		return bad("eta_schedule", a.EtaSchedule, "must be one of "+strings.Join(EtaSchedules, ", "))
	case a.ScoreMode != "nn" && a.ScoreMode != "actual" && a.ScoreMode != "mean":
		return bad("score_mode", a.ScoreMode, "must be nn, actual or mean")
	case a.Surrogate != "scratch" && a.Surrogate != "warm":
		return bad("surrogate", a.Surrogate, "must be scratch or warm")
	case a.WarmEpochs < 1:
		return bad("warm_epochs", a.WarmEpochs, "must be >= 1")
	}
	return nil
}
