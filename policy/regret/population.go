package regret

import (
	"math"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

// Arms created during the episode (opro, evoprompt-*, promptbreeder).
//
// A population policy asks the sim world's offline optimiser (sim.Optimiser, seeded by the
// episode seed and the seat) for new arm texts; the bench embeds them with the world's embedder
// and adds their strategy part (sotopia.StrategyOf) to the game, which scores them like pool arms.
// Regret then needs a comparison set that exists at every turn:
//
//	dynamic regret at turn t = max over A_t of mu_t(a) - mu_t(played),
//	A_t = the seat's original pool (the 13 arms every other bandit chooses among) plus the
//	      members of the policy's population when it chose the arm of turn t.
//
// A created arm counts from the turn the policy could first play it, so creating a good text
// raises the bar from then on, and a policy cannot lower its regret by discarding good members.
// The static regret stays against the best original pool arm fixed over the whole episode (a
// created arm did not exist at turn 1); it is negative when the optimiser wrote texts that
// beat every seed arm. With no created arms both are exactly the definitions in regret.go.

// armMap translates a population policy's arm indices into the game's.
type armMap struct {
	evo        policy.Evolving
	background string
	game       map[int]int
}

func newArmMap(p policy.Policy, background string) *armMap {
	evo, ok := p.(policy.Evolving)
	if !ok {
		return nil
	}
	return &armMap{evo: evo, background: background, game: map[int]int{}}
}

// sync adds every current member the game does not know and returns the game indices of the
// population (the created part of A_t).
func (a *armMap) sync(g *sim.Game, seat int) []int {
	var out []int
	for _, m := range a.evo.Members() {
		out = append(out, a.index(g, seat, m))
	}
	return out
}

func (a *armMap) index(g *sim.Game, seat int, m policy.Member) int {
	if m.Operator == "seed" {
		return m.Index
	}
	if k, ok := a.game[m.Index]; ok {
		return k
	}
	k := g.AddStrategy(seat, sotopia.StrategyOf(a.background, m.Text))
	a.game[m.Index] = k
	return k
}

// gameArm is the game index of the policy's arm.
func (a *armMap) gameArm(g *sim.Game, seat, arm int) int {
	m, ok := a.evo.Member(arm)
	if !ok {
		return arm
	}
	return a.index(g, seat, m)
}

// bestOf is max over the pool's expectations and those of the given game arms.
func bestOf(out sim.Outcome, seat, pool int, arms []int) float64 {
	best := math.Inf(-1)
	for _, mu := range out.Expected[seat] {
		best = math.Max(best, mu)
	}
	for _, k := range arms {
		if k >= pool {
			best = math.Max(best, out.Added[seat][k-pool])
		}
	}
	return best
}

// populationParams gives a policy the world's offline optimiser and embedder.
func populationParams(p *policy.Params, w *world, seat int, emb *sim.HashEmbedder) {
	opt := sim.NewOptimiser(w.seed*31 + int64(seat))
	p.Optimiser = policy.OptimiserFunc(func(r policy.OptimiserRequest) ([]string, error) {
		return opt.Answer(r.Prompt, r.Samples)
	})
	p.Embed = func(text string) ([]float64, error) { return emb.Vector(text), nil }
}
