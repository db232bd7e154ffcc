package session

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
)

// Acceptance of the prompt optimisers in live runs against llm/llmtest: the optimiser is a
// custom model on the rig's server ("optim"), scripted by prompt.

const (
	oproMarker = "Below are some previous bio descriptions with their scores"
	gaMarker   = "1. Crossover the following agent bios"
	pbTask     = "## Original Character Instruction"
	pbHyper    = "Please summarize and improve the following instruction for generating better prompts:"
	pbZero     = "social interaction outcomes. " // the problem description, then a thinking style
)

// optimiserRig routes the artifact's optimiser prompts to answers that are new every time.
func optimiserRig(t *testing.T) *liveRig {
	rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12})
	bioAnswer := func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: fmt.Sprintf("<BIO>A patient listener who asks what matters most, draft %d.</BIO>", req.Seq)}
	}
	rig.srv.OnPrompt(oproMarker, bioAnswer)
	rig.srv.OnPrompt(gaMarker, bioAnswer)
	rig.srv.OnPrompt(pbTask, func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: fmt.Sprintf("A calmer character who offers options first, version %d.", req.Seq)}
	})
	rig.srv.OnPrompt(pbHyper, func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: fmt.Sprintf("Improved mutation prompt %d: make the instruction kinder.", req.Seq)}
	})
	rig.srv.OnPrompt(pbZero, func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: fmt.Sprintf("Generated mutation prompt %d: reconsider the approach.", req.Seq)}
	})
	return rig
}

func optimiserRun(t *testing.T, rig *liveRig, bandit string, turns int) config.Run {
	return liveRun(t, rig, func(c *config.Run) {
		c.Bandit, c.MaxTurns, c.MaxEpisodes, c.LLMCache = bandit, turns, 1, "record"
		c.OptimizerModel = "custom/optim@" + rig.srv.URL()
	})
}

func optimiserRequests(rig *liveRig) []llmtest.Request {
	var out []llmtest.Request
	for _, r := range rig.srv.Requests() {
		if r.Model == "optim" {
			out = append(out, r)
		}
	}
	return out
}

// seatArms is each seat's pool arm texts and IDs for an episode.
func seatArms(t *testing.T, ep *sotopia.EpisodeLog, seat int) map[string]string {
	t.Helper()
	ds, err := sotopia.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	strategies, err := sotopia.Strategies(sotopia.DefaultStrategyVersion)
	if err != nil {
		t.Fatal(err)
	}
	bg := taskSetup(t, ds, ep).OwnBackground(seat)
	out := map[string]string{}
	for _, s := range strategies {
		out[s.ID] = sotopia.ArmText(bg, s)
	}
	return out
}

var oproPairs = regexp.MustCompile(`(?s)\ntext:\n(.*?)\nscore:\n([0-9.]+)\n`)

func TestLiveOPROSendsTheScoredHistoryAndReplays(t *testing.T) {
	rig := optimiserRig(t)
	cfg := optimiserRun(t, rig, "opro", 7)
	out, err := Execute(context.Background(), cfg, liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	ep := readEpisodes(t, out.Dir)[0]
	if ep.Status != sotopia.StatusDone {
		t.Fatalf("episode %s: %s", ep.Status, ep.Error)
	}
	reqs := optimiserRequests(rig)
	// One evolution per seat after turn 5, five samples each.
	if len(reqs) != 10 {
		t.Fatalf("%d optimiser requests, want 2 seats x 5 samples", len(reqs))
	}
	head, tail, _ := strings.Cut(sotopia.OPROMetaPrompt, "{instruction_score_pairs}")
	for _, r := range reqs {
		p := r.Prompt()
		if !strings.HasPrefix(p, head) || !strings.HasSuffix(p, tail) || len(r.Messages) != 1 || *r.Temperature != 1.0 || r.MaxTokens != 4096 {
			t.Fatalf("optimiser request is not the artifact's meta-prompt at T 1.0:\n%s", p)
		}
	}
	// The shown history, for each seat: texts it played in turns 1-5 with their latest reward,
	// >= 0.5, ascending.
	for seat := range sotopia.Seats {
		arms := seatArms(t, ep, seat)
		latest, order := map[string]float64{}, []string{}
		for _, tr := range ep.Turns[:5] {
			st := tr.Seats[seat]
			if st.Reward == nil {
				continue
			}
			if _, ok := latest[st.ArmID]; !ok {
				order = append(order, st.ArmID)
			}
			latest[st.ArmID] = *st.Reward
		}
		var want strings.Builder
		slices.SortStableFunc(order, func(a, b string) int {
			switch {
			case latest[a] < latest[b]:
				return -1
			case latest[a] > latest[b]:
				return 1
			}
			return 0
		})
		for _, id := range order {
			if latest[id] >= 0.5 {
				r, _ := strconv.ParseFloat(strconv.FormatFloat(latest[id], 'f', 2, 64), 64)
				s := strconv.FormatFloat(r, 'f', -1, 64)
				if !strings.Contains(s, ".") {
					s += ".0"
				}
				fmt.Fprintf(&want, "\ntext:\n%s\nscore:\n%s\n", arms[id], s)
			}
		}
		found := false
		for _, r := range reqs {
			if r.Prompt() == head+want.String()+tail {
				found = true
			}
		}
		if !found {
			t.Errorf("seat %d: no meta-prompt with the history %q", seat, want.String())
		}
	}
	// Created arms are played and recorded with their parents and operator.
	created := 0
	for _, tr := range ep.Turns {
		for _, st := range tr.Seats {
			if st.ArmText != "" {
				created++
				if st.ArmOperator != "opro" || !strings.HasPrefix(st.ArmText, "A patient listener") || len(st.ArmParents) == 0 {
					t.Errorf("turn %d: created arm %+v", tr.Turn, st)
				}
			}
		}
	}
	if created == 0 {
		t.Error("no turn played a created arm")
	}
	// The created text replaces the seat's background in its agent's prompt.
	if !slices.ContainsFunc(rig.srv.Requests(), func(r llmtest.Request) bool {
		return r.Model == "agent" && strings.Contains(r.Prompt(), "A patient listener who asks what matters most, draft")
	}) {
		t.Error("no agent prompt carries a created arm text")
	}
	if u := ep.Usage.ByRole["optimiser"]; u.Calls != int64(len(reqs)) || u.PromptTokens == 0 {
		t.Errorf("usage under optimiser %+v, want %d calls", u, len(reqs))
	}
	// Replay: zero requests, the same episode.
	before := rig.srv.Count()
	replay := cfg
	replay.LLMCache = "replay"
	replay.Out = filepath.Join(t.TempDir(), "replay")
	replay.Store = filepath.Join(t.TempDir(), "store")
	again, err := Execute(context.Background(), replay, liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if n := rig.srv.Count() - before; n != 0 {
		t.Fatalf("the replay sent %d requests", n)
	}
	a, _ := os.ReadFile(filepath.Join(out.Dir, "episodes.jsonl"))
	b, _ := os.ReadFile(filepath.Join(again.Dir, "episodes.jsonl"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("the replayed episode differs from the recorded one")
	}
}

func TestLiveEvoPromptGAReplacesTheWorstUnprotectedMember(t *testing.T) {
	rig := optimiserRig(t)
	out, err := Execute(context.Background(), optimiserRun(t, rig, "evoprompt_ga", 7), liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	ep := readEpisodes(t, out.Dir)[0]
	for seat := range sotopia.Seats {
		arms := seatArms(t, ep, seat)
		// Fitness after turn 5: the latest reward of each of the five seeds (initial 0.5).
		seeds := []string{"no_strategy", "collaborative_problem_solving", "altruistic_concession", "pressure_tactics", "feign_disinterest"}
		fit := map[string]float64{}
		for _, id := range seeds {
			fit[id] = 0.5
		}
		for _, tr := range ep.Turns[:5] {
			if st := tr.Seats[seat]; st.Reward != nil {
				fit[st.ArmID] = *st.Reward
			}
		}
		order := slices.Clone(seeds)
		slices.SortStableFunc(order, func(a, b string) int {
			switch {
			case fit[a] > fit[b]:
				return -1
			case fit[a] < fit[b]:
				return 1
			}
			return 0
		})
		victim := ""
		for i := len(order) - 1; i >= 0; i-- {
			if id := order[i]; id != "no_strategy" && !slices.Contains(order[:2], id) {
				victim = id
				break
			}
		}
		ev := ep.Turns[4].Seats[seat].Evolution
		if len(ev) != 1 || ev[0].Replaced != victim || len(ev[0].Accepted) != 1 || len(ev[0].Parents) != 2 {
			t.Fatalf("seat %d after turn 5: evolution %+v, want one child replacing %s (fitness %v)", seat, ev, victim, fit)
		}
		want := strings.ReplaceAll(strings.ReplaceAll(sotopia.EvoPromptGA, "<bio1>", arms[ev[0].Parents[0]]), "<bio2>", arms[ev[0].Parents[1]])
		if !slices.ContainsFunc(optimiserRequests(rig), func(r llmtest.Request) bool { return r.Prompt() == want && *r.Temperature == 0.3 }) {
			t.Errorf("seat %d: the optimiser never got the GA template with parents %v at T 0.3", seat, ev[0].Parents)
		}
		if st := ep.Turns[5].Seats[seat]; st.ArmID != ev[0].Accepted[0] || st.ArmOperator != "evoprompt-ga" {
			t.Errorf("seat %d turn 6 played %s, want the new child %s", seat, st.ArmID, ev[0].Accepted[0])
		}
	}
	if u := ep.Usage.ByRole["optimiser"]; u.Calls != 2 {
		t.Errorf("optimiser usage %+v, want 2 calls", u)
	}
}

func TestLivePromptBreederUsesThinkingStylesAndHyperMutates(t *testing.T) {
	rig := optimiserRig(t)
	out, err := Execute(context.Background(), optimiserRun(t, rig, "progressive_prompt_breeder", 20), liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	ep := readEpisodes(t, out.Dir)[0]
	if ep.Status != sotopia.StatusDone {
		t.Fatalf("episode %s: %s", ep.Status, ep.Error)
	}
	guidance := regexp.MustCompile(`(?s)## Mutation Guidance: \n(.*?)\n\n## Original`)
	hyper := map[string]bool{}
	tasks, hypers := 0, 0
	for _, r := range optimiserRequests(rig) {
		p := r.Prompt()
		switch {
		case strings.Contains(p, pbTask):
			tasks++
			g := guidance.FindStringSubmatch(p)[1]
			if !slices.ContainsFunc(sotopia.PromptBreederThinkingStyles, func(s string) bool { return strings.HasSuffix(g, " "+s) }) {
				t.Errorf("mutation guidance %q does not end in a thinking style", g)
			}
			if strings.HasPrefix(g, "Improved mutation prompt") {
				hyper[g] = true
			}
		case strings.HasPrefix(p, pbHyper):
			hypers++
			mp := strings.TrimSuffix(strings.TrimPrefix(p, pbHyper+"\n"), "\n\nImproved mutation instruction:")
			if !slices.Contains(sotopia.PromptBreederMutationPrompts, mp) && !strings.HasPrefix(mp, "Improved mutation prompt") && !strings.HasPrefix(mp, "Generated mutation prompt") {
				t.Errorf("hyper-mutation of %q: not a mutation prompt", mp)
			}
		}
		if *r.Temperature != 0.8 {
			t.Errorf("PromptBreeder request at temperature %v, want 0.8", *r.Temperature)
		}
	}
	if tasks == 0 || hypers == 0 || len(hyper) == 0 {
		t.Fatalf("%d task mutations, %d hyper-mutations, %d task prompts guided by a hyper-mutated prompt", tasks, hypers, len(hyper))
	}
	var kids int
	for _, tr := range ep.Turns {
		for _, st := range tr.Seats {
			for _, e := range st.Evolution {
				kids += len(e.Accepted)
			}
		}
	}
	if u := ep.Usage.ByRole["optimiser"]; kids == 0 || u.Calls != int64(len(optimiserRequests(rig))) {
		t.Errorf("%d children; optimiser usage %+v for %d requests", kids, u, len(optimiserRequests(rig)))
	}
}

// The four prompt optimisers run offline in the sim world (its optimiser answers), create arms
// that are played and recorded, and replay byte for byte from the seed.
func TestSimRunsEveryPromptOptimiser(t *testing.T) {
	for _, bandit := range []string{"opro", "evoprompt-ga", "evoprompt-de", "promptbreeder"} {
		var files [2][]byte
		for i := range files {
			cfg := quickRun(t, func(c *config.Run) { c.Bandit, c.MaxEpisodes, c.MaxTurns = bandit, 1, 12 })
			out, err := Execute(context.Background(), cfg, Options{})
			if err != nil {
				t.Fatalf("%s: %v", bandit, err)
			}
			ep := readEpisodes(t, out.Dir)[0]
			created, events := 0, 0
			for _, tr := range ep.Turns {
				for _, st := range tr.Seats {
					if st.ArmText != "" && st.ArmOperator != "" && len(st.ArmParents) > 0 {
						created++
					}
					events += len(st.Evolution)
				}
			}
			if ep.Status != sotopia.StatusDone || created == 0 || events == 0 {
				t.Fatalf("%s: status %s (%s), %d turns on created arms, %d optimiser events", bandit, ep.Status, ep.Error, created, events)
			}
			files[i], _ = os.ReadFile(filepath.Join(out.Dir, "episodes.jsonl"))
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("%s: two sim runs with one seed differ", bandit)
		}
	}
}
