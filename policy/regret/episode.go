package regret

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/loop"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

// world is what episode i shares across bandits and opponents: the task, its setup, both seats'
// arm pools and the policies' view of the arms (embeddings of the full arm texts, as the episode
// actor computes them with the world's embedder).
type world struct {
	// runSeed is the run seed of the episode's actor run; seed the episode seed it derives
	// (loop.Seed), which the hidden state and the policies are seeded with.
	runSeed int64
	seed    int64
	setup   *sotopia.Setup
	arms    [sotopia.Seats][]sotopia.ArmChoice
	embed   [sotopia.Seats][][]float64
}

type job struct {
	opponent, bandit string
	world            *world
}

// plan is a validated benchmark: the worlds and the jobs over them, opponent-major, then
// bandit, then episode.
type plan struct {
	seeds, turns, workers int
	bandits, opponents    []string
	simCfg                sim.Config
	polCfg                policy.Config
	worlds                []*world
	jobs                  []job
	ds                    *sotopia.Dataset
	strategies            []sotopia.Strategy
	pool                  *nn.Pool // the neural policies' training workers, shared by every episode
}

func (p *plan) index(opp, bandit string, ep int) int {
	oi, bi := 0, 0
	for i, o := range p.opponents {
		if o == opp {
			oi = i
		}
	}
	for i, b := range p.bandits {
		if b == bandit {
			bi = i
		}
	}
	return (oi*len(p.bandits)+bi)*p.seeds + ep
}

func newPlan(opts Options) (*plan, error) {
	switch {
	case opts.Seeds < 1:
		return nil, fmt.Errorf("seeds = %d: must be at least 1", opts.Seeds)
	case opts.Turns < 1:
		return nil, fmt.Errorf("turns = %d: must be at least 1", opts.Turns)
	case opts.Workers < 0:
		return nil, fmt.Errorf("workers = %d: must be >= 0 (0 = one per CPU)", opts.Workers)
	}
	p := &plan{seeds: opts.Seeds, turns: opts.Turns, workers: opts.Workers}
	if p.workers == 0 {
		p.workers = runtime.NumCPU()
	}
	var err error
	if p.bandits, err = canonicalBandits(opts.Bandits); err != nil {
		return nil, err
	}
	if p.opponents, err = checkOpponents(opts.Opponents); err != nil {
		return nil, err
	}
	p.simCfg = sim.DefaultConfig()
	p.simCfg.LeaveTrust = 0
	if opts.World != nil {
		p.simCfg = *opts.World
	}
	p.polCfg = policy.DefaultConfig()
	p.polCfg.Horizon = max(1, opts.Turns-1)
	p.polCfg.ALSO.UseContext = false
	if opts.Policy != nil {
		p.polCfg = *opts.Policy
	}
	if err := p.polCfg.Validate(); err != nil {
		return nil, fmt.Errorf("policy config: %w", err)
	}
	if p.worlds, err = buildWorlds(opts, p.simCfg.Dim); err != nil {
		return nil, err
	}
	if p.ds, err = sotopia.Embedded(); err != nil {
		return nil, err
	}
	if p.strategies, err = sotopia.Strategies(opts.StrategyVersion); err != nil {
		return nil, fmt.Errorf("strategy version: %w", err)
	}
	if p.pool, err = nn.NewPool(nn.DefaultWorkers()); err != nil {
		return nil, err
	}
	for _, opp := range p.opponents {
		for _, b := range p.bandits {
			for _, w := range p.worlds {
				p.jobs = append(p.jobs, job{opponent: opp, bandit: b, world: w})
			}
		}
	}
	return p, nil
}

// buildWorlds draws episode i's task from a seeded permutation of the subset (cycling when there
// are more episodes than tasks) and builds both seats' arm pools.
func buildWorlds(opts Options, dim int) ([]*world, error) {
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, err
	}
	tasks, err := ds.Subset(opts.Subset)
	if err != nil {
		return nil, fmt.Errorf("subset: %w", err)
	}
	strategies, err := sotopia.Strategies(opts.StrategyVersion)
	if err != nil {
		return nil, fmt.Errorf("strategy version: %w", err)
	}
	emb, err := sim.NewHashEmbedder(dim)
	if err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	perm := rand.New(rand.NewPCG(uint64(opts.Seed), 0x7461736b)).Perm(len(tasks))
	worlds := make([]*world, opts.Seeds)
	for i := range worlds {
		task := tasks[perm[i%len(tasks)]]
		env, agents, err := ds.Resolve(task)
		if err != nil {
			return nil, err
		}
		run := opts.Seed + int64(i)
		w := &world{runSeed: run, seed: loop.Seed(run, task.PK, 0), setup: &sotopia.Setup{Task: task, Env: env, Agents: agents,
			Era: sotopia.EraBenchmark, MaxTurns: opts.Turns}}
		for seat := range sotopia.Seats {
			bg := w.setup.OwnBackground(seat)
			for k, s := range strategies {
				a := sotopia.ArmChoice{Index: k, ID: s.ID, Description: s.Description, Text: sotopia.ArmText(bg, s)}
				w.arms[seat] = append(w.arms[seat], a)
				w.embed[seat] = append(w.embed[seat], emb.Vector(a.Text))
			}
		}
		worlds[i] = w
	}
	return worlds, nil
}

// episodeStats are one episode's figures, already averaged over the optimised seats.
type episodeStats struct {
	regret, staticRegret, reward float64
	turns                        int
	created                      float64 // arms a population policy created, per seat
}

// play runs one episode through the actors, as `also run` plays it (environment, sim agents,
// sim judge, evaluator and one policy actor per optimised seat, credit all, no context), on its
// own actor system; the world hands over every turn's hidden outcome (sim.World.Observed), from
// which the regrets come:
//
//	dynamic regret at turn t = max over A_t of mu_t(a) - mu_t(played),
//	A_t = the seat's pool plus every created arm (population policies) the seat had played by t;
//	static regret = max over pool arms a of sum_t mu_t(a) - sum_t mu_t(played).
//
// Both seats open on arm 0; a scripted opponent's seat has no policy and is not averaged.
func (p *plan) play(ctx context.Context, j job) (episodeStats, error) {
	cfg := p.simCfg
	cfg.Opponent = j.opponent
	w := j.world
	fail := func(err error) (episodeStats, error) {
		return episodeStats{}, fmt.Errorf("%s vs %s, task %s: %w", j.bandit, j.opponent, w.setup.Task.PK, err)
	}
	base, err := sim.New(cfg, p.ds)
	if err != nil {
		return fail(err)
	}
	var outs []sim.Outcome // appended by the episode's environment actor, read once Run returns
	optimised := [sotopia.Seats]bool{true, true}
	if sim.IsScripted(j.opponent) {
		optimised[sim.ScriptedSeat(optimised)] = false
	}
	spec := actors.Spec{Dataset: p.ds, World: base.Observed(func(o sim.Outcome) { outs = append(outs, o) }),
		Tasks: []sotopia.Task{w.setup.Task}, Era: sotopia.EraBenchmark, MaxTurns: p.turns,
		Optimised: optimised, Bandit: j.bandit, Policy: p.polCfg, Strategies: p.strategies, Pool: p.pool,
		Credit: actors.CreditAll, Seed: w.runSeed, Tag: "bench-regret", BatchSize: 1,
		StepTimeout: time.Hour, Sink: discardSink{}}
	res, err := actors.Run(ctx, spec)
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return episodeStats{}, err
	}
	if len(res.Attempts) != 1 || res.Attempts[0].Status != sotopia.StatusDone {
		return fail(fmt.Errorf("episode not played: %+v", res.Attempts))
	}
	if len(outs) == 0 {
		return fail(errors.New("no turn played"))
	}

	var st episodeStats
	n := 0.0
	for seat := range sotopia.Seats {
		if !optimised[seat] {
			continue
		}
		n++
		pool := len(w.arms[seat])
		cum := make([]float64, pool)
		var dyn, got, reward float64
		var played []int // created arms played so far, as hidden-state indices
		for _, out := range outs {
			if a := out.Arms[seat]; a >= pool && !slices.Contains(played, a) {
				played = append(played, a)
			}
			dyn += bestOf(out, seat, pool, played) - out.Mu[seat]
			got += out.Mu[seat]
			reward += out.Reward[seat]
			for a, mu := range out.Expected[seat] {
				cum[a] += mu
			}
		}
		st.regret += dyn
		st.staticRegret += slices.Max(cum) - got
		st.reward += reward / float64(len(outs))
		st.created += float64(len(played))
	}
	st.created /= n
	st.regret /= n
	st.staticRegret /= n
	st.reward /= n
	st.turns = len(outs)
	return st, nil
}

// discardSink keeps nothing: the bench reads the hidden outcomes, not the episode log.
type discardSink struct{}

func (discardSink) Save(context.Context, *sotopia.EpisodeLog) error { return nil }
