// Package config holds run and experiment configuration: defaults, TOML files with line-accurate
// errors, and validation that names the field at fault.
package config

import (
	"errors"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

// Run is one `also run`: every flag has a field here, and a TOML file can set any of them.
type Run struct {
	Subset          string   `toml:"subset" json:"subset"`
	Tasks           []string `toml:"tasks" json:"tasks,omitempty"`
	MaxEpisodes     int      `toml:"max_episodes" json:"max_episodes"`
	BatchSize       int      `toml:"batch_size" json:"batch_size"`
	MaxRetries      int      `toml:"max_retries" json:"max_retries"`
	Bandit          string   `toml:"bandit_type" json:"bandit_type"`
	Optimize        string   `toml:"optimize" json:"optimize"`
	Credit          string   `toml:"credit" json:"credit"`
	MaxTurns        int      `toml:"max_turns" json:"max_turns"`
	Era             string   `toml:"era" json:"era"`
	JudgePrompt     string   `toml:"judge_prompt" json:"judge_prompt"` // also (the artifact's) or sotopia (stock)
	StrategyVersion string   `toml:"strategy_version" json:"strategy_version"`
	UseContext      bool     `toml:"context_embedding" json:"context_embedding"`
	Seed            int64    `toml:"seed" json:"seed"`
	Tag             string   `toml:"tag" json:"tag"`
	Out             string   `toml:"out" json:"out"`
	Resume          bool     `toml:"resume" json:"resume"`
	StepTimeout     Duration `toml:"step_timeout" json:"step_timeout"`
	// PolicyIn is a folder of policy checkpoints (p1.json, p2.json) each optimised seat starts
	// from; PolicyFreeze keeps them fixed (selections only, rewards ignored); PolicyOut is the
	// folder that receives the state each optimised seat ends the run with. Either folder runs
	// the episodes one at a time, carrying the state from each to the next in task order.
	PolicyIn     string `toml:"policy_in" json:"policy_in,omitempty"`
	PolicyFreeze bool   `toml:"policy_freeze" json:"policy_freeze,omitempty"`
	PolicyOut    string `toml:"policy_out" json:"policy_out,omitempty"`

	// Models: "sim" plays the simulated world; anything else goes through the llm layer.
	Model   string `toml:"model" json:"model"`
	P1Model string `toml:"p1_model" json:"p1_model,omitempty"`
	P2Model string `toml:"p2_model" json:"p2_model,omitempty"`
	// P1Agent and P2Agent choose what plays each seat (package sotopia/agents): llm (default:
	// the seat's model, or the sim agent), scripted:refuser|staller|leaver, script:FILE,
	// switch:MODEL@TURN,... or a registered agent.
	P1Agent           string `toml:"p1_agent" json:"p1_agent,omitempty"`
	P2Agent           string `toml:"p2_agent" json:"p2_agent,omitempty"`
	RewardEvalModel   string `toml:"reward_eval_model" json:"reward_eval_model,omitempty"`
	TerminalEvalModel string `toml:"terminal_eval_model" json:"terminal_eval_model,omitempty"`
	EmbeddingModel    string `toml:"embedding_model" json:"embedding_model,omitempty"`
	// OptimizerModel writes new arm texts for opro, evoprompt-* and promptbreeder: "sim" (the
	// sim world's offline optimiser) or an LLM; "" picks by world (sim, or the artifact's
	// openrouter/qwen/qwen-2.5-7b-instruct in a live run).
	OptimizerModel string  `toml:"optimizer_model" json:"optimizer_model,omitempty"`
	Temperature    float64 `toml:"temperature" json:"temperature"`
	MaxTokens      int     `toml:"max_tokens" json:"max_tokens"`
	LLMCache       string  `toml:"llm_cache" json:"llm_cache"`
	CacheDir       string  `toml:"cache_dir" json:"cache_dir"`
	BudgetUSD      float64 `toml:"budget_usd" json:"budget_usd"`
	Prices         string  `toml:"prices" json:"prices,omitempty"`
	// LLM transport: requests in flight per endpoint (0 = the provider default: 32 hosted, 8
	// custom), the per-attempt timeout, attempts per call and the base of the retry backoff.
	LLMConcurrency int `toml:"llm_concurrency" json:"llm_concurrency"`
	// LLMRPM and LLMTPM cap requests and tokens per minute for every provider (0 = unlimited);
	// LLMLimits sets them per provider ([llm_limits.openrouter] ...), overriding the flags.
	LLMRPM        float64               `toml:"llm_rpm" json:"llm_rpm,omitempty"`
	LLMTPM        float64               `toml:"llm_tpm" json:"llm_tpm,omitempty"`
	LLMLimits     map[string]llm.Limits `toml:"llm_limits" json:"llm_limits,omitempty"`
	LLMTimeout    Duration              `toml:"llm_timeout" json:"llm_timeout"`
	LLMAttempts   int                   `toml:"llm_attempts" json:"llm_attempts"`
	LLMRetryDelay Duration              `toml:"llm_retry_delay" json:"llm_retry_delay"`
	// OpenRouterProvider holds OpenRouter provider-routing preferences per model name
	// ([openrouter_provider."openrouter/deepseek/deepseek-v3.2"] in a run file). They are sent
	// with every agent action and judge call and every embedding request to that model, never
	// with an agent's format fix-up call (as in the artifact). They change which weights answer,
	// so they are part of the configuration (run.json) and of the LLM cache key. None by default.
	OpenRouterProvider map[string]llm.ProviderPreferences `toml:"openrouter_provider" json:"openrouter_provider,omitempty"`

	// Sim is the simulated world (used when every model is "sim"); TOML table [sim].
	Sim sim.Config `toml:"sim" json:"sim"`

	// Storage: the embedded store directory, or Redis when RedisURL is set.
	Store    string `toml:"store" json:"store"`
	RedisURL string `toml:"redis_url" json:"-"` // may hold a password: never written out

	Policy policy.Config `toml:"policy" json:"policy"`
}

// DefaultRun is `also run` with no flags: the sim world, hard_small, bilateral, the ALSO bandit.
func DefaultRun() Run {
	return Run{
		Subset: "hard_small", BatchSize: 14, MaxRetries: 2, Bandit: "also", Optimize: "both", Credit: "all",
		MaxTurns: 20, Era: string(sotopia.EraALSO), JudgePrompt: string(sotopia.JudgePromptsALSO), StrategyVersion: sotopia.DefaultStrategyVersion,
		UseContext: true, Seed: 1, StepTimeout: Duration(5 * time.Minute),
		Model: "sim", Temperature: 0.7, MaxTokens: 4096, LLMCache: "off", CacheDir: ".also/llm-cache",
		LLMTimeout: Duration(120 * time.Second), LLMAttempts: 5, LLMRetryDelay: Duration(time.Second),
		Sim: sim.DefaultConfig(), Store: ".also/store", Policy: policy.DefaultConfig(),
	}
}

// Optimised maps --optimize to the seats that have a policy.
func (r Run) Optimised() ([sotopia.Seats]bool, error) {
	switch r.Optimize {
	case "both":
		return [2]bool{true, true}, nil
	case "p1":
		return [2]bool{true, false}, nil
	case "p2":
		return [2]bool{false, true}, nil
	case "none":
		return [2]bool{}, nil
	}
	return [2]bool{}, fmt.Errorf("optimize = %q: must be both, p1, p2 or none", r.Optimize)
}

// SeatModel is the model playing a seat.
func (r Run) SeatModel(seat int) string {
	if seat == 0 && r.P1Model != "" {
		return r.P1Model
	}
	if seat == 1 && r.P2Model != "" {
		return r.P2Model
	}
	return r.Model
}

// SeatAgents parses p1_agent and p2_agent (a script file is read and checked).
func (r Run) SeatAgents() ([sotopia.Seats]agents.Spec, error) {
	var out [sotopia.Seats]agents.Spec
	for seat, kv := range [sotopia.Seats][2]string{{"p1_agent", r.P1Agent}, {"p2_agent", r.P2Agent}} {
		s, err := agents.Parse(kv[0], kv[1])
		if err != nil {
			return out, err
		}
		out[seat] = s
	}
	return out, nil
}

// IsSim reports whether every model is the simulated world.
func (r Run) IsSim() bool {
	for _, m := range []string{r.SeatModel(0), r.SeatModel(1), r.RewardEvalModel, r.TerminalEvalModel} {
		if m != "" && m != "sim" {
			return false
		}
	}
	return true
}

// DefaultTag names a run from its configuration: the method, seats, subset, model, opponent
// (sim) and seed for people to read, then the first 8 hex digits of the configuration
// fingerprint (Identity), so two configurations never derive the same tag.
func (r Run) DefaultTag() string {
	short := func(model string) string {
		// A custom model's endpoint is where it runs, not what it is: "custom/qwen@http://host/v1"
		// names the run after "qwen", so moving the server keeps the tag.
		if i := strings.Index(model, "@"); i >= 0 {
			model = model[:i]
		}
		if i := strings.LastIndex(model, "/"); i >= 0 {
			model = model[i+1:]
		}
		return strings.NewReplacer(".", "", "-", "_", "@", "_", ":", "_").Replace(model)
	}
	model := short(r.SeatModel(0))
	if p2 := short(r.SeatModel(1)); p2 != model {
		// Heterogeneous seats name both models, p1's first.
		model += "_vs_" + p2
	}
	fp := "nofp"
	if id, err := r.Identity(); err == nil {
		fp = id.Short()
	}
	if !r.IsSim() {
		// The sim opponent profile plays no part in a live run.
		return fmt.Sprintf("also_%s_%s_%s_%s_s%d_%s", r.Bandit, r.Optimize, r.Subset, model, r.Seed, fp)
	}
	return fmt.Sprintf("also_%s_%s_%s_%s_%s_s%d_%s", r.Bandit, r.Optimize, r.Subset, model, r.Sim.Opponent, r.Seed, fp)
}

// Validate checks every field and names the first one at fault.
func (r Run) Validate() error {
	bad := func(name string, v any, want string) error { return fmt.Errorf("%s = %v: %s", name, v, want) }
	if name, v, ok := nonFinite(reflect.ValueOf(r), ""); ok {
		return bad(name, v, "must be a finite number")
	}
	if _, err := r.Optimised(); err != nil {
		return err
	}
	if _, err := r.SeatAgents(); err != nil {
		return err
	}
	switch {
	case !contains(sotopia.SubsetNames, r.Subset):
		return bad("subset", r.Subset, "must be one of "+strings.Join(sotopia.SubsetNames, ", "))
	case r.MaxEpisodes < 0:
		return bad("max_episodes", r.MaxEpisodes, "must be >= 0 (0 = all)")
	case r.BatchSize < 1:
		return bad("batch_size", r.BatchSize, "must be at least 1")
	case r.MaxRetries < 0:
		return bad("max_retries", r.MaxRetries, "must be >= 0")
	case r.MaxTurns < 1:
		return bad("max_turns", r.MaxTurns, "must be at least 1")
	case r.Era != string(sotopia.EraALSO) && r.Era != string(sotopia.EraBenchmark) && r.Era != string(sotopia.Era2023):
		return bad("era", r.Era, "must be also, benchmark or 2023")
	case r.JudgePrompt != string(sotopia.JudgePromptsALSO) && r.JudgePrompt != string(sotopia.JudgePromptsSotopia):
		return bad("judge_prompt", r.JudgePrompt, "must be also or sotopia")
	case r.Credit != "all" && r.Credit != "own-turn":
		return bad("credit", r.Credit, "must be all or own-turn")
	case r.StepTimeout <= 0:
		return bad("step_timeout", r.StepTimeout, "must be positive")
	case r.PolicyFreeze && r.PolicyIn == "":
		return bad("policy_freeze", r.PolicyFreeze, "needs policy_in (--policy-in): a frozen policy must have learnt something")
	case r.Temperature < 0 || r.Temperature > 2:
		return bad("temperature", r.Temperature, "must be in [0, 2]")
	case r.MaxTokens < 1:
		return bad("max_tokens", r.MaxTokens, "must be at least 1")
	case !contains([]string{"off", "record", "replay", "auto"}, r.LLMCache):
		return bad("llm_cache", r.LLMCache, "must be off, record, replay or auto")
	case r.BudgetUSD < 0:
		return bad("budget_usd", r.BudgetUSD, "must be >= 0 (0 = no budget)")
	case r.LLMRPM < 0:
		return bad("llm_rpm", r.LLMRPM, "must be >= 0 (0 = unlimited)")
	case r.LLMTPM < 0:
		return bad("llm_tpm", r.LLMTPM, "must be >= 0 (0 = unlimited)")
	case r.LLMConcurrency < 0:
		return bad("llm_concurrency", r.LLMConcurrency, "must be >= 0 (0 = the provider default)")
	case r.LLMTimeout <= 0:
		return bad("llm_timeout", r.LLMTimeout, "must be positive")
	case r.LLMAttempts < 1:
		return bad("llm_attempts", r.LLMAttempts, "must be at least 1")
	case r.LLMRetryDelay < 0:
		return bad("llm_retry_delay", r.LLMRetryDelay, "must be >= 0")
	case r.Model == "":
		return bad("model", `""`, "must name a model (sim for the simulated world)")
	case r.Resume && r.Tag == "":
		return fmt.Errorf("resume needs an explicit tag (--tag): it skips tasks already stored under that tag")
	case r.IsSim() && r.OptimizerModel != "" && r.OptimizerModel != llm.SimModel:
		return bad("optimizer_model", r.OptimizerModel, "must be sim (or unset) in the simulated world, which answers optimiser prompts offline")
	case !r.IsSim() && r.OptimizerModel == llm.SimModel:
		return bad("optimizer_model", r.OptimizerModel, "must name an LLM in a live run (the simulated world cannot serve live agents)")
	}
	for name, l := range r.LLMLimits {
		if name != string(llm.ProviderOpenRouter) && name != string(llm.ProviderOpenAI) && name != string(llm.ProviderCustom) {
			return fmt.Errorf("llm_limits.%s: unknown provider (want openrouter, openai or custom)", name)
		}
		if err := l.Validate(); err != nil {
			return fmt.Errorf("llm_limits.%s: %w", name, err)
		}
	}
	if err := r.validateProviderPreferences(); err != nil {
		return err
	}
	if err := r.Sim.Validate(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if _, err := sotopia.Strategies(r.StrategyVersion); err != nil {
		return err
	}
	if opt, _ := r.Optimised(); opt[0] || opt[1] {
		if _, err := policy.Lookup(r.Bandit); err != nil {
			return err
		}
	}
	p := r.Policy
	p.Horizon = max(1, r.MaxTurns-1)
	p.ALSO.UseContext = r.UseContext
	if err := p.Validate(); err != nil {
		return err
	}
	return r.validatePolicyRun()
}

// validatePolicyRun checks the policy keys that depend on the rest of the run.
func (r Run) validatePolicyRun() error {
	p := r.Policy
	switch {
	case p.AlternateOptimization && r.Optimize != "both":
		return fmt.Errorf("alternate_optimization = true: needs optimize = both, not %q (the artifact ignores it then)", r.Optimize)
	case p.UCBContext && !r.UseContext:
		return fmt.Errorf("ucb_context_embedding = true: needs context_embedding = true (the dialogue is embedded only then)")
	}
	if err := r.validateStaticArm(); err != nil {
		return err
	}
	if opt, _ := r.Optimised(); p.UpdateInterval != 1 && (opt[0] || opt[1]) {
		if in, _ := policy.Lookup(r.Bandit); !in.Retrains {
			var retrained []string
			for _, n := range policy.Names() {
				if in, _ := policy.Lookup(n); in.Retrains {
					retrained = append(retrained, n)
				}
			}
			return fmt.Errorf("update_interval = %d: only %s retrain a network; %s learns in every update", p.UpdateInterval, strings.Join(retrained, ", "), r.Bandit)
		}
	}
	return nil
}

// validateStaticArm checks static_arm: only the static bandit of an optimised seat plays it, and it
// must index the run's arm pool.
func (r Run) validateStaticArm() error {
	arm := r.Policy.StaticArm
	if arm == 0 {
		return nil
	}
	if !policy.HoldsArm(r.Bandit) {
		return fmt.Errorf("static_arm = %d: only bandit_type static plays a fixed arm, not %q", arm, r.Bandit)
	}
	if opt, _ := r.Optimised(); !opt[0] && !opt[1] {
		return fmt.Errorf("static_arm = %d: optimize = none plays arm 0 on both seats; set optimize = both, p1 or p2 for the seats that hold the arm", arm)
	}
	pool, err := sotopia.Strategies(r.StrategyVersion)
	if err != nil {
		return err
	}
	if arm >= len(pool) {
		return fmt.Errorf("static_arm = %d: strategy_version %s has %d arms (0 to %d)", arm, r.StrategyVersion, len(pool), len(pool)-1)
	}
	return nil
}

// validateProviderPreferences checks each [openrouter_provider."<model>"] table: the model must
// be an OpenRouter model and the preferences valid. Whether the run uses that model is checked
// once the judges and the embedder are resolved (session), since their defaults live there.
func (r Run) validateProviderPreferences() error {
	if len(r.OpenRouterProvider) > 0 && r.IsSim() {
		return fmt.Errorf("openrouter_provider: every model is sim (the simulated world), so no OpenRouter call would carry these preferences")
	}
	for name, p := range r.OpenRouterProvider {
		key := fmt.Sprintf("openrouter_provider.%q", name)
		rt, err := llm.ParseModel(name)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if rt.Provider != llm.ProviderOpenRouter {
			return fmt.Errorf("%s: provider preferences are OpenRouter's; %s is served by %s", key, name, rt.Provider)
		}
		if err := p.Validate(); err != nil {
			if errors.Is(err, llm.ErrNoPreference) { // about the table, not one of its fields
				return fmt.Errorf("%s: %w", key, err)
			}
			return fmt.Errorf("%s.%w", key, err)
		}
	}
	return nil
}

// ProviderFor is the preferences set for a model name (nil: none).
func (r Run) ProviderFor(model string) *llm.ProviderPreferences {
	p, ok := r.OpenRouterProvider[model]
	if !ok {
		return nil
	}
	return &p
}

// nonFinite finds a NaN or infinite number anywhere in a configuration struct (a TOML file may
// write nan or inf) and names its key: the one after the last dot, as the TOML file spells it.
func nonFinite(v reflect.Value, path string) (string, float64, bool) {
	switch v.Kind() {
	case reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return path, f, true
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if n, x, ok := nonFinite(v.Field(i), name); ok {
				return n, x, true
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if n, x, ok := nonFinite(iter.Value(), fmt.Sprint(iter.Key().Interface())); ok {
				return n, x, true
			}
		}
	}
	return "", 0, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Duration is a time.Duration that reads and writes as a string ("90s", "5m").
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q (want e.g. 90s, 5m)", b)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
