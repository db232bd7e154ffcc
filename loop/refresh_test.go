package loop

import (
	"testing"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// A deferred choice lands after the next step was recorded with the seat's old arm: Choose
// writes the new arm into that record and keeps its judgement; the optimiser events of the step
// the choice followed go to that step's record, not the newer one.
func TestRefreshSeatAndEvolutionOfADeferredChoice(t *testing.T) {
	b := newTestBook(t, CreditAll, [2]bool{true, true})
	env := newTestEnv(t, b)
	step := func(seat int) {
		t.Helper()
		act := sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "hi"}
		if _, _, _, err := env.Step(seat, act); err != nil {
			t.Fatal(err)
		}
		b.SetEnv(EnvState{Turn: env.Turn()})
		b.RecordStep(seat, act, "")
	}
	step(0)
	turn1 := b.Turns[0].Turn
	b.ChoiceAsked(0)
	step(1) // seat 0's choice after turn 1 is still out
	scores := sotopia.Scores{7, 0, 5, 0, 0, 0, 8}
	b.ApplyJudgement(sotopia.Judgement{Scores: [2]sotopia.Scores{scores, scores}})
	if _, err := b.Choose(0, policy.Choice{Arm: 4, Prob: 0.3}); err != nil {
		t.Fatal(err)
	}
	got := b.Turns[1].Seats[0]
	if got.Arm != 4 || got.ArmProb != 0.3 || got.ArmID != b.Arms[0][4].ID || got.Reward == nil || *got.Scores != scores {
		t.Fatalf("refreshed record %+v", got)
	}
	if b.Turns[0].Seats[0].Arm != 0 {
		t.Fatal("the refresh touched the record before")
	}
	ev := []sotopia.OptimiserEvent{{Operator: "mutate"}}
	b.NoteEvolution(0, turn1, ev)
	if len(b.Turns[0].Seats[0].Evolution) != 1 || len(b.Turns[1].Seats[0].Evolution) != 0 {
		t.Fatalf("evolution of turn %d went to %+v", turn1, b.Turns)
	}
	b.NoteEvolution(0, b.Turns[1].Turn, ev)
	if len(b.Turns[1].Seats[0].Evolution) != 1 {
		t.Fatal("evolution of the last turn not on its record")
	}
	// A choice that was not out when the step was recorded, or a step that chose nothing, leaves
	// the record alone.
	step(0)
	if _, err := b.Choose(0, policy.Choice{Arm: 6, Prob: 0.2}); err != nil || b.Turns[2].Seats[0].Arm != 4 {
		t.Fatalf("a choice made after the record changed it: arm %d, %v", b.Turns[2].Seats[0].Arm, err)
	}
	b.ChoiceAsked(1)
	b.NoChoice(1)
	step(1)
	if _, err := b.Choose(1, policy.Choice{Arm: 3, Prob: 0.2}); err != nil || b.Turns[3].Seats[1].Arm != 0 {
		t.Fatalf("a step that chose nothing left a refresh behind: arm %d, %v", b.Turns[3].Seats[1].Arm, err)
	}
	// A record whose regret was computed for the arm it held cannot take another.
	b.ChoiceAsked(0)
	step(0)
	b.ApplyJudgement(sotopia.Judgement{Scores: [2]sotopia.Scores{scores, scores}, Expected: [2][]float64{make([]float64, 13), nil}})
	if _, err := b.Choose(0, policy.Choice{Arm: 2, Prob: 0.5}); err == nil {
		t.Fatal("refreshed a record holding a regret")
	}
}
