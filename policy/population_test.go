package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

// fakeOptimiser records every request and answers with answer(request number, request).
type fakeOptimiser struct {
	reqs   []OptimiserRequest
	answer func(n int, r OptimiserRequest) ([]string, error)
}

func (f *fakeOptimiser) Propose(r OptimiserRequest) ([]string, error) {
	f.reqs = append(f.reqs, r)
	return f.answer(len(f.reqs), r)
}

// freshAnswers gives every requested sample a new, valid text.
func freshAnswers(n int, r OptimiserRequest) ([]string, error) {
	var out []string
	for i := range max(1, r.Samples) {
		out = append(out, fmt.Sprintf("<BIO>evolved bio number %d.%d, long enough to keep</BIO>", n, i))
	}
	return out, nil
}

func popArms(k int) []Arm {
	arms := make([]Arm, k)
	for i := range arms {
		arms[i] = Arm{Index: i, ID: fmt.Sprintf("s%d", i), Text: fmt.Sprintf("arm text %d", i), Embedding: []float64{float64(i)}}
	}
	return arms
}

func newPop(t *testing.T, name string, cfg Config, opt Optimiser, seed uint64) Evolving {
	t.Helper()
	embed := func(s string) ([]float64, error) { return []float64{float64(len(s))}, nil }
	pol, err := New(name, Params{Arms: popArms(7), Rand: rand.New(rand.NewPCG(seed, 9)), Config: cfg, Optimiser: opt, Embed: embed})
	if err != nil {
		t.Fatal(err)
	}
	return pol.(Evolving)
}

// playSeeds plays turns 1..5 on the five seeds with the given rewards (turn 1 is arm 0, as the
// loop opens on it) and returns the choice made at Select(5), after the first evolution.
func playSeeds(t *testing.T, pol Evolving, rewards []float64) Choice {
	t.Helper()
	arm := 0
	var c Choice
	for turn := 1; turn <= 5; turn++ {
		mustUpdate(t, pol, turn, arm, rewards[arm])
		c = mustSelect(t, pol, turn)
		arm = c.Arm
	}
	return c
}

func TestOPROMetaPromptIsScoredHistoryAscendingTopK(t *testing.T) {
	cfg := DefaultConfig()
	cfg.OPRO.TopK = 3
	opt := &fakeOptimiser{answer: freshAnswers}
	pol := newPop(t, "opro", cfg, opt, 1)
	playSeeds(t, pol, []float64{0.9, 0.3, 0.55, 0.7, 0.6})
	if len(opt.reqs) != 1 {
		t.Fatalf("%d optimiser calls by turn 5, want 1", len(opt.reqs))
	}
	// Threshold 0.5 drops arm 1; top 3 ascending: arm 4 (0.6), arm 3 (0.7), arm 0 (0.9).
	pairs := "\ntext:\narm text 4\nscore:\n0.6\n" + "\ntext:\narm text 3\nscore:\n0.7\n" + "\ntext:\narm text 0\nscore:\n0.9\n"
	want := strings.Replace(sotopia.OPROMetaPrompt, "{instruction_score_pairs}", pairs, 1)
	r := opt.reqs[0]
	if r.Prompt != want {
		t.Errorf("meta-prompt:\n%s\nwant:\n%s", r.Prompt, want)
	}
	if r.Temperature != 1.0 || r.Samples != 5 || r.Operator != "opro" {
		t.Errorf("request %+v, want temperature 1.0, 5 samples, operator opro", r)
	}
	if !strings.HasPrefix(want, "Your task is to generate an agent bio description") {
		t.Error("not the artifact's meta-prompt")
	}
}

func TestOPROSamplesDeduplicatesAndKeepsTheBest(t *testing.T) {
	answers := []string{
		"<BIO>  A calm negotiator who listens first.  </BIO>",
		"<BIO>A calm negotiator who listens first.</BIO>", // same text again
		"<BIO>arm text 2</BIO>",                           // already a member
		"too short",                                       // no tag, under 10 characters... 9
		"A bare reply without tags, but of a usable length.",
	}
	opt := &fakeOptimiser{answer: func(n int, r OptimiserRequest) ([]string, error) {
		if n == 1 {
			return answers, nil
		}
		return freshAnswers(n, r)
	}}
	pol := newPop(t, "opro", DefaultConfig(), opt, 1)
	c := playSeeds(t, pol, []float64{0.9, 0.3, 0.55, 0.7, 0.6})
	ev := pol.DrainEvents()
	if len(ev) != 1 || ev[0].Answers != 5 || len(ev[0].Accepted) != 2 || len(ev[0].Rejected) != 3 {
		t.Fatalf("events %+v, want 5 answers, 2 accepted, 3 rejected", ev)
	}
	ms := pol.Members()
	if len(ms) != 7 || ms[5].Text != "A calm negotiator who listens first." || ms[6].Text != "A bare reply without tags, but of a usable length." {
		t.Fatalf("members %+v", ms)
	}
	if ms[5].Index != 7 || ms[5].Operator != "opro" || ms[5].Born != 5 || len(ms[5].Parents) != 4 || ms[5].Evaluated {
		t.Errorf("new member %+v: want index 7 (past the 7-arm pool), born at turn 5, 4 parents (the shown history), unevaluated", ms[5])
	}
	if c.Arm != 7 {
		t.Errorf("Select(5) = arm %d, want the new unevaluated arm 7", c.Arm)
	}
	// Play the two new ones (0.95 and 0.1), then the round-robin, until the next evolution.
	mustUpdate(t, pol, 6, 7, 0.95)
	c = mustSelect(t, pol, 6)
	mustUpdate(t, pol, 7, c.Arm, 0.1)
	for turn := 7; turn < 10; turn++ {
		c = mustSelect(t, pol, turn)
		m, _ := pol.Member(c.Arm)
		mustUpdate(t, pol, turn+1, c.Arm, m.Fitness) // every arm keeps its score
	}
	mustSelect(t, pol, 10)
	var kept []string
	for _, m := range pol.Members()[:5] {
		kept = append(kept, m.ID)
	}
	// The five best of 0.9 (s0), 0.3 (s1), 0.55, 0.7, 0.6, 0.95 (new), 0.1 (new) survive in order.
	if got := strings.Join(kept, ","); got != "s0,s2,s3,s4,opro-7" {
		t.Errorf("after the second evolution the first five are %s, want s0,s2,s3,s4,opro-7", got)
	}
	if len(opt.reqs) != 2 || !strings.Contains(opt.reqs[1].Prompt, "text:\nA calm negotiator who listens first.\nscore:\n0.95\n") {
		t.Errorf("the second meta-prompt does not show the new text with its score:\n%s", opt.reqs[len(opt.reqs)-1].Prompt)
	}
}

func TestPopulationKeepsMembersOnUnusableAnswersAndErrors(t *testing.T) {
	for _, name := range []string{"opro", "evoprompt-ga", "evoprompt-de", "promptbreeder"} {
		for _, bad := range []struct {
			what   string
			answer []string
			err    error
		}{
			{"garbage", []string{"", "   ", "<BIO></BIO>", "ok"}, nil},
			{"error", nil, errors.New("HTTP 500")},
		} {
			opt := &fakeOptimiser{answer: func(int, OptimiserRequest) ([]string, error) { return bad.answer, bad.err }}
			pol := newPop(t, name, DefaultConfig(), opt, 3)
			before := pol.Members()
			playSeeds(t, pol, []float64{0.9, 0.3, 0.55, 0.7, 0.6})
			after := pol.Members()
			if len(opt.reqs) == 0 {
				t.Fatalf("%s: no optimiser call at turn 5", name)
			}
			for i := range before {
				if after[i].Text != before[i].Text || after[i].Index != before[i].Index {
					t.Errorf("%s, %s answer: member %d changed to %q", name, bad.what, i, after[i].Text)
				}
			}
			if len(after) != len(before) {
				t.Errorf("%s, %s answer: %d members, want %d", name, bad.what, len(after), len(before))
			}
			ev := pol.DrainEvents()
			if len(ev) == 0 || (bad.err != nil && ev[0].Err != "HTTP 500") || (bad.err == nil && len(ev[0].Rejected) == 0) {
				t.Errorf("%s, %s answer: events %+v do not record it", name, bad.what, ev)
			}
		}
	}
}

func TestOptimiserStopEndsTheRun(t *testing.T) {
	opt := &fakeOptimiser{answer: func(int, OptimiserRequest) ([]string, error) {
		return nil, fmt.Errorf("budget spent: %w", ErrOptimiserStop)
	}}
	pol := newPop(t, "evoprompt-ga", DefaultConfig(), opt, 1)
	arm := 0
	for turn := 1; turn < 5; turn++ {
		mustUpdate(t, pol, turn, arm, 0.5)
		arm = mustSelect(t, pol, turn).Arm
	}
	mustUpdate(t, pol, 5, arm, 0.5)
	if _, err := pol.Select(5, nil); !errors.Is(err, ErrOptimiserStop) {
		t.Errorf("Select(5) error %v, want ErrOptimiserStop", err)
	}
}

func TestPyRound2(t *testing.T) {
	for x, want := range map[float64]string{0.5: "0.5", 2.0 / 3: "0.67", 1: "1.0", 0.125: "0.12", 0.675: "0.68", 0: "0.0", 0.1: "0.1"} {
		if got := pyRound2(x); got != want {
			t.Errorf("pyRound2(%v) = %s, want %s", x, got, want)
		}
	}
}

func TestPopulationPoliciesNeedOptimiserAndEmbedder(t *testing.T) {
	for _, name := range []string{"opro", "evoprompt_ga", "evoprompt_de", "progressive_prompt_breeder"} {
		_, err := New(name, Params{Arms: popArms(5), Rand: rand.New(rand.NewPCG(1, 1)), Config: DefaultConfig()})
		if err == nil || !strings.Contains(err.Error(), "no optimiser") {
			t.Errorf("%s without optimiser: %v", name, err)
		}
	}
	cfg := DefaultConfig()
	cfg.EvolutionInterval = 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "evolution_interval") {
		t.Errorf("evolution_interval 0: %v", err)
	}
}
