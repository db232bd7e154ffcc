package loop

import (
	"math"
	"testing"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

func newTestBook(t *testing.T, credit string, optimised [2]bool) *Book {
	t.Helper()
	ds := sotopia.MustEmbedded()
	strategies, _ := sotopia.Strategies("v3")
	cfg := &Config{Dataset: ds, Era: sotopia.EraBenchmark, MaxTurns: 10, Optimised: optimised,
		Strategies: strategies, Credit: credit, Tag: "t", RunSeed: 1}
	b, err := NewBook(cfg, 0, ds.Tasks[0], 7)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestArmsStartOnTheBaselineWithTheReferenceProbability(t *testing.T) {
	b := newTestBook(t, CreditAll, [2]bool{true, false})
	if len(b.Arms[0]) != 13 || b.Arms[0][0].Text != b.setup.OwnBackground(0) {
		t.Fatal("arm 0 is not the bare background")
	}
	if b.Current[0].Arm != 0 || b.Current[0].Prob != 1.0/13 || b.Current[1].Prob != 1 {
		t.Fatalf("start: %+v", b.Current)
	}
}

func TestCreditAssignment(t *testing.T) {
	cases := []struct {
		credit    string
		optimised [2]bool
		acting    int
		want      []int
	}{
		{CreditAll, [2]bool{true, true}, 1, []int{0, 1}},
		{CreditOwnTurn, [2]bool{true, true}, 1, []int{1}},
		{CreditOwnTurn, [2]bool{true, false}, 1, nil},
		{CreditAll, [2]bool{false, true}, 0, []int{1}},
	}
	for _, c := range cases {
		got := newTestBook(t, c.credit, c.optimised).Updaters(c.acting)
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
			t.Errorf("%s %v acting %d: %v, want %v", c.credit, c.optimised, c.acting, got, c.want)
		}
	}
}

func TestJudgementGivesRewardScoresAndRegret(t *testing.T) {
	b := newTestBook(t, CreditAll, [2]bool{true, true})
	b.Env.Reset()
	act := sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "hello"}
	if _, _, _, err := b.Env.Step(0, act); err != nil {
		t.Fatal(err)
	}
	b.Current[0] = policy.Choice{Arm: 2, Prob: 0.25}
	b.RecordStep(0, act, "")
	if b.Feedback(0, nil) != nil {
		t.Fatal("feedback before any judgement")
	}
	scores := sotopia.Scores{8, 1, 5, 0, 0, 1, 6}
	j := sotopia.Judgement{Scores: [2]sotopia.Scores{scores, scores}, Expected: [2][]float64{{0.1, 0.2, 0.5, 0.9}, nil}}
	b.ApplyJudgement(j)
	seat := b.Turns[0].Seats[0]
	if *seat.Reward != scores.Reward() || *seat.Regret != 0.9-0.5 || *seat.Expected != 0.5 {
		t.Fatalf("seat 0: reward %v regret %v expected %v", *seat.Reward, *seat.Regret, *seat.Expected)
	}
	if b.Turns[0].Seats[1].Regret != nil {
		t.Error("regret without expected rewards")
	}
	fb := b.Feedback(0, []float64{1})
	if fb == nil || fb.Arm != 2 || fb.Reward != scores.Reward() || len(fb.Dims) != 7 || fb.Turn != 1 {
		t.Fatalf("feedback %+v", fb)
	}
	ep := b.Finish(nil, "boom")
	if ep.Status != sotopia.StatusFailed || ep.Error != "boom" || len(ep.Rewards) != 2 || ep.Rewards[0].Valid {
		t.Fatalf("failed episode: %+v", ep)
	}
}

func TestSeedsAndPKsAreStableAndDistinct(t *testing.T) {
	if Seed(1, "t", 0) != Seed(1, "t", 0) || Seed(1, "t", 0) == Seed(1, "t", 1) || Seed(1, "t", 0) == Seed(2, "t", 0) {
		t.Fatal("seeds")
	}
	a, b := PK("x", 1, "t", 0), PK("y", 1, "t", 0)
	if a == b || a != PK("x", 1, "t", 0) || len(a) != 26 || math.Signbit(float64(Seed(1, "t", 0))) {
		t.Fatalf("pks %s %s", a, b)
	}
}

func TestChooseRejectsArmsOutsideThePool(t *testing.T) {
	b := newTestBook(t, CreditAll, [2]bool{true, true})
	arm, err := b.Choose(1, policy.Choice{Arm: 4, Prob: 0.2})
	if err != nil || arm.Index != 4 || b.Current[1].Arm != 4 || b.Current[1].Prob != 0.2 {
		t.Fatalf("choose: %+v %v %+v", arm, err, b.Current[1])
	}
	if _, err := b.Choose(0, policy.Choice{Arm: 13}); err == nil || b.Current[0].Arm != 0 {
		t.Fatalf("arm 13 of 13 accepted: %v", err)
	}
}
