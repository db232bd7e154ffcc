package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

// pbAnswers answers hyper-mutations with a new mutation prompt and task mutations with a new text.
func pbAnswers(n int, r OptimiserRequest) ([]string, error) {
	if strings.Contains(r.Prompt, "## Original Character Instruction") {
		return []string{fmt.Sprintf("  mutated character instruction %d  ", n)}, nil
	}
	return []string{fmt.Sprintf("a brand new mutation prompt %d", n)}, nil
}

func TestPromptBreederBinaryTournament(t *testing.T) {
	opt := &fakeOptimiser{answer: pbAnswers}
	pol := newPop(t, "promptbreeder", DefaultConfig(), opt, 7)
	fit := []float64{0.1, 0.5, 0.9, 0.3, 0.7}
	before := pol.Members()
	playSeeds(t, pol, fit)
	after := pol.Members()
	var children []Member
	for pos, m := range after {
		if m.Operator == "seed" {
			if m.ID != before[pos].ID {
				t.Errorf("seed %s moved", m.ID)
			}
			continue
		}
		children = append(children, m)
		winner := m.Parents[0]
		loser := before[pos]
		if fit[winner[1]-'0'] < loser.Fitness {
			t.Errorf("%s overwrote %s (fitness %v) although its parent %s is less fit", m.ID, loser.ID, loser.Fitness, winner)
		}
		if m.Fitness != 0 || m.Evaluated || m.Text != strings.TrimSpace(m.Text) {
			t.Errorf("child %+v: want fitness 0, unevaluated, stripped text", m)
		}
	}
	if len(children) != 2 {
		t.Fatalf("%d children from 5 members, want 2 (two pairs)", len(children))
	}
	if before[2].ID != after[2].ID {
		t.Errorf("the fittest member s2 lost a tournament")
	}
}

func TestPromptBreederThinkingStylesAndHyperMutation(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 40 && len(seen) < 3; seed++ {
		opt := &fakeOptimiser{answer: pbAnswers}
		pol := newPop(t, "promptbreeder", DefaultConfig(), opt, seed)
		for _, m := range pol.Members() {
			if !slices.Contains(sotopia.PromptBreederMutationPrompts, m.MutationPrompt) || !slices.Contains(sotopia.PromptBreederThinkingStyles, m.ThinkingStyle) {
				t.Fatalf("seed unit %s has mutation prompt %q and style %q, not from the artifact's lists", m.ID, m.MutationPrompt, m.ThinkingStyle)
			}
		}
		parents := map[string]Member{}
		for _, m := range pol.Members() {
			parents[m.ID] = m
		}
		playSeeds(t, pol, []float64{0.1, 0.5, 0.9, 0.3, 0.7})
		reqs := opt.reqs
		for _, c := range pol.Members() {
			if c.Operator == "seed" {
				continue
			}
			seen[c.Operator] = true
			parent := parents[c.Parents[0]]
			task := pbMutationPrompt(c.MutationPrompt, c.ThinkingStyle, parent.Text)
			if !strings.Contains(task, "## Mutation Guidance: \n"+c.MutationPrompt+" "+c.ThinkingStyle+"\n") {
				t.Fatalf("thinking style missing from the task prompt:\n%s", task)
			}
			i := slices.IndexFunc(reqs, func(r OptimiserRequest) bool { return r.Prompt == task })
			if i < 0 {
				t.Fatalf("%s: no request with the mutation prompt, thinking style and parent text", c.ID)
			}
			if reqs[i].Temperature != 0.8 || reqs[i].Samples != 1 {
				t.Errorf("task mutation request %+v, want T 0.8, 1 sample", reqs[i])
			}
			switch c.Operator {
			case pbDirect:
				if c.MutationPrompt != parent.MutationPrompt || c.ThinkingStyle != parent.ThinkingStyle {
					t.Errorf("direct mutation changed the unit's operators")
				}
			case pbHyperFirst:
				hyper := strings.ReplaceAll(sotopia.PromptBreederHyperMutation, "{unit.mutation_prompt}", parent.MutationPrompt)
				if i == 0 || reqs[i-1].Prompt != hyper {
					t.Errorf("first-order hyper-mutation did not send the parent's mutation prompt to be improved")
				}
				if !strings.HasPrefix(c.MutationPrompt, "a brand new mutation prompt") {
					t.Errorf("child mutation prompt %q, want the hyper-mutated one", c.MutationPrompt)
				}
			case pbHyperZero:
				if i == 0 || reqs[i-1].Prompt != pbProblem+" "+c.ThinkingStyle {
					t.Errorf("zero-order hyper-mutation prompt %q, want the problem description and the new thinking style", reqs[i-1].Prompt)
				}
				if !strings.HasPrefix(c.MutationPrompt, "a brand new mutation prompt") {
					t.Errorf("child mutation prompt %q, want the generated one", c.MutationPrompt)
				}
			}
		}
	}
	for _, op := range []string{pbDirect, pbHyperFirst, pbHyperZero} {
		if !seen[op] {
			t.Errorf("operator %s never ran in 40 seeds", op)
		}
	}
}
