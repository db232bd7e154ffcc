package sim

import (
	"context"
	"github.com/also-project/also/sotopia/agents"
	"slices"
	"testing"

	"github.com/also-project/also/sotopia"
)

// runScripted plays up to 20 turns with the given optimised seats; armOf picks each seat's arm
// per turn. It returns the actions and the records.
func runScripted(t *testing.T, script string, optimised [2]bool, seed int64, armOf func(seat, turn int) int) ([]sotopia.AgentAction, []turnRecord, *sotopia.EpisodeWorld) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Opponent = script
	w, err := New(cfg, sotopia.MustEmbedded())
	if err != nil {
		t.Fatal(err)
	}
	acts, ew := playArms(t, w, optimised, seed, armOf)
	return acts, hiddenModel(ew).turns, ew
}

// playArms plays up to 20 turns of one episode of w; armOf picks each seat's arm per turn.
func playArms(t *testing.T, w *World, optimised [2]bool, seed int64, armOf func(seat, turn int) int) ([]sotopia.AgentAction, *sotopia.EpisodeWorld) {
	t.Helper()
	arms := testArms(t)
	ctx := context.Background()
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: testSetup(t, int(seed)), Seed: seed, Arms: arms, Optimised: optimised})
	if err != nil {
		t.Fatal(err)
	}
	var acts []sotopia.AgentAction
	for turn := range 20 {
		for seat := range 2 {
			setArm(ew, seat, arms[seat][armOf(seat, turn)])
		}
		act, err := driveTurn(ctx, ew, sotopia.Observation{Seat: turn % 2, Turn: turn})
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, act)
		if act.ActionType == sotopia.ActionLeave {
			break
		}
	}
	return acts, ew
}

func cycleArms(seat, turn int) int { return (turn*5 + seat) % 13 }

func TestScriptedSeatChoice(t *testing.T) {
	for _, c := range []struct {
		opt  [2]bool
		seat int
	}{{[2]bool{true, true}, 1}, {[2]bool{true, false}, 1}, {[2]bool{false, false}, 1}, {[2]bool{false, true}, 0}} {
		if got := ScriptedSeat(c.opt); got != c.seat {
			t.Errorf("ScriptedSeat(%v) = %d, want %d", c.opt, got, c.seat)
		}
		_, _, ew := runScripted(t, ScriptRefuser, c.opt, 2, cycleArms)
		want := []string{"sim", "sim/static", "sim/static"}
		want[1+c.seat] = "sim/refuser"
		if !slices.Equal(ew.Models, want) {
			t.Errorf("optimised %v: models %v, want %v", c.opt, ew.Models, want)
		}
	}
}

func TestRefuserRefusesEveryTurn(t *testing.T) {
	for _, opt := range [][2]bool{{true, true}, {false, true}} {
		seat := ScriptedSeat(opt)
		acts, recs, _ := runScripted(t, ScriptRefuser, opt, 8, cycleArms)
		n := 0
		for i, a := range acts {
			if recs[i].Actor != seat {
				continue
			}
			n++
			if a.ActionType != sotopia.ActionSpeak || !slices.Contains(agents.Refuser.Lines(), a.Argument) {
				t.Errorf("refuser turn %d: %+v", i+1, a)
			}
		}
		if n == 0 {
			t.Error("the refuser never acted")
		}
	}
}

func TestStallerStallsAndPassesOnlyFromSeat0(t *testing.T) {
	nones := 0
	for seed := range int64(12) {
		for _, opt := range [][2]bool{{true, true}, {false, true}} {
			seat := ScriptedSeat(opt)
			acts, recs, _ := runScripted(t, ScriptStaller, opt, seed, cycleArms)
			lastNone := false
			for i, a := range acts {
				if recs[i].Actor != seat {
					continue
				}
				switch {
				case a.ActionType == sotopia.ActionNone:
					if seat != 0 || lastNone {
						t.Fatalf("seed %d: staller in seat %d passed at turn %d (after a pass: %v)", seed, seat, i+1, lastNone)
					}
					nones++
				case a.ActionType != sotopia.ActionSpeak || !slices.Contains(agents.Staller.Lines(), a.Argument):
					t.Fatalf("staller turn %d: %+v", i+1, a)
				}
				lastNone = a.ActionType == sotopia.ActionNone
			}
		}
	}
	if nones == 0 {
		t.Error("the staller in seat 0 never passed")
	}
}

func TestLeaverLeavesAfterACoupleOfTurns(t *testing.T) {
	for _, opt := range [][2]bool{{true, true}, {false, true}} {
		seat := ScriptedSeat(opt)
		acts, recs, ew := runScripted(t, ScriptLeaver, opt, 3, cycleArms)
		last := recs[len(recs)-1]
		wantTurn := 2*DefaultConfig().LeaverTurns - 1 + seat // its LeaverTurns-th own turn
		if last.Actor != seat || last.Action != sotopia.ActionLeave || last.Turn != wantTurn || acts[len(acts)-1].ActionType != sotopia.ActionLeave {
			t.Errorf("optimised %v: last turn %d %s by seat %d, want a leave by seat %d at turn %d", opt, last.Turn, last.Action, last.Actor, seat, wantTurn)
		}
		next := len(acts) % 2
		if _, err := driveTurn(context.Background(), ew, sotopia.Observation{Seat: next, Turn: len(acts)}); err == nil {
			t.Errorf("seat %d acted after the leave", next)
		}
	}
}

// A scripted agent ignores its strategy: changing only its arms changes neither its actions nor
// anybody's rewards, and its expected reward is the same for every arm.
func TestScriptedAgentsIgnoreTheirStrategy(t *testing.T) {
	for _, script := range []string{ScriptRefuser, ScriptStaller, ScriptLeaver} {
		seat := 1
		base := func(s, turn int) int { return cycleArms(s, turn) }
		alt := func(s, turn int) int {
			if s == seat {
				return (turn*7 + 4) % 13
			}
			return cycleArms(s, turn)
		}
		a1, r1, _ := runScripted(t, script, [2]bool{true, true}, 21, base)
		a2, r2, _ := runScripted(t, script, [2]bool{true, true}, 21, alt)
		if !slices.Equal(a1, a2) {
			t.Errorf("%s: its actions depend on its strategy", script)
		}
		for i := range r1 {
			if r1[i].Reward != r2[i].Reward || r1[i].Mu != r2[i].Mu {
				t.Errorf("%s turn %d: rewards depend on the scripted seat's arm", script, i+1)
			}
			e := r1[i].Expected[seat]
			if slices.Min(e) != slices.Max(e) {
				t.Errorf("%s turn %d: the scripted seat's expected rewards vary by arm: %v", script, i+1, e)
			}
		}
	}
}
