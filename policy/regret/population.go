package regret

import (
	"math"

	"github.com/also-project/also/sotopia/sim"
)

// Arms created during the episode (opro, evoprompt-*, promptbreeder).
//
// A population policy asks the sim world's offline optimiser for new arm texts inside its policy
// actor, as in `also run`; when it plays one, the episode gives the arm to the hidden state,
// which scores its strategy part (sotopia.StrategyOf) like a pool arm from then on (Outcome.Added).
// Regret needs a comparison set that exists at every turn:
//
//	dynamic regret at turn t = max over A_t of mu_t(a) - mu_t(played),
//	A_t = the seat's original pool (the 13 arms every other bandit chooses among) plus every
//	      created arm the seat has played up to turn t.
//
// A created arm counts from the turn it was first played, so playing a good text raises the bar
// from then on. (Members the policy created but never played do not reach the hidden state, so
// they are not in A_t; the population's own bookkeeping stays inside its actor.) The static
// regret stays against the best original pool arm fixed over the whole episode (a created arm
// did not exist at turn 1); it is negative when the optimiser wrote texts that beat every seed
// arm. With no created arms both are exactly the definitions in regret.go.

// bestOf is max over the pool's expectations and those of the given hidden-state arms.
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
