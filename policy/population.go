package policy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// population is the state shared by OPRO, EvoPrompt and PromptBreeder (also-method.md 2.5-2.7):
// a list of members, fitness = the latest reward of each, an evolution step every
// EvolutionInterval turns, and the selection rule.
//
// Selection: a member never played comes first (in population order), otherwise round-robin
// over the population after the member played last. The artifact plays its seeds uniformly at
// random until turn 5 (GA, PromptBreeder) or unevaluated-first (OPRO) and then round-robin; with
// unevaluated-first everywhere every member (a new child included) has a measured fitness before
// it competes in the next evolution, which the random opening does not guarantee.
//
// Evolution runs in Select(turn) when turn >= interval and turn - last evolution >= interval
// (turns 5, 10, 15 for the paper's interval 5), as the artifact's _should_evolve.
type population struct {
	name     string
	cfg      Config
	rng      *rand.Rand
	opt      Optimiser
	embed    Embedder
	members  []*Member
	all      map[int]*Member
	seen     map[[16]byte]bool // every text that was ever a member: the artifact's MD5 de-dup
	next     int               // index of the next created arm
	lastEvo  int
	lastPos  int // population position of the member played last, for round-robin
	events   []OptimiserEvent
	evolver  interface{ evolve(turn int) error }
	onReward func(m *Member, reward float64) // after a member's fitness is set (DE's greedy step)
}

// newPopulation seeds the population with the first PopulationSize pool arms, as the paper's
// configs do (--population-size 5: no_strategy and the next four v3 arms).
func newPopulation(name string, p Params, initialFitness float64) (*population, error) {
	if p.Optimiser == nil {
		return nil, fmt.Errorf("%s: no optimiser (the LLM that writes new arm texts)", name)
	}
	if p.Embed == nil {
		return nil, fmt.Errorf("%s: no embedder for the arm texts it creates", name)
	}
	size := min(p.Config.PopulationSize, len(p.Arms))
	pop := &population{name: name, cfg: p.Config, rng: p.Rand, opt: p.Optimiser, embed: p.Embed,
		all: map[int]*Member{}, seen: map[[16]byte]bool{}, lastPos: -1}
	for _, a := range p.Arms[:size] {
		if a.Text == "" {
			return nil, fmt.Errorf("%s: arm %d (%s) has no text; population policies rewrite arm texts", name, a.Index, a.ID)
		}
		if a.Index >= pop.next {
			pop.next = a.Index + 1
		}
		pop.add(&Member{Index: a.Index, ID: a.ID, Text: a.Text, Embedding: a.Embedding, Operator: "seed", Fitness: initialFitness})
	}
	for _, a := range p.Arms {
		pop.next = max(pop.next, a.Index+1) // created arms never reuse a pool index
	}
	return pop, nil
}

func (p *population) add(m *Member) {
	p.members = append(p.members, m)
	p.all[m.Index] = m
	p.seen[textKey(m.Text)] = true
}

func (p *population) Name() string { return p.name }

// Members implements Evolving.
func (p *population) Members() []Member {
	out := make([]Member, len(p.members))
	for i, m := range p.members {
		out[i] = *m
	}
	return out
}

// Member implements Evolving.
func (p *population) Member(index int) (Member, bool) {
	m, ok := p.all[index]
	if !ok {
		return Member{}, false
	}
	return *m, true
}

// DrainEvents implements Evolving.
func (p *population) DrainEvents() []OptimiserEvent {
	ev := p.events
	p.events = nil
	return ev
}

func (p *population) position(index int) int {
	return slices.IndexFunc(p.members, func(m *Member) bool { return m.Index == index })
}

// Update sets the played member's fitness to the reward. Feedback for an arm that has left the
// population since it was played is ignored; for an arm never held it is an error.
func (p *population) Update(fb Feedback) error {
	if math.IsNaN(fb.Reward) || fb.Reward < 0 || fb.Reward > 1 {
		return fmt.Errorf("%s: reward %v for arm %d is outside [0, 1]", p.name, fb.Reward, fb.Arm)
	}
	pos := p.position(fb.Arm)
	if pos < 0 {
		if _, ok := p.all[fb.Arm]; ok {
			return nil
		}
		return fmt.Errorf("%s: feedback for arm %d, which this policy never held", p.name, fb.Arm)
	}
	m := p.members[pos]
	m.Fitness, m.Evaluated = fb.Reward, true
	p.lastPos = pos
	if p.onReward != nil {
		p.onReward(m, fb.Reward)
	}
	return nil
}

// Select evolves when due, then picks: unevaluated members first, else round-robin.
func (p *population) Select(turn int, _ []float64) (Choice, error) {
	if turn >= p.cfg.EvolutionInterval && turn-p.lastEvo >= p.cfg.EvolutionInterval {
		p.lastEvo = turn
		if err := p.evolver.evolve(turn); err != nil {
			return Choice{}, err
		}
	}
	for _, m := range p.members {
		if !m.Evaluated {
			return Choice{Arm: m.Index, Prob: 1}, nil
		}
	}
	pos := (p.lastPos + 1) % len(p.members)
	return Choice{Arm: p.members[pos].Index, Prob: 1}, nil
}

// ask calls the optimiser; an error is recorded in ev and reported as no answers, unless it is
// ErrOptimiserStop, which ends the run.
func (p *population) ask(ev *OptimiserEvent, req OptimiserRequest) ([]string, error) {
	answers, err := p.opt.Propose(req)
	if err != nil {
		if errors.Is(err, ErrOptimiserStop) {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		ev.Err = err.Error()
		return nil, nil
	}
	ev.Answers += len(answers)
	return answers, nil
}

// child turns a parsed answer into a new member, or records why it cannot be one: unparsable,
// already seen (MD5), or not embeddable.
func (p *population) child(ev *OptimiserEvent, answer string, parse func(string) (string, string), turn int, op string, parents ...*Member) (*Member, error) {
	text, why := parse(answer)
	if why == "" && p.seen[textKey(text)] {
		why = "duplicate of a text already in the population (MD5)"
	}
	if why != "" {
		ev.Rejected = append(ev.Rejected, Rejection{Reason: why, Answer: answer})
		return nil, nil
	}
	emb, err := p.embed(text)
	if err != nil {
		if errors.Is(err, ErrOptimiserStop) {
			return nil, fmt.Errorf("%s: embedding a new arm: %w", p.name, err)
		}
		ev.Rejected = append(ev.Rejected, Rejection{Reason: "embedding failed: " + err.Error(), Answer: answer})
		return nil, nil
	}
	m := &Member{Index: p.next, ID: fmt.Sprintf("%s-%d", op, p.next), Text: text, Embedding: emb, Operator: op, Born: turn}
	for _, par := range parents {
		m.Parents = append(m.Parents, par.ID)
	}
	p.next++
	p.seen[textKey(text)] = true
	ev.Accepted = append(ev.Accepted, m.ID)
	return m, nil
}

// replaceAt puts m in the population at position pos.
func (p *population) replaceAt(pos int, m *Member) {
	p.members[pos] = m
	p.all[m.Index] = m
}

// byFitness returns the population positions ordered by fitness, best first (ties keep
// population order, like Python's stable sort).
func (p *population) byFitness() []int {
	idx := make([]int, len(p.members))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		fa, fb := p.members[a].Fitness, p.members[b].Fitness
		switch {
		case fa > fb:
			return -1
		case fa < fb:
			return 1
		}
		return 0
	})
	return idx
}

func ids(ms ...*Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}
