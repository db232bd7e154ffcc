package live

import (
	"context"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"path/filepath"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// World implements sotopia.World with LLMs. Models are resolved once (a missing key fails New,
// naming its variable); every episode gets its own agents and a child meter for its usage.
type World struct {
	cfg   Config
	meter *llm.Meter

	seats [sotopia.Seats]llm.Model
	// stages are the models of a switching seat, by stage.
	stages             [sotopia.Seats][]llm.Model
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
		sa := cfg.SeatAgents[seat]
		if sw := sa.Switch; sw != nil {
			for i, st := range sw.Stages {
				m, err := resolve(fmt.Sprintf("p%d_agent switch stage %d", seat+1, i+1), st.Model)
				if err != nil {
					return nil, err
				}
				w.stages[seat] = append(w.stages[seat], m)
			}
			if cfg.ReformatModel != "" {
				if w.reformat[seat], err = resolve("ReformatModel", cfg.ReformatModel); err != nil {
					return nil, err
				}
			}
		}
		if !sa.IsLLM() {
			continue // the seat's own model is never called
		}
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
		Models: []string{w.final.Name(), "", ""},
		Usage:  func() sotopia.Usage { return Usage(meter) },
	}
	if w.optimiser != nil {
		ew.Optimiser = &Optimiser{model: llm.Metered(w.optimiser, meter, llm.RoleOptimiser), seed: spec.Seed}
	}
	for seat := range sotopia.Seats {
		a, name, err := w.seatAgent(seat, spec, meter)
		if err != nil {
			return nil, fmt.Errorf("live: p%d_agent: %w", seat+1, err)
		}
		ew.Agents[seat], ew.Models[seat+1] = a, name
	}
	return ew, nil
}

// seatAgent builds what plays a seat (see Config.SeatAgents) and names it for EpisodeLog.models.
func (w *World) seatAgent(seat int, spec sotopia.EpisodeSpec, meter *llm.Meter) (sotopia.Agent, string, error) {
	sa := w.cfg.SeatAgents[seat]
	partner := ""
	if other := spec.Setup.Agents[1-seat]; other != nil {
		partner = other.FirstName
	}
	switch {
	case sa.IsLLM():
		return w.llmAgent(seat, w.seats[seat], w.reformat[seat], spec, meter), w.seats[seat].Name(), nil
	case sa.Kind == agents.KindScripted:
		a, err := agents.NewScripted(sa.Behaviour, seat, spec.Seed)
		return a, sa.String(), err
	case sa.Kind == agents.KindScript:
		a, err := agents.NewScriptAgent(sa.Script, seat, partner)
		return a, agents.KindScript + "/" + filepath.Base(sa.Script.File), err
	case sa.Switch != nil:
		reformat := func(m llm.Model) llm.Model {
			if w.cfg.ReformatModel != "" {
				return w.reformat[seat]
			}
			return m
		}
		if sa.Switch.ByEpisode {
			m := w.stages[seat][sa.Switch.StageAt(spec.Episode)]
			return w.llmAgent(seat, m, reformat(m), spec, meter), m.Name(), nil
		}
		stageAgents := make([]sotopia.Agent, len(w.stages[seat]))
		for i, m := range w.stages[seat] {
			stageAgents[i] = w.llmAgent(seat, m, reformat(m), spec, meter)
		}
		a, err := agents.NewSwitching(sa.Switch, stageAgents)
		return a, sa.String(), err
	case sa.IsRegistered():
		a, err := sa.Build(agents.Episode{Seat: seat, Setup: spec.Setup, Seed: spec.Seed})
		return a, sa.String(), err
	}
	return nil, "", fmt.Errorf("agent %q unknown", sa)
}

// llmAgent is Sotopia's LLM agent for a seat on model m, metered into the episode's meter.
func (w *World) llmAgent(seat int, m, reformat llm.Model, spec sotopia.EpisodeSpec, meter *llm.Meter) *Agent {
	return &Agent{
		seat:        seat,
		setup:       spec.Setup,
		model:       llm.Metered(m, meter, llm.RoleAgent),
		reformat:    llm.Metered(reformat, meter, llm.RoleAgent),
		temperature: w.cfg.Temperature,
		maxTokens:   w.cfg.MaxTokens,
		seed:        spec.Seed,
		provider:    w.provider(m),
		answered:    map[int]sotopia.AgentAction{},
	}
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
