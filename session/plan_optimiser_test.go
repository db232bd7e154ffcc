package session

import (
	"testing"

	"github.com/also-project/also/config"
)

// Optimiser calls by hand, for 3 episodes of 12 steps with both seats optimised: evolutions after
// turns 5 and 10, per seat. opro: 5 samples each; evoprompt-ga: 1 child; evoprompt-de: 4 trials
// (every member but the original); promptbreeder: 2 pairs x (1 + 2/3 hyper-mutation calls).
// Every child is embedded once more.
func TestPlanCountsOptimiserCalls(t *testing.T) {
	for bandit, want := range map[string][2]int64{
		"opro": {3 * 2 * 2 * 5, 3 * 2 * 2 * 5}, "evoprompt-ga": {3 * 2 * 2, 3 * 2 * 2},
		"evoprompt-de": {3 * 2 * 2 * 4, 3 * 2 * 2 * 4}, "promptbreeder": {3 * 2 * 7, 3 * 2 * 4},
	} {
		p := mustPlan(t, planCfg(func(c *config.Run) { c.Bandit, c.MaxTurns, c.UseContext = bandit, 12, false }))
		// Arms once per episode, plus the children.
		if got := p.calls(PlanOptimiser); got != want[0] {
			t.Errorf("%s: %d optimiser calls, want %d", bandit, got, want[0])
		}
		if got := p.calls(PlanEmbedder); got != 3+want[1] {
			t.Errorf("%s: %d embedder calls, want %d", bandit, got, 3+want[1])
		}
	}
	p := mustPlan(t, planCfg(func(c *config.Run) { c.Bandit = "also" }))
	if p.calls(PlanOptimiser) != 0 {
		t.Error("the also bandit plans optimiser calls")
	}
}
