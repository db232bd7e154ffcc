package regret

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

// world is what episode i shares across bandits and opponents: the task, its setup, both seats'
// arm pools and the policies' view of the arms (embeddings of the full arm texts, as the episode
// actor computes them with the world's embedder).
type world struct {
	seed  int64
	setup *sotopia.Setup
	arms  [sotopia.Seats][]sotopia.ArmChoice
	embed [sotopia.Seats][][]float64
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
	emb                   *sim.HashEmbedder // embeds the arm texts population policies create
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
	if p.emb, err = sim.NewHashEmbedder(p.simCfg.Dim); err != nil {
		return nil, fmt.Errorf("world: %w", err)
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
		w := &world{seed: opts.Seed + int64(i), setup: &sotopia.Setup{Task: task, Env: env, Agents: agents,
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

// play runs one episode: both seats open on arm 0; after each turn every optimised seat updates
// with its reward and selects the next arm.
func (p *plan) play(j job) (episodeStats, error) {
	cfg := p.simCfg
	cfg.Opponent = j.opponent
	w := j.world
	game, err := sim.NewGame(cfg, w.setup, w.arms, w.seed)
	if err != nil {
		return episodeStats{}, fmt.Errorf("%s vs %s, task %s: %w", j.bandit, j.opponent, w.setup.Task.PK, err)
	}
	var optimised [sotopia.Seats]bool
	var pols [sotopia.Seats]policy.Policy
	var maps [sotopia.Seats]*armMap // population policies only (population.go)
	for seat := range sotopia.Seats {
		if sim.IsScripted(j.opponent) && seat == sim.ScriptedSeat([sotopia.Seats]bool{true, true}) {
			continue
		}
		arms := make([]policy.Arm, len(w.arms[seat]))
		for k, a := range w.arms[seat] {
			// A private copy: policies own their arms and may keep or change them.
			arms[k] = policy.Arm{Index: k, ID: a.ID, Text: a.Text, Embedding: append([]float64(nil), w.embed[seat][k]...)}
		}
		// Seeded like the episode actor's policies: episode seed, seat + 1.
		rng := rand.New(rand.NewPCG(uint64(w.seed), uint64(seat)+1))
		params := policy.Params{Arms: arms, Rand: rng, Config: p.polCfg}
		populationParams(&params, w, seat, p.emb)
		if pols[seat], err = policy.New(j.bandit, params); err != nil {
			return episodeStats{}, err
		}
		maps[seat] = newArmMap(pols[seat], w.setup.OwnBackground(seat))
		optimised[seat] = true
	}

	var active [sotopia.Seats]int
	var dyn, reward [sotopia.Seats]float64
	var cum [sotopia.Seats][]float64 // Σ_t μ_t(a) per arm
	var got [sotopia.Seats]float64   // Σ_t μ_t(played)
	turns := 0
	for t := 1; t <= p.turns && !game.Over(); t++ {
		played := active
		var avail [sotopia.Seats][]int
		for seat, am := range maps {
			if am != nil {
				avail[seat] = am.sync(game, seat)
				played[seat] = am.gameArm(game, seat, active[seat])
			}
		}
		out, err := game.Play(played)
		if err != nil {
			return episodeStats{}, fmt.Errorf("%s vs %s, task %s, turn %d: %w", j.bandit, j.opponent, w.setup.Task.PK, t, err)
		}
		turns = t
		for seat := range sotopia.Seats {
			if !optimised[seat] {
				continue
			}
			if maps[seat] != nil {
				dyn[seat] += bestOf(out, seat, len(w.arms[seat]), avail[seat]) - out.Mu[seat]
			} else {
				dyn[seat] += out.Regret[seat]
			}
			reward[seat] += out.Reward[seat]
			got[seat] += out.Mu[seat]
			if cum[seat] == nil {
				cum[seat] = make([]float64, len(out.Expected[seat]))
			}
			for a, mu := range out.Expected[seat] {
				cum[seat][a] += mu
			}
		}
		if t == p.turns || game.Over() {
			break // no turn follows, so nothing to select
		}
		for seat, pol := range pols {
			if pol == nil {
				continue
			}
			if err := pol.Update(policy.Feedback{Turn: t, Arm: active[seat], Reward: out.Reward[seat]}); err != nil {
				return episodeStats{}, err
			}
			c, err := pol.Select(t, nil)
			if err != nil {
				return episodeStats{}, err
			}
			active[seat] = c.Arm
		}
	}

	var st episodeStats
	n := 0.0
	for seat := range sotopia.Seats {
		if !optimised[seat] {
			continue
		}
		n++
		best := math.Inf(-1)
		for _, c := range cum[seat] {
			best = math.Max(best, c)
		}
		st.regret += dyn[seat]
		st.staticRegret += best - got[seat]
		st.reward += reward[seat] / float64(turns)
		if maps[seat] != nil {
			st.created += float64(len(maps[seat].game))
		}
	}
	st.created /= n
	st.regret /= n
	st.staticRegret /= n
	st.reward /= n
	st.turns = turns
	return st, nil
}
