package live

import (
	"context"
	"fmt"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// World implements sotopia.World with LLMs. Models are resolved once (a missing key fails New,
// naming its variable); every episode gets its own agents and a child meter for its usage.
type World struct {
	cfg   Config
	meter *llm.Meter

	seats              [sotopia.Seats]llm.Model
	reformat           [sotopia.Seats]llm.Model
	rewardJudge, final llm.Model
	embed              llm.Model
	optimiser          llm.Model // nil without Config.OptimizerModel
}

// provider is the routing preferences configured for a model (nil: none).
func (w *World) provider(m llm.Model) *llm.ProviderPreferences {
	p, ok := w.cfg.ProviderPreferences[m.Name()]
	if !ok {
		return nil
	}
	return &p
}

// New checks cfg and resolves its models through cfg.Router.
func New(cfg Config) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &World{cfg: cfg, meter: cfg.Meter}
	if w.meter == nil {
		w.meter = llm.NewMeter(nil)
	}
	resolve := func(field, name string) (llm.Model, error) {
		m, err := cfg.Router.Model(name)
		if err != nil {
			return nil, fmt.Errorf("live: %s: %w", field, err)
		}
		return m, nil
	}
	var err error
	for seat, f := range [sotopia.Seats]struct{ field, name string }{{"P1Model", cfg.P1Model}, {"P2Model", cfg.P2Model}} {
		if w.seats[seat], err = resolve(f.field, f.name); err != nil {
			return nil, err
		}
		w.reformat[seat] = w.seats[seat]
		if cfg.ReformatModel != "" {
			if w.reformat[seat], err = resolve("ReformatModel", cfg.ReformatModel); err != nil {
				return nil, err
			}
		}
	}
	if w.rewardJudge, err = resolve("RewardEvalModel", cfg.RewardEvalModel); err != nil {
		return nil, err
	}
	if w.final, err = resolve("TerminalEvalModel", cfg.TerminalEvalModel); err != nil {
		return nil, err
	}
	if w.embed, err = resolve("EmbeddingModel", cfg.EmbeddingModel); err != nil {
		return nil, err
	}
	if cfg.OptimizerModel != "" {
		if w.optimiser, err = resolve("OptimizerModel", cfg.OptimizerModel); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Name implements sotopia.World.
func (w *World) Name() string { return Name }

// Meter is the run's meter (every episode's usage rolls up into it).
func (w *World) Meter() *llm.Meter { return w.meter }

// NewEpisode implements sotopia.World: two agents (the strategy reaches a seat only through
// SetStrategy), the judge and the embedder, all metered by role into a child of the run meter.
// Calls carry spec.Seed, so episodes of the same task stay distinct in the cache.
func (w *World) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := spec.Setup.Validate(); err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	meter := w.meter.Child()
	ew := &sotopia.EpisodeWorld{
		Judge: &Judge{
			turn:      llm.Metered(w.rewardJudge, meter, llm.RoleJudge),
			episode:   llm.Metered(w.final, meter, llm.RoleJudge),
			prompts:   w.cfg.JudgePrompts,
			attempts:  w.cfg.JudgeAttempts,
			maxTokens: w.cfg.JudgeMaxTokens,
			seed:      spec.Seed,
			providers: [2]*llm.ProviderPreferences{w.provider(w.rewardJudge), w.provider(w.final)},
		},
		Embedder: &Embedder{model: llm.Metered(w.embed, meter, llm.RoleEmbedder), dims: w.cfg.EmbeddingDim, memo: newVectorMemo(),
			provider: w.provider(w.embed)},
		Models: []string{w.final.Name(), w.seats[0].Name(), w.seats[1].Name()},
		Usage:  func() sotopia.Usage { return Usage(meter) },
	}
	if w.optimiser != nil {
		ew.Optimiser = &Optimiser{model: llm.Metered(w.optimiser, meter, llm.RoleOptimiser), seed: spec.Seed}
	}
	for seat := range sotopia.Seats {
		ew.Agents[seat] = &Agent{
			seat:        seat,
			setup:       spec.Setup,
			model:       llm.Metered(w.seats[seat], meter, llm.RoleAgent),
			reformat:    llm.Metered(w.reformat[seat], meter, llm.RoleAgent),
			temperature: w.cfg.Temperature,
			maxTokens:   w.cfg.MaxTokens,
			seed:        spec.Seed,
			provider:    w.provider(w.seats[seat]),
			answered:    map[int]sotopia.AgentAction{},
		}
	}
	return ew, nil
}

// Usage converts a meter (an episode's or the run's) to the episode log's usage record, with
// the per-role breakdown (agent, judge, embedder, optimiser).
func Usage(m *llm.Meter) sotopia.Usage {
	total, byRole := m.Snapshot()
	out := toSotopia(total)
	if len(byRole) > 0 {
		out.ByRole = make(map[string]sotopia.Usage, len(byRole))
		for role, u := range byRole {
			out.ByRole[role] = toSotopia(u)
		}
	}
	return out
}

func toSotopia(u llm.Usage) sotopia.Usage {
	return sotopia.Usage{
		Calls:            u.Calls,
		PromptTokens:     u.PromptTokens,
		CompletionTokens: u.CompletionTokens,
		CachedTokens:     u.CachedTokens,
		CostUSD:          u.CostUSD,
		Retries:          u.Retries,
	}
}
