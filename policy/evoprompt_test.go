package policy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

func TestEvoGARouletteIsProportionalToFitness(t *testing.T) {
	pop := &population{rng: rand.New(rand.NewPCG(4, 4))}
	w := []float64{0.1, 0.2, 0.3, 0.4, 0}
	counts := make([]float64, len(w))
	const n = 40000
	for range n {
		counts[wheel(pop, w)]++
	}
	for i, x := range w {
		if got := counts[i] / n; math.Abs(got-x) > 0.01 {
			t.Errorf("arm %d drawn %.3f of the time, want %.1f", i, got, x)
		}
	}
	g := &evoGA{&population{rng: rand.New(rand.NewPCG(5, 5))}}
	for _, f := range []float64{0, 0.2, 0, 0.8, 0} {
		g.members = append(g.members, &Member{Fitness: f})
	}
	for range 1000 {
		a, b := g.roulettePair()
		if a == b || (a != 1 && a != 3) || (b != 1 && b != 3) {
			t.Fatalf("roulette pair (%d, %d): want the two members with fitness, distinct", a, b)
		}
	}
}

func TestEvoGAReplacesTheWorstUnprotectedMember(t *testing.T) {
	opt := &fakeOptimiser{answer: freshAnswers}
	pol := newPop(t, "evoprompt-ga", DefaultConfig(), opt, 2)
	// The original (arm 0) is worst but protected; arms 2 and 3 are the top 2 elites; arm 1
	// (0.2) is the worst unprotected member.
	c := playSeeds(t, pol, []float64{0.0, 0.2, 0.9, 0.8, 0.5})
	if len(opt.reqs) != 1 {
		t.Fatalf("%d optimiser calls, want 1 (one child per evolution)", len(opt.reqs))
	}
	ms := pol.Members()
	child := ms[1]
	if child.Operator != "evoprompt-ga" || child.Index != 7 || child.Evaluated || len(child.Parents) != 2 {
		t.Fatalf("position 1 holds %+v, want an unevaluated evoprompt-ga child with 2 parents", child)
	}
	for i, id := range []string{"s0", "s2", "s3", "s4"} {
		if ms[[]int{0, 2, 3, 4}[i]].ID != id {
			t.Errorf("member %s was replaced", id)
		}
	}
	fit := map[string]float64{"s0": 0, "s1": 0.2, "s2": 0.9, "s3": 0.8, "s4": 0.5}
	for _, id := range child.Parents {
		if id == "s0" {
			t.Errorf("parent %s has fitness 0 and cannot be drawn by the roulette wheel", id)
		}
	}
	bio1, bio2 := "arm text "+child.Parents[0][1:], "arm text "+child.Parents[1][1:]
	want := strings.ReplaceAll(strings.ReplaceAll(sotopia.EvoPromptGA, "<bio1>", bio1), "<bio2>", bio2)
	if opt.reqs[0].Prompt != want || opt.reqs[0].Temperature != 0.3 || opt.reqs[0].Samples != 1 {
		t.Errorf("GA request %+v, want the artifact template with the parents, T 0.3, 1 sample", opt.reqs[0])
	}
	if mean := (fit[child.Parents[0]] + fit[child.Parents[1]]) / 2; math.Abs(child.Fitness-mean) > 1e-12 {
		t.Errorf("child fitness %v, want the parents' mean %v", child.Fitness, mean)
	}
	if c.Arm != child.Index {
		t.Errorf("Select(5) = %d, want the unevaluated child %d", c.Arm, child.Index)
	}
	ev := pol.DrainEvents()
	if len(ev) != 1 || ev[0].Replaced != "s1" || ev[0].Accepted[0] != child.ID {
		t.Errorf("events %+v, want one replacing s1 by %s", ev, child.ID)
	}
}

func TestEvoDEDonorsBestAndGreedyReplacement(t *testing.T) {
	opt := &fakeOptimiser{answer: freshAnswers}
	pol := newPop(t, "evoprompt-de", DefaultConfig(), opt, 3)
	playSeeds(t, pol, []float64{0.4, 0.2, 0.9, 0.8, 0.5})
	if len(opt.reqs) != 4 {
		t.Fatalf("%d DE calls, want 4 (every member but the original)", len(opt.reqs))
	}
	text := func(id string) string { return "arm text " + id[1:] }
	for i, ev := range pol.DrainEvents() {
		base, d1, d2, best := ev.Parents[0], ev.Parents[1], ev.Parents[2], ev.Parents[3]
		if best != "s2" || d1 == d2 || d1 == base || d2 == base || base == "s0" {
			t.Errorf("DE trial %d: base %s, donors %s %s, best %s; want distinct donors other than the base and best s2", i, base, d1, d2, best)
		}
		want := sotopia.EvoPromptDE
		for _, r := range [][2]string{{"<bio0>", text(base)}, {"<bio1>", text(d1)}, {"<bio2>", text(d2)}, {"<bio3>", text(best)}} {
			want = strings.ReplaceAll(want, r[0], r[1])
		}
		if opt.reqs[i].Prompt != want {
			t.Errorf("DE prompt %d is not the artifact template with base %s, donors %s %s and best %s", i, base, d1, d2, best)
		}
		if ev.Replaced != base {
			t.Errorf("trial %d replaced %s, want its base %s", i, ev.Replaced, base)
		}
	}
	// The four trials are played next: s1's trial wins (0.3 >= 0.2) and stays, the others lose
	// and their members come back.
	ms := pol.Members()
	for pos := 1; pos <= 4; pos++ {
		r := 0.3
		if pos != 1 {
			r = 0.1
		}
		mustUpdate(t, pol, 5+pos, ms[pos].Index, r)
	}
	after := pol.Members()
	if after[1].Index != ms[1].Index || after[1].Fitness != 0.3 {
		t.Errorf("the winning trial was not kept: %+v", after[1])
	}
	for pos, id := range map[int]string{2: "s2", 3: "s3", 4: "s4"} {
		if after[pos].ID != id {
			t.Errorf("position %d holds %s after its trial lost, want %s back", pos, after[pos].ID, id)
		}
	}
	if ev := pol.DrainEvents(); len(ev) != 3 || ev[0].Reverted == "" {
		t.Errorf("events %+v, want 3 reverted trials", ev)
	}
}
