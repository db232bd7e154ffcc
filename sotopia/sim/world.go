package sim

import (
	"context"
	"errors"
	"fmt"
	"github.com/also-project/also/sotopia/agents"
	"path/filepath"
	"strings"

	"github.com/also-project/also/sotopia"
)

// Name is the world's name and the model name of its judge.
const Name = "sim"

// World is the simulated social world. It implements sotopia.World; it is safe for concurrent
// use (it holds only configuration and a stateless embedder).
type World struct {
	cfg Config
	ds  *sotopia.Dataset
	emb *HashEmbedder
	// seats is the scripted seat the seat agents ask for (seat -1: both play the sim agent).
	seats scriptedSeat
	// names is what plays each seat in EpisodeLog.models when a seat agent sets it.
	names [sotopia.Seats]string
	// observe, if set, gets every turn the episodes' hidden states play (Observed).
	observe func(Outcome)
}

// Observed is a copy of the world that hands f every turn its episodes' hidden states play: the
// turn's Outcome, with every arm's expected reward, which the episode log does not keep (the
// regret benchmark needs it). f runs on the environment actor of the episode.
func (w *World) Observed(f func(Outcome)) *World {
	c := *w
	c.observe = f
	return &c
}

var _ sotopia.World = (*World)(nil)

// New builds the world. ds resolves the scenario and characters of a task when an episode's
// setup leaves them out.
func New(cfg Config, ds *sotopia.Dataset) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ds == nil {
		return nil, errors.New("sim: nil dataset")
	}
	emb, err := NewHashEmbedder(cfg.Dim)
	if err != nil {
		return nil, err
	}
	return &World{cfg: cfg, ds: ds, emb: emb, seats: noScriptedSeat}, nil
}

// NewWithAgents is New with seat agents (package agents): a seat plays the sim agent (llm, the
// default), a scripted behaviour or a script file, both modelled in the hidden state like the
// scripted Opponent settings. The sim world models one scripted seat, so at most one seat may
// be scripted, and not beside a scripted Opponent. switch: and registered agents need a live
// world (the sim world's non-stationary opponents are the drifting, switching and adaptive
// profiles).
func NewWithAgents(cfg Config, ds *sotopia.Dataset, seats [sotopia.Seats]agents.Spec) (*World, error) {
	w, err := New(cfg, ds)
	if err != nil {
		return nil, err
	}
	for seat, s := range seats {
		key := fmt.Sprintf("p%d_agent", seat+1)
		switch {
		case s.IsLLM():
			continue
		case s.Kind != agents.KindScripted && s.Kind != agents.KindScript:
			return nil, fmt.Errorf("%s = %q: the sim world plays llm (its simulated agent), scripted:%s or script:FILE; "+
				"%s needs a live world (for a non-stationary sim opponent use --opponent drifting, switching or adaptive)",
				key, s, strings.Join(scriptedNames, "|"), s.Kind)
		case IsScripted(cfg.Opponent):
			return nil, fmt.Errorf("%s = %q: the sim opponent is already the scripted %s; use one or the other", key, s, cfg.Opponent)
		case w.seats.seat >= 0:
			return nil, fmt.Errorf("%s = %q: the sim world models one scripted seat, and p%d_agent is one already", key, s, w.seats.seat+1)
		}
		w.seats = scriptedSeat{seat: seat, behaviour: s.Behaviour, script: s.Script}
		w.names[seat] = Name + "/" + string(s.Behaviour)
		if s.Script != nil {
			w.names[seat] = agents.KindScript + "/" + filepath.Base(s.Script.File)
		}
	}
	return w, nil
}

// Name implements sotopia.World.
func (w *World) Name() string { return Name }

// Config returns the world's configuration.
func (w *World) Config() Config { return w.cfg }

// Embedder is the world's hashed embedder (also the offline context embedder).
func (w *World) Embedder() *HashEmbedder { return w.emb }

// NewEpisode implements sotopia.World: the hidden state (for the environment), two agents that
// voice its decisions, a judge that scores its facts, and the hashed embedder. A scripted opponent takes the seat ScriptedSeat(spec.Optimised).
func (w *World) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if spec.Setup == nil {
		return nil, errors.New("sim: episode spec has no setup")
	}
	setup, err := w.complete(spec.Setup)
	if err != nil {
		return nil, err
	}
	scripted := w.seats
	if scripted.seat < 0 {
		scripted = opponentSeat(w.cfg, spec.Optimised)
	}
	m, err := newModel(w.cfg, w.emb, setup, spec.Arms, spec.Seed, scripted)
	if err != nil {
		return nil, err
	}
	judge := &Judge{seed: m.seed, task: m.task, scripted: m.scripted, trust0: m.trust0, sourceKind: m.sourceKind}
	out := &sotopia.EpisodeWorld{Judge: judge, Embedder: w.emb, Models: []string{Name}, Hidden: &hidden{m: m, observe: w.observe},
		Optimiser: NewOptimiser(spec.Seed)}
	for i := range out.Agents {
		out.Agents[i] = newAgent(i, setup, m.seed, m.task, scripted)
		out.Models = append(out.Models, w.agentModel(m, i))
	}
	return out, nil
}

// agentModel names what plays a seat in EpisodeLog.models: "sim/<profile>" or "sim/<script>".
func (w *World) agentModel(m *model, seat int) string {
	switch {
	case w.names[seat] != "":
		return w.names[seat]
	case seat == m.scripted:
		return Name + "/" + w.cfg.Opponent
	case IsScripted(w.cfg.Opponent):
		return Name + "/" + ProfileStatic // facing a scripted agent, preferences stay put
	}
	return Name + "/" + w.cfg.Opponent
}

// complete fills a setup's missing scenario and characters from the dataset, without changing
// the caller's copy.
func (w *World) complete(s *sotopia.Setup) (*sotopia.Setup, error) {
	if s.Env != nil && s.Agents[0] != nil && s.Agents[1] != nil {
		return s, nil
	}
	if s.Task.PK == "" && s.Task.EnvID == "" {
		return nil, errors.New("sim: setup has neither an environment profile nor a task")
	}
	env, agents, err := w.ds.Resolve(s.Task)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	c := *s
	if c.Env == nil {
		c.Env = env
	}
	for i := range c.Agents {
		if c.Agents[i] == nil {
			c.Agents[i] = agents[i]
		}
	}
	return &c, nil
}
