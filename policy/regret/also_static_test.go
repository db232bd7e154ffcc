//go:build !race

// The neural surrogate retrains 19 times per seat per episode; under the race detector that is
// minutes, so this acceptance test runs in the non-race pass of the test command.

package regret

import "testing"

// ALSO's surrogate generalises across arms through their embeddings, so within one 20-turn
// episode against the static opponent it must beat the methods that cannot: uniform random,
// EXP3 (whose tuned gamma is 1 at this horizon) and UCB1 (which spends the episode trying arms).
func TestALSOBeatsRandomExp3UCB1InOneEpisodeAgainstStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 16 x 2 x 19 surrogates")
	}
	opts := DefaultOptions()
	opts.Seeds, opts.Turns, opts.Seed = 16, 20, 1
	opts.Bandits = []string{"also", "random", "exp3", "ucb1"}
	opts.Opponents = []string{"static"}
	rows, err := Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	regret := map[string]float64{}
	for _, r := range rows {
		regret[r.Bandit] = r.MeanRegret
		t.Logf("%-7s mean regret %.2f (static %.2f)", r.Bandit, r.MeanRegret, r.MeanStaticRegret)
	}
	for _, other := range []string{"random", "exp3", "ucb1"} {
		if !(regret["also"] < regret[other]) {
			t.Errorf("also regret %.2f is not below %s's %.2f", regret["also"], other, regret[other])
		}
	}
}
