package sim

import (
	"context"
	"errors"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"

	"github.com/also-project/also/sotopia"
)

// Optimiser answers the prompt optimisers' prompts (sotopia.OPROMetaPrompt, EvoPromptGA,
// EvoPromptDE, PromptBreederMutation, PromptBreederHyperMutation and PromptBreeder's zero-order
// hyper-mutation) offline, in place of the optimiser LLM. It reads the arm texts the prompt
// shows, keeps the persona (the text before the first newline, the seat's own background) and
// writes a new strategy from the words of the shown strategies:
//
//   - OPRO: a crossover of the best-scored text with another shown one, then mutated;
//   - EvoPrompt GA: a one-point crossover of Bio 1 and Bio 2, then mutated;
//   - EvoPrompt DE: the words of Bio 1 missing from Bio 2, mutated, added to Bio 3, then a
//     uniform crossover with the base bio;
//   - PromptBreeder: the instruction's strategy mutated with words of its mutation guidance
//     (mutation prompt and thinking style); a hyper-mutation returns a reworded mutation prompt.
//
// Mutation replaces a word with one of the shown words (15%), drops one (10%) or swaps it with
// its neighbour (10%). New texts thus get new embeddings, and in the sim world new features and
// measurable rewards. Answers use the artifact's formats (<BIO>...</BIO> for OPRO and EvoPrompt,
// plain text for PromptBreeder) and depend only on the seed, the prompt and the sample number.
type Optimiser struct{ seed int64 }

// NewOptimiser returns the offline optimiser of a run or episode seed.
func NewOptimiser(seed int64) *Optimiser { return &Optimiser{seed: seed} }

// ErrUnknownOptimiserPrompt is returned for a prompt that is none of the artifact's.
var ErrUnknownOptimiserPrompt = errors.New("sim optimiser: not one of the artifact's optimiser prompts")

var (
	oproPair   = regexp.MustCompile(`(?s)\ntext:\n(.*?)\nscore:\n[0-9.]+\n`)
	gaBios     = regexp.MustCompile(`(?s)Bio 1: (.*?)\nBio 2: (.*?)\n2\. Mutate`)
	deDonors   = regexp.MustCompile(`(?s)Bio 1: (.*?)\nBio 2: (.*?)\n2\. Randomly mutate`)
	deBest     = regexp.MustCompile(`(?s)Bio 3: (.*?)\n4\. Crossover`)
	deBase     = regexp.MustCompile(`(?s)Base Bio: (.*?)\n\nExample:`)
	pbTask     = regexp.MustCompile(`(?s)## Mutation Guidance: \n(.*?)\n\n## Original Character Instruction\n(.*?)\n\n## Requirements`)
	pbHyper    = regexp.MustCompile(`(?s)^Please summarize and improve the following instruction for generating better prompts:\n(.*?)\n\nImproved mutation instruction:$`)
	pbProblem  = strings.SplitN(sotopia.OPROMetaPrompt, "\n", 2)[0] + " "
	oproMarker = "Below are some previous bio descriptions with their scores"
)

// Optimise implements sotopia.Optimiser. The seat and turn are mixed into the seed, so the
// same prompt at another turn or seat gets other samples, as a live model's would.
func (o *Optimiser) Optimise(ctx context.Context, call sotopia.OptimiserCall) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return (&Optimiser{seed: o.seed*1000003 + int64(call.Seat)*1009 + int64(call.Turn)}).Answer(call.Prompt, call.Samples)
}

// Answer returns samples answers to prompt.
func (o *Optimiser) Answer(prompt string, samples int) ([]string, error) {
	samples = max(1, samples)
	out := make([]string, samples)
	for i := range out {
		r := stream(o.seed, "optimiser", prompt, itoa(i))
		a, err := o.answer(r, prompt)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func (o *Optimiser) answer(r *rand.Rand, prompt string) (string, error) {
	switch {
	case strings.Contains(prompt, oproMarker):
		var texts []string
		for _, m := range oproPair.FindAllStringSubmatch(prompt, -1) {
			texts = append(texts, m[1])
		}
		if len(texts) == 0 {
			return "<BIO></BIO>", nil // nothing scored well enough to build on
		}
		best := texts[len(texts)-1] // ascending: the best comes last
		other := texts[r.IntN(len(texts))]
		persona, bw := splitArm(best)
		_, ow := splitArm(other)
		return bio(persona, mutateWords(r, crossover(r, bw, ow), pooled(texts...))), nil
	case strings.HasPrefix(prompt, "Please follow the instruction step-by-step") && gaBios.MatchString(prompt) && !deDonors.MatchString(prompt):
		m := gaBios.FindStringSubmatch(prompt)
		persona, w1 := splitArm(m[1])
		_, w2 := splitArm(m[2])
		return "Crossover Bio: combining both bios.\n2. " + bio(persona, mutateWords(r, crossover(r, w1, w2), pooled(m[1], m[2]))), nil
	case deDonors.MatchString(prompt) && deBest.MatchString(prompt) && deBase.MatchString(prompt):
		d := deDonors.FindStringSubmatch(prompt)
		best, base := deBest.FindStringSubmatch(prompt)[1], deBase.FindStringSubmatch(prompt)[1]
		_, w1 := splitArm(d[1])
		_, w2 := splitArm(d[2])
		_, w3 := splitArm(best)
		persona, w0 := splitArm(base)
		var diff []string
		for _, w := range w1 {
			if !slices.Contains(w2, w) {
				diff = append(diff, w)
			}
		}
		combined := append(slices.Clone(w3), mutateWords(r, diff, pooled(d[1], d[2]))...)
		var child []string
		for i := range max(len(combined), len(w0)) {
			switch pick := r.IntN(2); {
			case pick == 0 && i < len(combined):
				child = append(child, combined[i])
			case i < len(w0):
				child = append(child, w0[i])
			case i < len(combined):
				child = append(child, combined[i])
			}
		}
		return "Differences found.\n4. " + bio(persona, child), nil
	case pbTask.MatchString(prompt):
		m := pbTask.FindStringSubmatch(prompt)
		persona, w := splitArm(m[2])
		guidance := contentWords(m[1])
		r.Shuffle(len(guidance), func(i, j int) { guidance[i], guidance[j] = guidance[j], guidance[i] })
		w = append(mutateWords(r, w, pooled(m[2])), guidance[:min(2, len(guidance))]...)
		return persona + "\n" + strings.Join(w, " "), nil
	case pbHyper.MatchString(prompt):
		words := strings.Fields(pbHyper.FindStringSubmatch(prompt)[1])
		return "Improve the instruction as follows: " + strings.Join(mutateWords(r, words, words), " "), nil
	case strings.HasPrefix(prompt, pbProblem):
		return "Rewrite the instruction guided by this question: " + strings.TrimPrefix(prompt, pbProblem), nil
	}
	return "", ErrUnknownOptimiserPrompt
}

// splitArm splits an arm text into the persona (up to the first newline) and the strategy's
// words (after it, without the seed arms' suffix). A text without a newline is all persona.
func splitArm(text string) (string, []string) {
	persona, rest, ok := strings.Cut(text, "\n")
	if !ok {
		return text, nil
	}
	return persona, strings.Fields(strings.TrimSuffix(rest, sotopia.StrategySuffix))
}

func bio(persona string, words []string) string {
	return "<BIO>" + persona + "\n" + strings.Join(words, " ") + "</BIO>"
}

// pooled is every strategy word of the texts, the material mutations draw from.
func pooled(texts ...string) []string {
	var out []string
	for _, t := range texts {
		_, w := splitArm(t)
		out = append(out, w...)
	}
	return out
}

// crossover is a one-point crossover: a head of a and a tail of b.
func crossover(r *rand.Rand, a, b []string) []string {
	ca, cb := r.IntN(len(a)+1), r.IntN(len(b)+1)
	return append(slices.Clone(a[:ca]), b[cb:]...)
}

func mutateWords(r *rand.Rand, words, pool []string) []string {
	var out []string
	for _, w := range words {
		switch u := r.Float64(); {
		case u < 0.15 && len(pool) > 0:
			out = append(out, pool[r.IntN(len(pool))])
		case u < 0.25 && len(words) > 1:
			// dropped
		default:
			out = append(out, w)
		}
	}
	for i := 0; i+1 < len(out); i++ {
		if r.Float64() < 0.1 {
			out[i], out[i+1] = out[i+1], out[i]
		}
	}
	return out
}
