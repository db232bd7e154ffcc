package session

import (
	"errors"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/live"
)

// LLMOptions adjust how a live run reaches its models. The zero value is production: keys from
// the process environment, then from .env in the working directory.
type LLMOptions struct {
	// LookupEnv reads the process environment (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// DotEnv is the .env file read after the environment (default ".env"; "-" reads none).
	DotEnv string
	// BaseURLs send a provider's requests elsewhere (a proxy; a fake server in tests).
	BaseURLs map[llm.Provider]string
	// Router, if set, is used instead of one built from the run's settings: the cells of an
	// experiment share one, so its per-provider limits bound them together.
	Router *llm.Router
	// Shared, if set, holds the per-provider rates across processes (cluster members).
	Shared llm.SharedRate
}

// liveWorld is the LLM-backed world of a run with what the session needs beyond sotopia.World:
// the budget, which stops new episodes, and the run's usage.
type liveWorld struct {
	*live.World
	budget *llm.Budget
	// router and models are what checkEndpoints probes before the first episode.
	router *llm.Router
	models liveModels
	replay bool
}

// StopReason is non-empty once the run has spent its budget (asked before each new episode).
func (w *liveWorld) StopReason() string {
	if err := w.budget.Err(); err != nil {
		return err.Error() + " (--budget-usd)"
	}
	return ""
}

// RunUsage is everything the run's models consumed, by role.
func (w *liveWorld) RunUsage() sotopia.Usage { return live.Usage(w.Meter()) }

// liveModels are the models of a live run after defaults, and which of them were defaulted.
type liveModels struct {
	// seats are the seats' own models ("" for a seat whose agent is not llm).
	seats [sotopia.Seats]string
	// agents are the seat agents; stages the models of a switching seat, in stage order.
	agents                            [sotopia.Seats]agents.Spec
	stages                            [sotopia.Seats][]string
	rewardJudge, finalJudge, embedder string
	optimizer                         string // "" when the bandit writes no arm texts
	// perTurn says whether the per-turn judge and the embedder are called at all.
	perTurn bool
	notes   []string
}

// newLiveWorld maps a run configuration onto the llm layer and the live world.
func newLiveWorld(cfg config.Run, opt Options) (*liveWorld, error) {
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	models, err := resolveLiveModels(cfg)
	if err != nil {
		return nil, err
	}
	for _, n := range append(models.notes, unusedProviderNotes(cfg, models)...) {
		fmt.Fprintln(logw, n)
	}
	router := opt.LLM.Router
	if router == nil {
		if router, err = newRouter(cfg, opt.LLM, logw); err != nil {
			return nil, err
		}
	}
	budget, err := llm.NewBudget(cfg.BudgetUSD)
	if err != nil {
		return nil, fmt.Errorf("budget_usd: %w", err)
	}
	lc := live.DefaultConfig()
	lc.P1Model, lc.P2Model = models.seats[0], models.seats[1]
	lc.SeatAgents = models.agents
	for seat := range sotopia.Seats {
		if lc.SeatAgents[seat].IsLLM() {
			continue
		}
		// The seat's own model is never called; live.Config still wants a name.
		if seat == 0 {
			lc.P1Model = models.placeholder()
		} else {
			lc.P2Model = models.placeholder()
		}
	}
	lc.RewardEvalModel, lc.TerminalEvalModel, lc.EmbeddingModel = models.rewardJudge, models.finalJudge, models.embedder
	lc.OptimizerModel = models.optimizer
	lc.Temperature, lc.MaxTokens = cfg.Temperature, cfg.MaxTokens
	lc.JudgePrompts = sotopia.JudgePrompts(cfg.JudgePrompt)
	lc.ProviderPreferences = cfg.OpenRouterProvider
	lc.Router, lc.Meter = router, llm.NewMeter(budget)
	w, err := live.New(lc)
	if err != nil {
		return nil, explainMissingKey(err, models)
	}
	fmt.Fprintf(logw, "live world: p1 %s, p2 %s, terminal judge %s, ", models.seatName(0), models.seatName(1), lc.TerminalEvalModel)
	if models.perTurn {
		fmt.Fprintf(logw, "per-turn judge %s, embedder %s", lc.RewardEvalModel, lc.EmbeddingModel)
		if lc.OptimizerModel != "" {
			fmt.Fprintf(logw, ", optimiser %s", lc.OptimizerModel)
		}
	} else {
		fmt.Fprint(logw, "no per-turn judge or embedder (no seat is optimised)")
	}
	fmt.Fprintf(logw, "; llm cache %s", cfg.LLMCache)
	if cfg.BudgetUSD > 0 {
		fmt.Fprintf(logw, ", budget $%.2f", cfg.BudgetUSD)
	}
	fmt.Fprintln(logw)
	return &liveWorld{World: w, budget: budget, router: router, models: models, replay: cfg.LLMCache == string(llm.CacheReplay)}, nil
}

// resolveLiveModels fills the judges and the embedder the configuration leaves empty with the
// paper's (live.Default*), noting each default so the user sees which endpoints the run calls.
func resolveLiveModels(cfg config.Run) (liveModels, error) {
	var m liveModels
	var err error
	if m.agents, err = cfg.SeatAgents(); err != nil {
		return m, err
	}
	for seat, field := range []string{"p1_model", "p2_model"} {
		if sw := m.agents[seat].Switch; sw != nil {
			for _, st := range sw.Stages {
				m.stages[seat] = append(m.stages[seat], st.Model)
			}
		}
		if !m.agents[seat].IsLLM() {
			continue
		}
		m.seats[seat] = cfg.SeatModel(seat)
		if m.seats[seat] == llm.SimModel {
			return m, fmt.Errorf("%s = sim while other models are live: the simulated world cannot play beside LLMs; "+
				"give every seat a real model (--model, --p1-model, --p2-model) or use sim everywhere", field)
		}
	}
	optimised, err := cfg.Optimised()
	if err != nil {
		return m, err
	}
	// The per-turn judge and the embedder serve only optimised seats; with none they are never
	// called, so a placeholder avoids demanding a key for them.
	used := optimised[0] || optimised[1]
	m.perTurn = used
	pick := func(field, flag, given, paper, role string) (string, error) {
		switch {
		case given == llm.SimModel:
			return "", fmt.Errorf("%s = sim while other models are live: name an LLM (%s) or use sim everywhere", field, flag)
		case given != "":
			return given, nil
		case !used && field != "terminal_eval_model":
			return m.placeholder(), nil
		}
		m.notes = append(m.notes, fmt.Sprintf("%s not set: using %s, the paper's %s (change it with %s)", field, paper, role, flag))
		return paper, nil
	}
	if m.rewardJudge, err = pick("reward_eval_model", "--reward-eval-model", cfg.RewardEvalModel, live.DefaultRewardEvalModel, "per-turn judge"); err != nil {
		return m, err
	}
	if m.finalJudge, err = pick("terminal_eval_model", "--terminal-eval-model", cfg.TerminalEvalModel, live.DefaultTerminalEvalModel, "terminal judge"); err != nil {
		return m, err
	}
	if m.embedder, err = pick("embedding_model", "--embedding-model", cfg.EmbeddingModel, live.DefaultEmbeddingModel, "embedding model"); err != nil {
		return m, err
	}
	// The optimiser serves only the prompt-optimising bandits; others never need its key.
	if used && policy.NeedsOptimiser(cfg.Bandit) {
		if m.optimizer, err = pick("optimizer_model", "--optimizer-model", cfg.OptimizerModel, live.DefaultOptimizerModel, "prompt optimiser"); err != nil {
			return m, err
		}
	}
	return m, nil
}

// placeholder names a model for a role that is never called: a model the run calls anyway.
func (m liveModels) placeholder() string {
	for seat := range sotopia.Seats {
		if m.seats[seat] != "" {
			return m.seats[seat]
		}
		if len(m.stages[seat]) > 0 {
			return m.stages[seat][0]
		}
	}
	return m.finalJudge
}

// seatModel is the model a seat's action call goes to at an environment turn: "" for a seat
// whose agent calls no LLM (scripted, script, registered); a switch by episode is estimated on
// its first model.
func (m liveModels) seatModel(seat, turn int) string {
	sa := m.agents[seat]
	switch {
	case sa.IsLLM():
		return m.seats[seat]
	case sa.Switch != nil && !sa.Switch.ByEpisode:
		return m.stages[seat][sa.Switch.StageAt(turn)]
	case sa.Switch != nil:
		return m.stages[seat][0]
	}
	return ""
}

// seatName says what plays a seat, for the log.
func (m liveModels) seatName(seat int) string {
	if m.agents[seat].IsLLM() {
		return m.seats[seat]
	}
	return m.agents[seat].String()
}

// called lists the models the run sends requests to.
func (m liveModels) called() []string {
	var out []string
	for seat := range sotopia.Seats {
		if m.seats[seat] != "" {
			out = append(out, m.seats[seat])
		}
		out = append(out, m.stages[seat]...)
	}
	out = append(out, m.finalJudge)
	if m.perTurn {
		out = append(out, m.rewardJudge, m.embedder)
	}
	return out
}

// unusedProviderNotes warns about provider preferences for a model no call of this run goes
// to (a misspelt name, or the per-turn judge of a run that optimises no seat).
func unusedProviderNotes(cfg config.Run, m liveModels) []string {
	var notes []string
	for name := range cfg.OpenRouterProvider {
		used := false
		for _, c := range m.called() {
			used = used || c == name
		}
		if !used {
			notes = append(notes, fmt.Sprintf("warning: openrouter_provider.%q: no call of this run goes to that model (models called: %s); the preferences are not sent",
				name, strings.Join(m.called(), ", ")))
		}
	}
	sort.Strings(notes)
	return notes
}

// explainMissingKey adds to a missing-key error which flag chooses that model when it was a
// default the user never asked for.
func explainMissingKey(err error, m liveModels) error {
	var mk *llm.MissingKeyError
	if !errors.As(err, &mk) {
		return err
	}
	for _, n := range m.notes {
		if strings.Contains(n, " "+mk.Model+",") {
			return fmt.Errorf("%w (%s)", err, n)
		}
	}
	return err
}

// newRouter builds the llm router: keys, endpoints, timeouts, retries, concurrency, prices and
// the record/replay cache.
func newRouter(cfg config.Run, o LLMOptions, logw io.Writer) (*llm.Router, error) {
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	dotenv := o.DotEnv
	switch dotenv {
	case "":
		dotenv = ".env"
	case "-":
		dotenv = ""
	}
	env, err := llm.LoadEnv(dotenv, false, lookup)
	if err != nil {
		return nil, err
	}
	rc := llm.DefaultRouterConfig()
	rc.Env = env
	rc.BaseURLs = o.BaseURLs
	rc.Timeout = time.Duration(cfg.LLMTimeout)
	rc.Retry.MaxAttempts = cfg.LLMAttempts
	rc.Retry.BaseDelay = time.Duration(cfg.LLMRetryDelay)
	// The backoff cap keeps the default ratio (1 s base, 30 s cap).
	rc.Retry.MaxDelay = 30 * rc.Retry.BaseDelay
	rc.Limits = map[llm.Provider]llm.Limits{}
	for _, p := range []llm.Provider{llm.ProviderOpenRouter, llm.ProviderOpenAI, llm.ProviderCustom} {
		l := llm.DefaultLimits(p)
		if cfg.LLMConcurrency > 0 {
			l.MaxConcurrent = cfg.LLMConcurrency
		}
		l.RequestsPerMinute, l.TokensPerMinute = cfg.LLMRPM, cfg.LLMTPM
		if own, ok := cfg.LLMLimits[string(p)]; ok {
			l = own
		}
		rc.Limits[p] = l
	}
	rc.Shared = o.Shared
	if cfg.Prices != "" {
		if rc.Prices, err = llm.LoadPrices(cfg.Prices); err != nil {
			return nil, fmt.Errorf("prices: %w", err)
		}
	}
	mode, err := llm.ParseCacheMode(cfg.LLMCache)
	if err != nil {
		return nil, fmt.Errorf("llm_cache: %w", err)
	}
	if mode != llm.CacheOff {
		if rc.Cache, err = llm.NewCache(cfg.CacheDir, mode); err != nil {
			return nil, fmt.Errorf("cache_dir: %w", err)
		}
	}
	// Retries and unpriced models are worth seeing; per-call records are not. No timestamps:
	// progress lines carry none either.
	rc.Logger = slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	return llm.NewRouter(rc)
}

// budgetStop combines a caller's stop function with the world's budget.
func budgetStop(caller func() string, world sotopia.World) func() string {
	b, ok := world.(interface{ StopReason() string })
	if !ok {
		return caller
	}
	return func() string {
		if caller != nil {
			if reason := caller(); reason != "" {
				return reason
			}
		}
		return b.StopReason()
	}
}

// worldUsage is the run's LLM usage as the world metered it (false for worlds without LLMs).
func worldUsage(world sotopia.World) (sotopia.Usage, bool) {
	u, ok := world.(interface{ RunUsage() sotopia.Usage })
	if !ok {
		return sotopia.Usage{}, false
	}
	return u.RunUsage(), true
}

// syncWriter serialises writes: progress lines (the runner) and llm warnings (many goroutines)
// share the run's log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// lockedWriter wraps w for concurrent use (nil stays nil).
func lockedWriter(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	if _, ok := w.(*syncWriter); ok {
		return w
	}
	return &syncWriter{w: w}
}
