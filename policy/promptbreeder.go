package policy

import (
	"strings"

	"github.com/also-project/also/sotopia"
)

// promptBreeder is Promptbreeder (Fernando et al., ICML 2024; anchors.md C.3) in the per-turn
// loop, with the artifact's progressive mutation prompt and seed lists (also-method.md 2.7), whose
// published class cannot be constructed and never puts a thinking style into a prompt.
//
// Each unit is an arm text plus a mutation prompt and a thinking style, drawn at start from the
// artifact's 56 mutation prompts and 39 thinking styles. Every evolution is a binary tournament:
// the population is shuffled and paired, and in each pair the fitter unit (the latest reward;
// the earlier one on a tie) wins; a mutated copy of the winner overwrites the loser, as the paper
// does (the artifact rewrote the loser's own text). One operator is drawn uniformly per pair:
//
//   - direct (first-order) mutation: progressive_promptbreeder_mutation.txt with the winner's
//     text, and as {mutation_prompt} the winner's mutation prompt followed by its thinking style
//     (the paper's "mutation-prompt + thinking-style" concatenation);
//   - first-order hyper-mutation: the mutation prompt is first rewritten by the artifact's
//     "Please summarize and improve the following instruction for generating better prompts"
//     prompt, then used as above; the child carries the new mutation prompt;
//   - zero-order hyper-mutation: a new mutation prompt is generated from the problem description
//     (the first sentence of the artifact's OPRO meta-prompt) and a freshly drawn thinking style,
//     then used as above; the child carries both.
//
// Calls use temperature 0.8 and one sample. The mutant starts unevaluated with fitness 0.0 (the
// artifact's value). An unusable answer at any step leaves the loser in place.
type promptBreeder struct{ *population }

// Operator names recorded on PromptBreeder children.
const (
	pbDirect     = "promptbreeder-mutation"
	pbHyperFirst = "promptbreeder-hypermutation"
	pbHyperZero  = "promptbreeder-zero-order-hypermutation"
)

// pbProblem is the task description the zero-order hyper-mutation starts from.
var pbProblem = strings.SplitN(sotopia.OPROMetaPrompt, "\n", 2)[0]

func newPromptBreeder(p Params) (Policy, error) {
	pop, err := newPopulation("promptbreeder", p, 0.0)
	if err != nil {
		return nil, err
	}
	for _, m := range pop.members {
		m.MutationPrompt = sotopia.PromptBreederMutationPrompts[pop.rng.IntN(len(sotopia.PromptBreederMutationPrompts))]
		m.ThinkingStyle = sotopia.PromptBreederThinkingStyles[pop.rng.IntN(len(sotopia.PromptBreederThinkingStyles))]
	}
	b := &promptBreeder{pop}
	pop.evolver = b
	return b, nil
}

// mutationPrompt fills the progressive template: the f-string puts both values in at once.
func pbMutationPrompt(mutation, style, task string) string {
	return strings.NewReplacer("{mutation_prompt}", mutation+" "+style, "{loser.task_prompt}", task).Replace(sotopia.PromptBreederMutation)
}

func (b *promptBreeder) evolve(turn int) error {
	order := b.rng.Perm(len(b.members))
	for i := 0; i+1 < len(order); i += 2 {
		w, l := order[i], order[i+1]
		if b.members[l].Fitness > b.members[w].Fitness {
			w, l = l, w
		}
		if err := b.replicate(turn, w, l); err != nil {
			return err
		}
	}
	return nil
}

// replicate overwrites the loser at position l with a mutant of the winner at w.
func (b *promptBreeder) replicate(turn, w, l int) error {
	winner := b.members[w]
	op := []string{pbDirect, pbHyperFirst, pbHyperZero}[b.rng.IntN(3)]
	mutation, style := winner.MutationPrompt, winner.ThinkingStyle
	ev := OptimiserEvent{Turn: turn, Operator: op, Parents: ids(winner)}
	defer func() { b.events = append(b.events, ev) }()
	if op != pbDirect {
		var prompt string
		if op == pbHyperFirst {
			prompt = strings.ReplaceAll(sotopia.PromptBreederHyperMutation, "{unit.mutation_prompt}", mutation)
		} else {
			style = sotopia.PromptBreederThinkingStyles[b.rng.IntN(len(sotopia.PromptBreederThinkingStyles))]
			prompt = pbProblem + " " + style
		}
		answers, err := b.ask(&ev, OptimiserRequest{Operator: op, Turn: turn, Prompt: prompt, Temperature: 0.8, Samples: 1})
		if err != nil || len(answers) == 0 {
			return err
		}
		text, why := parsePromptBreederAnswer(answers[0])
		if why != "" {
			ev.Rejected = append(ev.Rejected, Rejection{Reason: "mutation prompt: " + why, Answer: answers[0]})
			return nil
		}
		mutation = text
	}
	answers, err := b.ask(&ev, OptimiserRequest{Operator: op, Turn: turn, Prompt: pbMutationPrompt(mutation, style, winner.Text), Temperature: 0.8, Samples: 1})
	if err != nil || len(answers) == 0 {
		return err
	}
	c, err := b.child(&ev, answers[0], parsePromptBreederAnswer, turn, op, winner)
	if err != nil || c == nil {
		return err
	}
	c.MutationPrompt, c.ThinkingStyle, c.Fitness = mutation, style, 0.0
	ev.Replaced = b.members[l].ID
	b.replaceAt(l, c)
	return nil
}
