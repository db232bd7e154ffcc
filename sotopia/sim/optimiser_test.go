package sim

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

const testPersona = "Ann Lee is a 30-year-old nurse who values fairness."

func seedArm(desc string) string {
	return sotopia.ArmText(testPersona, sotopia.Strategy{Description: desc})
}

func TestOptimiserAnswersEveryArtifactPrompt(t *testing.T) {
	a, b, c := seedArm("Offer shared gains and ask about needs."), seedArm("Apply firm pressure with deadlines."), seedArm("Feign disinterest to lower their price.")
	rep := func(tmpl string, pairs ...string) string {
		for i := 0; i+1 < len(pairs); i += 2 {
			tmpl = strings.ReplaceAll(tmpl, pairs[i], pairs[i+1])
		}
		return tmpl
	}
	pairs := "\ntext:\n" + b + "\nscore:\n0.6\n" + "\ntext:\n" + a + "\nscore:\n0.9\n"
	prompts := map[string]string{
		"opro":     strings.Replace(sotopia.OPROMetaPrompt, "{instruction_score_pairs}", pairs, 1),
		"ga":       rep(sotopia.EvoPromptGA, "<bio1>", a, "<bio2>", b),
		"de":       rep(sotopia.EvoPromptDE, "<bio0>", c, "<bio1>", a, "<bio2>", b, "<bio3>", a),
		"pb":       strings.NewReplacer("{mutation_prompt}", "Make it more fun. How could I simplify the problem?", "{loser.task_prompt}", a).Replace(sotopia.PromptBreederMutation),
		"pb-hyper": strings.ReplaceAll(sotopia.PromptBreederHyperMutation, "{unit.mutation_prompt}", "Say that instruction again in another way."),
		"pb-zero":  strings.SplitN(sotopia.OPROMetaPrompt, "\n", 2)[0] + " What are the key assumptions underlying this problem?",
	}
	shown := strings.Fields(strings.Join([]string{"Offer shared gains and ask about needs.", "Apply firm pressure with deadlines.", "Feign disinterest to lower their price."}, " "))
	for name, p := range prompts {
		opt := NewOptimiser(42)
		got, err := opt.Answer(p, 3)
		if err != nil || len(got) != 3 {
			t.Fatalf("%s: %v, %d answers", name, err, len(got))
		}
		again, _ := NewOptimiser(42).Answer(p, 3)
		if !slices.Equal(got, again) {
			t.Errorf("%s: answers differ between two calls with the same seed", name)
		}
		if name == "pb-hyper" || name == "pb-zero" {
			if len(got[0]) <= 10 {
				t.Errorf("%s: answer %q too short to be a mutation prompt", name, got[0])
			}
			continue
		}
		text := strings.TrimSuffix(strings.TrimPrefix(got[0][strings.Index(got[0], "<BIO>")+1:], "BIO>"), "</BIO>")
		if name == "pb" {
			text = got[0]
		}
		persona, words := splitArm(text)
		if persona != testPersona {
			t.Errorf("%s: persona %q not kept in %q", name, persona, got[0])
		}
		if len(words) == 0 {
			t.Errorf("%s: empty strategy in %q", name, got[0])
		}
		for _, w := range words {
			if name != "pb" && !slices.Contains(shown, w) {
				t.Errorf("%s: word %q is not from the shown strategies", name, w)
			}
		}
	}
	if _, err := NewOptimiser(1).Answer("Write me a poem.", 1); !errors.Is(err, ErrUnknownOptimiserPrompt) {
		t.Errorf("unknown prompt: %v", err)
	}
}

func TestGameScoresAddedStrategies(t *testing.T) {
	g := newTestGame(t, DefaultConfig(), 0, 7)
	k := g.AddStrategy(0, "Offer shared gains and ask about needs. Apply firm pressure.")
	if k != g.PoolSize(0) {
		t.Fatalf("first added strategy got index %d, want %d", k, g.PoolSize(0))
	}
	if again := g.AddStrategy(0, "Offer shared gains and ask about needs. Apply firm pressure."); again != k {
		t.Errorf("the same strategy added twice got %d and %d", k, again)
	}
	out, err := g.Play([2]int{k, 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Added[0]) != 1 || out.Added[0][0] != out.Mu[0] || len(out.Added[1]) != 0 {
		t.Errorf("added-strategy expectations %v, mu %v", out.Added, out.Mu)
	}
}
