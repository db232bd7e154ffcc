package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/also-project/also/sotopia"
)

// EvoPrompt (Guo et al., ICLR 2024; anchors.md C.2) in the per-turn loop, with the artifact's
// templates and parameters (also-method.md 2.6). Fitness is the latest reward; the member with
// pool index 0 (the unmodified background, the artifact's "original" unit) is never replaced.
// Both variants call the optimiser at temperature 0.3 for one sample.

// evoGA is the GA variant. Each evolution protects the original and the top max(1, floor(0.4 n))
// members by fitness, and replaces the max(1, floor(0.2 n)) lowest-fitness unprotected members:
// for each, two distinct parents are drawn by roulette wheel (probability proportional to fitness,
// without replacement; uniform if all fitness is 0), the optimiser crosses them over and mutates
// the result (evoprompt_ga.txt), and the child takes the victim's place with the parents' mean
// fitness, unevaluated. An unusable answer leaves the victim in place.
type evoGA struct{ *population }

func newEvoGA(p Params) (Policy, error) {
	if p.Config.PopulationSize < 2 {
		return nil, fmt.Errorf("evoprompt-ga: population_size = %d, crossover needs at least 2", p.Config.PopulationSize)
	}
	pop, err := newPopulation("evoprompt-ga", p, 0.5)
	if err != nil {
		return nil, err
	}
	g := &evoGA{pop}
	pop.evolver = g
	return g, nil
}

func isOriginal(m *Member) bool { return m.Operator == "seed" && m.Index == 0 }

func (g *evoGA) evolve(turn int) error {
	n := len(g.members)
	if n < 2 {
		return nil
	}
	protected := map[int]bool{}
	for pos, m := range g.members {
		if isOriginal(m) {
			protected[pos] = true
		}
	}
	order := g.byFitness()
	for _, pos := range order[:max(1, n*2/5)] {
		protected[pos] = true
	}
	var victims []int
	for i := len(order) - 1; i >= 0 && len(victims) < max(1, n/5); i-- {
		if !protected[order[i]] {
			victims = append(victims, order[i])
		}
	}
	for _, pos := range victims {
		a, b := g.roulettePair()
		p1, p2 := g.members[a], g.members[b]
		prompt := strings.ReplaceAll(sotopia.EvoPromptGA, "<bio1>", p1.Text)
		prompt = strings.ReplaceAll(prompt, "<bio2>", p2.Text)
		ev := OptimiserEvent{Turn: turn, Operator: "evoprompt-ga", Parents: ids(p1, p2)}
		answers, err := g.ask(&ev, OptimiserRequest{Operator: "evoprompt-ga", Turn: turn, Prompt: prompt, Temperature: 0.3, Samples: 1})
		if err != nil {
			return err
		}
		for _, ans := range answers[:min(1, len(answers))] {
			c, err := g.child(&ev, ans, parseEvoAnswer, turn, "evoprompt-ga", p1, p2)
			if err != nil {
				return err
			}
			if c != nil {
				c.Fitness = (p1.Fitness + p2.Fitness) / 2
				ev.Replaced = g.members[pos].ID
				g.replaceAt(pos, c)
			}
		}
		g.events = append(g.events, ev)
	}
	return nil
}

// roulettePair draws two distinct population positions with probability proportional to fitness.
func (g *evoGA) roulettePair() (int, int) {
	w := make([]float64, len(g.members))
	for i, m := range g.members {
		w[i] = max(m.Fitness, 0)
	}
	a := wheel(g.population, w)
	w[a] = 0
	b := wheel(g.population, w)
	if b == a { // only a had weight: take another uniformly
		b = (a + 1 + g.rng.IntN(len(w)-1)) % len(w)
	}
	return a, b
}

// wheel draws an index proportionally to w (uniformly over positive-or-all entries if the sum is 0).
func wheel(p *population, w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	if sum <= 0 {
		return p.rng.IntN(len(w))
	}
	u := p.rng.Float64() * sum
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	for i := len(w) - 1; i >= 0; i-- { // rounding left u at the end
		if w[i] > 0 {
			return i
		}
	}
	return len(w) - 1
}

// evoDE is the DE variant. Each evolution gives every member except the original a trial
// (evoprompt_de.txt): donors Bio 1 and Bio 2 are two distinct random other members, Bio 3 the
// current best, the base bio the member itself. The trial takes the member's place unevaluated
// (with its fitness); when its first reward arrives it stays only if that reward is at least the
// member's fitness, otherwise the member comes back: EvoPrompt's "replace p_i only if p_i' scores
// better", with one played turn as the score.
type evoDE struct {
	*population
	challenged map[int]*Member // trial index -> the member it replaced for now
}

func newEvoDE(p Params) (Policy, error) {
	if p.Config.PopulationSize < 3 {
		return nil, fmt.Errorf("evoprompt-de: population_size = %d, differential mutation needs at least 3", p.Config.PopulationSize)
	}
	pop, err := newPopulation("evoprompt-de", p, 0.5)
	if err != nil {
		return nil, err
	}
	d := &evoDE{population: pop, challenged: map[int]*Member{}}
	pop.evolver = d
	pop.onReward = d.judgeTrial
	return d, nil
}

func (d *evoDE) judgeTrial(m *Member, reward float64) {
	old, ok := d.challenged[m.Index]
	if !ok {
		return
	}
	delete(d.challenged, m.Index)
	if reward >= old.Fitness {
		return
	}
	pos := d.position(m.Index)
	d.replaceAt(pos, old)
	d.events = append(d.events, OptimiserEvent{Turn: m.Born, Operator: "evoprompt-de", Parents: m.Parents, Reverted: m.ID, Replaced: old.ID})
}

func (d *evoDE) evolve(turn int) error {
	n := len(d.members)
	if n < 3 {
		return nil
	}
	// Donors and the best come from the population as it was before this generation's trials.
	snap := slices.Clone(d.members)
	best := snap[d.byFitness()[0]]
	for pos := range n {
		base := snap[pos]
		if isOriginal(base) {
			continue
		}
		if _, pending := d.challenged[base.Index]; pending {
			continue // a trial not yet played from the last generation: not judged yet
		}
		r1, r2 := d.donors(pos)
		b1, b2 := snap[r1], snap[r2]
		// Chained str.replace in the artifact's order: <bio0>, <bio1>, <bio2>, <bio3>.
		prompt := strings.ReplaceAll(sotopia.EvoPromptDE, "<bio0>", base.Text)
		prompt = strings.ReplaceAll(prompt, "<bio1>", b1.Text)
		prompt = strings.ReplaceAll(prompt, "<bio2>", b2.Text)
		prompt = strings.ReplaceAll(prompt, "<bio3>", best.Text)
		ev := OptimiserEvent{Turn: turn, Operator: "evoprompt-de", Parents: ids(base, b1, b2, best)}
		answers, err := d.ask(&ev, OptimiserRequest{Operator: "evoprompt-de", Turn: turn, Prompt: prompt, Temperature: 0.3, Samples: 1})
		if err != nil {
			return err
		}
		for _, ans := range answers[:min(1, len(answers))] {
			c, err := d.child(&ev, ans, parseEvoAnswer, turn, "evoprompt-de", base, b1, b2, best)
			if err != nil {
				return err
			}
			if c != nil {
				c.Fitness = base.Fitness
				ev.Replaced = base.ID
				d.challenged[c.Index] = base
				d.replaceAt(pos, c)
			}
		}
		d.events = append(d.events, ev)
	}
	return nil
}

// donors draws two distinct positions other than pos.
func (d *evoDE) donors(pos int) (int, int) {
	n := len(d.members)
	a := (pos + 1 + d.rng.IntN(n-1)) % n
	for {
		b := (pos + 1 + d.rng.IntN(n-1)) % n
		if b != a {
			return a, b
		}
	}
}
