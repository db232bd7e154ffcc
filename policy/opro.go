package policy

import (
	"slices"
	"strconv"
	"strings"

	"github.com/also-project/also/sotopia"
)

// opro is OPRO (Yang et al., ICLR 2024; anchors.md C.1) in the per-turn loop, with the artifact's
// meta-prompt and parameters (also-method.md 2.5), where the artifact's optimiser step is dead
// code and here runs:
//
//   - the optimisation trajectory is every arm text played so far with its latest reward;
//   - at each evolution the population is cut to the PopulationSize best members ("keep the
//     best"), then the meta-prompt gets the trajectory entries scoring >= opro.threshold, sorted
//     ascending (stable), the last opro.top_k of them, each as the artifact's text/score pair;
//   - the optimiser samples opro.samples texts at temperature 1.0; each is parsed (<BIO>...</BIO>,
//     or a bare 10-1000 character reply), de-duplicated by MD5 against every text the population
//     ever held and joins the population unevaluated with the artifact's initial score 0.5.
//
// New texts are played (unevaluated first) before the next evolution ranks them.
type opro struct {
	*population
	trajectory []scoredText
	scoreOf    map[string]int // text -> trajectory position
}

type scoredText struct {
	id, text string
	score    float64
}

func newOPRO(p Params) (Policy, error) {
	pop, err := newPopulation("opro", p, 0.5)
	if err != nil {
		return nil, err
	}
	o := &opro{population: pop, scoreOf: map[string]int{}}
	pop.evolver = o
	pop.onReward = o.record
	return o, nil
}

func (o *opro) record(m *Member, reward float64) {
	if i, ok := o.scoreOf[m.Text]; ok {
		o.trajectory[i].score = reward
		return
	}
	o.scoreOf[m.Text] = len(o.trajectory)
	o.trajectory = append(o.trajectory, scoredText{id: m.ID, text: m.Text, score: reward})
}

// metaPrompt fills SOTOPIA_BIO_META_PROMPT as gen_instruction_score_pairs_str does; it also
// returns the entries shown, oldest-lowest first.
func (o *opro) metaPrompt() (string, []scoredText) {
	var kept []scoredText
	for _, s := range o.trajectory {
		if s.score >= o.cfg.OPRO.Threshold {
			kept = append(kept, s)
		}
	}
	slices.SortStableFunc(kept, func(a, b scoredText) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return 0
	})
	if len(kept) > o.cfg.OPRO.TopK {
		kept = kept[len(kept)-o.cfg.OPRO.TopK:]
	}
	var pairs strings.Builder
	for _, s := range kept {
		// An f-string: both values go in at once, neither is scanned for the other's placeholder.
		pairs.WriteString(strings.NewReplacer("{instruction}", s.text, "{display_score}", pyRound2(s.score)).Replace(sotopia.OPROScorePair))
	}
	return strings.Replace(sotopia.OPROMetaPrompt, "{instruction_score_pairs}", pairs.String(), 1), kept
}

// pyRound2 prints Python's repr(round(x, 2)): correctly rounded to 2 decimals, then the shortest
// repr, always with a decimal point (0.5, 0.67, 1.0).
func pyRound2(x float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64)
	s := strconv.FormatFloat(r, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (o *opro) evolve(turn int) error {
	// Keep the best PopulationSize members (the artifact keeps its top 5 and adds the new ones).
	if len(o.members) > o.cfg.PopulationSize {
		order := o.byFitness()[:o.cfg.PopulationSize]
		slices.Sort(order) // keep population order among the survivors
		kept := make([]*Member, 0, len(order))
		for _, pos := range order {
			kept = append(kept, o.members[pos])
		}
		o.members = kept
		o.lastPos = -1
	}
	prompt, shown := o.metaPrompt()
	ev := OptimiserEvent{Turn: turn, Operator: "opro"}
	var parents []*Member
	for _, s := range shown {
		ev.Parents = append(ev.Parents, s.id)
		parents = append(parents, &Member{ID: s.id})
	}
	answers, err := o.ask(&ev, OptimiserRequest{Operator: "opro", Turn: turn, Prompt: prompt, Temperature: 1.0, Samples: o.cfg.OPRO.Samples})
	if err != nil {
		return err
	}
	for _, a := range answers {
		m, err := o.child(&ev, a, parseOPROAnswer, turn, "opro", parents...)
		if err != nil {
			return err
		}
		if m != nil {
			m.Fitness = 0.5
			o.add(m)
		}
	}
	o.events = append(o.events, ev)
	return nil
}
