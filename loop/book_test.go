package loop

import (
	"fmt"
	"math"
	"slices"
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

// creditLog plays four turns (seat 0 speaks on odd turns) in which the judge gives seat s at
// turn t the scores {0,0,0,0,0,0,g}, g = t + 3s, so the normalised reward is (3 + g/10)/7 (the
// other six dimensions normalise to 0, 0.5, 0, 1, 1, 0.5). After each turn every reselecting
// seat picks arm (t + 5s) mod 13. It returns one line per policy step: the turn, the seat fed,
// the arm its feedback credits, g recovered from the reward, and whether the seat reselected.
func creditLog(t *testing.T, credit string, alternate bool, optimised [2]bool) []string {
	t.Helper()
	b := newTestBook(t, credit, optimised)
	b.spec.Alternate = alternate
	env := newTestEnv(t, b)
	var log []string
	for turn := 1; turn <= 4; turn++ {
		acting := env.Acting()
		if acting != (turn-1)%2 {
			t.Fatalf("turn %d: seat %d acts", turn, acting)
		}
		act := sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: fmt.Sprintf("line %d", turn)}
		if _, _, _, err := env.Step(acting, act); err != nil {
			t.Fatal(err)
		}
		b.SetEnv(EnvState{Turn: env.Turn(), Messages: env.Messages(), Reason: env.Reason()})
		b.RecordStep(acting, act, "")
		var j sotopia.Judgement
		for s := range sotopia.Seats {
			j.Scores[s] = sotopia.Scores{0, 0, 0, 0, 0, 0, float64(turn + 3*s)}
		}
		b.ApplyJudgement(j)
		for _, st := range b.PolicySteps(acting) {
			fb := b.Feedback(st.Seat, nil)
			g := math.Round((7*fb.Reward - 3) * 10)
			if want := (3 + g/10) / 7; math.Abs(fb.Reward-want) > 1e-15 || fb.Turn != turn {
				t.Fatalf("turn %d seat %d: feedback %+v", turn, st.Seat, fb)
			}
			line := fmt.Sprintf("t%d s%d arm%d g%d", turn, st.Seat, fb.Arm, int(g))
			if st.Select {
				if _, err := b.Choose(st.Seat, policy.Choice{Arm: (turn + 5*st.Seat) % 13, Prob: 0.5}); err != nil {
					t.Fatal(err)
				}
				line += " select"
			}
			log = append(log, line)
		}
	}
	return log
}

// Which seat's policy is fed which reward, for which arm, after which turn, and who reselects.
func TestCreditAssignment(t *testing.T) {
	cases := []struct {
		name      string
		credit    string
		alternate bool
		optimised [2]bool
		want      []string
	}{
		{"all (the artifact): both seats learn and reselect after every turn", CreditAll, false, [2]bool{true, true}, []string{
			"t1 s0 arm0 g1 select", "t1 s1 arm0 g4 select",
			"t2 s0 arm1 g2 select", "t2 s1 arm6 g5 select",
			"t3 s0 arm2 g3 select", "t3 s1 arm7 g6 select",
			"t4 s0 arm3 g4 select", "t4 s1 arm8 g7 select"}},
		{"own-turn: only the speaker learns and reselects", CreditOwnTurn, false, [2]bool{true, true}, []string{
			"t1 s0 arm0 g1 select", "t2 s1 arm0 g5 select", "t3 s0 arm1 g3 select", "t4 s1 arm7 g7 select"}},
		{"alternate: both learn, seat 0 reselects after odd turns, seat 1 after even ones", CreditAll, true, [2]bool{true, true}, []string{
			"t1 s0 arm0 g1 select", "t1 s1 arm0 g4",
			"t2 s0 arm1 g2", "t2 s1 arm0 g5 select",
			"t3 s0 arm1 g3 select", "t3 s1 arm7 g6",
			"t4 s0 arm3 g4", "t4 s1 arm7 g7 select"}},
		{"all, seat 1 alone optimised", CreditAll, false, [2]bool{false, true}, []string{
			"t1 s1 arm0 g4 select", "t2 s1 arm6 g5 select", "t3 s1 arm7 g6 select", "t4 s1 arm8 g7 select"}},
		{"own-turn, seat 0 alone optimised", CreditOwnTurn, false, [2]bool{true, false}, []string{
			"t1 s0 arm0 g1 select", "t3 s0 arm1 g3 select"}},
	}
	for _, c := range cases {
		if got := creditLog(t, c.credit, c.alternate, c.optimised); !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestJudgementGivesRewardScoresAndRegret(t *testing.T) {
	b := newTestBook(t, CreditAll, [2]bool{true, true})
	env := newTestEnv(t, b)
	act := sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "hello"}
	if _, _, _, err := env.Step(0, act); err != nil {
		t.Fatal(err)
	}
	b.SetEnv(EnvState{Turn: env.Turn()})
	b.Current[0] = policy.Choice{Arm: 2, Prob: 0.25}
	b.RecordStep(0, act, "")
	if b.Feedback(0, nil) != nil {
		t.Fatal("feedback before any judgement")
	}
	// Raw scores in Sotopia's order (believability 0..10, relationship -5..5, knowledge 0..10,
	// secret -10..0, social rules -10..0, financial -5..5, goal 0..10), normalised by hand
	// (also-method.md 3.2): 0.7, 0.3, 0.4, 0.7, 0.9, 0.7, 0.9; their mean 4.6/7 is the reward.
	scores := sotopia.Scores{7, -2, 4, -3, -1, 2, 9}
	wantDims := []float64{0.7, 0.3, 0.4, 0.7, 0.9, 0.7, 0.9}
	const wantReward = 4.6 / 7
	j := sotopia.Judgement{Scores: [2]sotopia.Scores{scores, scores}, Expected: [2][]float64{{0.1, 0.2, 0.5, 0.9}, nil}}
	b.ApplyJudgement(j)
	seat := b.Turns[0].Seats[0]
	if math.Abs(*seat.Reward-wantReward) > 1e-15 || *seat.Regret != 0.9-0.5 || *seat.Expected != 0.5 {
		t.Fatalf("seat 0: reward %v regret %v expected %v", *seat.Reward, *seat.Regret, *seat.Expected)
	}
	if b.Turns[0].Seats[1].Regret != nil {
		t.Error("regret without expected rewards")
	}
	fb := b.Feedback(0, []float64{1})
	if fb == nil || fb.Arm != 2 || math.Abs(fb.Reward-wantReward) > 1e-15 || len(fb.Dims) != 7 || fb.Turn != 1 {
		t.Fatalf("feedback %+v", fb)
	}
	for i, w := range wantDims {
		if math.Abs(fb.Dims[i]-w) > 1e-15 {
			t.Fatalf("normalised %s: %v, want %v", sotopia.Dimension(i), fb.Dims[i], w)
		}
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

// newTestEnv is the environment of a book's setup, reset (the environment actor's part).
func newTestEnv(t *testing.T, b *Book) *sotopia.Env {
	t.Helper()
	env, err := sotopia.NewEnv(b.Setup())
	if err != nil {
		t.Fatal(err)
	}
	env.Reset()
	return env
}
