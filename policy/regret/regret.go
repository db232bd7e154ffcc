// Package regret benchmarks the registered bandits against the simulated world's opponent
// profiles, where the expected reward of every arm is known each turn.
//
// For every (opponent, bandit) pair it plays Seeds episodes of Turns turns through the actors,
// exactly as `also run` plays a sim episode (package actors: environment, sim agents and judge,
// evaluator, one policy actor per optimised seat; one actor system per episode, Workers at
// once). Episode i uses the i-th task of a seeded permutation of the subset and run seed Seed+i
// for every bandit and opponent, so all bandits face the same worlds (common random numbers).
// Both seats are optimised by their own instance of the same bandit (bilateral, the paper's
// "Both" setting); against a scripted opponent only the seat facing it is. As in the episode
// loop (also-method.md 1.4) every seat opens on arm 0, and after each turn updates with the
// judge's reward and selects the arm of the next turn (credit all). The expected rewards come
// from the hidden state (sim.World.Observed), which the episode log does not keep.
//
// Per episode and optimised seat, with μ_t(a) the expected reward of arm a at turn t (the other
// seat's arm held at what it played):
//
//	dynamic regret  Σ_t [max_a μ_t(a) − μ_t(played)]     (best arm per turn)
//	static regret   max_a Σ_t μ_t(a) − Σ_t μ_t(played)   (best fixed arm in hindsight)
//	reward          mean_t of the observed reward
//
// A row averages these over the optimised seats and then over the episodes. The static regret
// is external regret along the realised trajectory: against the adaptive profile, a different
// fixed arm would also have changed the opponent, which this measure (like Exp3's guarantee)
// does not replay.
//
// The default world disables trust-based leaving: a seat that leaves ends the episode and cuts
// the regret sum short, which would reward the bandits that sour the conversation. The scripted
// leaver still leaves (that is its whole behaviour); its rows report the turns actually played.
// No policy receives a context embedding (the default; Options.Policy can change the policy
// settings, not that).
package regret

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

// Options configures a benchmark run. Start from DefaultOptions.
type Options struct {
	// Seeds is the number of episodes per (opponent, bandit) pair.
	Seeds int
	// Turns is the number of turns per episode (an episode ends earlier only if a seat leaves).
	Turns int
	// Bandits are policy names or aliases; empty means DefaultBandits().
	Bandits []string
	// Opponents are sim opponent profiles or scripted agents; empty means sim.Profiles().
	Opponents []string
	// Seed is the base seed: tasks, worlds and policies all derive from it.
	Seed int64
	// Workers bounds the episodes played at once; 0 means runtime.NumCPU().
	Workers int
	// Subset names the Sotopia tasks episodes are drawn from (sotopia.SubsetNames).
	Subset string
	// StrategyVersion is the arm pool (sotopia.StrategyVersions).
	StrategyVersion string
	// World is the sim world; nil means sim.DefaultConfig() without trust-based leaving. Its
	// Opponent is replaced by each row's opponent.
	World *sim.Config
	// Policy configures every bandit; nil means policy.DefaultConfig() with Horizon = Turns-1
	// and no context embedding.
	Policy *policy.Config
}

// DefaultOptions: 100 episodes of 20 turns (one Sotopia episode) on all 450 tasks, the paper's
// 13-arm pool.
func DefaultOptions() Options {
	return Options{Seeds: 100, Turns: 20, Subset: "all", StrategyVersion: sotopia.DefaultStrategyVersion}
}

// Row is the result of one bandit against one opponent.
type Row struct {
	Opponent string `json:"opponent"`
	Bandit   string `json:"bandit"`
	// Turns is the mean number of turns played per episode, rounded.
	Turns            int     `json:"turns"`
	MeanRegret       float64 `json:"mean_regret"`
	MeanStaticRegret float64 `json:"mean_static_regret"`
	MeanReward       float64 `json:"mean_reward"`
	// RegretSE and StaticRegretSE are standard errors of the means over episodes.
	RegretSE       float64 `json:"regret_se"`
	StaticRegretSE float64 `json:"static_regret_se"`
	Episodes       int     `json:"episodes"`
	// ArmsCreated is the mean number of arm texts a population policy (opro, evoprompt-*,
	// promptbreeder) created and then played, per seat and episode; 0 for the others.
	ArmsCreated float64 `json:"arms_created,omitempty"`
}

// DefaultBandits is every registered policy. The prompt optimisers (opro, evoprompt-*,
// promptbreeder) get the sim world's offline optimiser; population.go defines their regret.
func DefaultBandits() []string { return policy.Names() }

// Run plays the benchmark; rows come opponent-major in the order of Options.Opponents, then
// Options.Bandits.
func Run(opts Options) ([]Row, error) { return RunContext(context.Background(), opts) }

// RunContext is Run that stops early when ctx is cancelled.
func RunContext(ctx context.Context, opts Options) ([]Row, error) {
	plan, err := newPlan(opts)
	if err != nil {
		return nil, err
	}
	stats := make([]episodeStats, len(plan.jobs))
	if err := plan.runAll(ctx, stats); err != nil {
		return nil, err
	}
	var rows []Row
	for _, opp := range plan.opponents {
		for _, b := range plan.bandits {
			rows = append(rows, summarise(opp, b, stats[plan.index(opp, b, 0):plan.index(opp, b, 0)+plan.seeds]))
		}
	}
	return rows, nil
}

// runAll plays every job on a bounded pool; the first error cancels the rest.
func (p *plan) runAll(ctx context.Context, stats []episodeStats) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range p.workers {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					continue // cancelled: drain without playing
				}
				st, err := p.play(ctx, p.jobs[j])
				if err != nil {
					cancel(err)
					continue // keep draining so the feeder never blocks
				}
				stats[j] = st
			}
		})
	}
feed:
	for j := range p.jobs {
		select {
		case jobs <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// summarise averages one row's episodes.
func summarise(opp, bandit string, eps []episodeStats) Row {
	n := float64(len(eps))
	var dyn, static, reward, turns []float64
	created := 0.0
	for _, e := range eps {
		created += e.created
		dyn = append(dyn, e.regret)
		static = append(static, e.staticRegret)
		reward = append(reward, e.reward)
		turns = append(turns, float64(e.turns))
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / n
	}
	se := func(xs []float64) float64 {
		if len(xs) < 2 {
			return 0
		}
		m, ss := mean(xs), 0.0
		for _, x := range xs {
			ss += (x - m) * (x - m)
		}
		return math.Sqrt(ss / (n - 1) / n)
	}
	return Row{Opponent: opp, Bandit: bandit, Turns: int(math.Round(mean(turns))),
		MeanRegret: mean(dyn), MeanStaticRegret: mean(static), MeanReward: mean(reward),
		RegretSE: se(dyn), StaticRegretSE: se(static), Episodes: len(eps), ArmsCreated: created / n}
}

// canonicalBandits resolves names and aliases to registered names, rejecting duplicates.
func canonicalBandits(names []string) ([]string, error) {
	if len(names) == 0 {
		return DefaultBandits(), nil
	}
	var out []string
	for _, n := range names {
		in, err := policy.Lookup(n)
		if err != nil {
			return nil, fmt.Errorf("bandits: %w", err)
		}
		if slices.Contains(out, in.Name) {
			return nil, fmt.Errorf("bandits: %q is listed twice", in.Name)
		}
		out = append(out, in.Name)
	}
	return out, nil
}

func checkOpponents(names []string) ([]string, error) {
	if len(names) == 0 {
		return sim.Profiles(), nil
	}
	for i, n := range names {
		if !slices.Contains(sim.Profiles(), n) {
			return nil, fmt.Errorf("opponents: unknown opponent %q (want one of %s)", n, strings.Join(sim.Profiles(), ", "))
		}
		if slices.Contains(names[:i], n) {
			return nil, fmt.Errorf("opponents: %q is listed twice", n)
		}
	}
	return names, nil
}
