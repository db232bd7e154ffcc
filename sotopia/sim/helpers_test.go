package sim

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/also-project/also/sotopia"
)

// testSetup resolves the i-th task of the embedded dataset (modulo its size).
func testSetup(t testing.TB, i int) *sotopia.Setup {
	t.Helper()
	ds := sotopia.MustEmbedded()
	task := ds.Tasks[i%len(ds.Tasks)]
	env, agents, err := ds.Resolve(task)
	if err != nil {
		t.Fatal(err)
	}
	return &sotopia.Setup{Task: task, Env: env, Agents: agents, Era: sotopia.EraBenchmark, MaxTurns: 20}
}

// testArms is the v3 pool (13 arms) as arm choices for both seats.
func testArms(t testing.TB) [sotopia.Seats][]sotopia.ArmChoice {
	t.Helper()
	ss, err := sotopia.Strategies("v3")
	if err != nil {
		t.Fatal(err)
	}
	var out [sotopia.Seats][]sotopia.ArmChoice
	for seat := range out {
		for i, s := range ss {
			out[seat] = append(out[seat], sotopia.ArmChoice{Index: i, ID: s.ID, Description: s.Description,
				Text: sotopia.ArmText("background", s)})
		}
	}
	return out
}

// transcript is one episode played through the sotopia interfaces with random arms.
type transcript struct {
	actions    []sotopia.AgentAction
	judgements []sotopia.Judgement
	final      sotopia.Judgement
	arms       [][sotopia.Seats]int
	dialogue   []string // the rendered dialogue after each turn
}

// playEpisode runs an episode of at most turns steps through World/Agent/Judge, choosing both
// seats' arms uniformly at random from armSeed, judging every turn when judge is set.
func playEpisode(t testing.TB, cfg Config, taskIdx int, seed int64, turns int, armSeed uint64, judge bool) transcript {
	t.Helper()
	w, err := New(cfg, sotopia.MustEmbedded())
	if err != nil {
		t.Fatal(err)
	}
	setup := testSetup(t, taskIdx)
	arms := testArms(t)
	ctx := context.Background()
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: setup, Seed: seed, Arms: arms, Optimised: [2]bool{true, true}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(armSeed, 7))
	var tr transcript
	text := ""
	for step := 1; step <= turns; step++ {
		var chosen [sotopia.Seats]int
		for seat := range chosen {
			chosen[seat] = r.IntN(len(arms[seat]))
			setArm(ew, seat, arms[seat][chosen[seat]])
		}
		seat := (step - 1) % 2
		act, err := driveTurn(ctx, ew, sotopia.Observation{Seat: seat, Turn: step - 1, AvailableActions: sotopia.AllActionTypes})
		if err != nil {
			t.Fatal(err)
		}
		tr.actions = append(tr.actions, act)
		tr.arms = append(tr.arms, chosen)
		if act.ActionType != sotopia.ActionNone {
			text += setup.Agents[seat].Name() + " " + act.Render() + " "
		}
		tr.dialogue = append(tr.dialogue, text)
		if judge {
			j, err := ew.Judge.JudgeTurn(ctx, turnRequest(ew, step))
			if err != nil {
				t.Fatal(err)
			}
			tr.judgements = append(tr.judgements, j)
		}
		if act.ActionType == sotopia.ActionLeave {
			break
		}
	}
	if judge {
		f, err := ew.Judge.JudgeEpisode(ctx, episodeRequest(ew))
		if err != nil {
			t.Fatal(err)
		}
		tr.final = f
	}
	return tr
}

// turnRequest is the judge's request about a turn with the hidden state's facts (none for a turn
// not played), as the environment actor sends it.
func turnRequest(ew *sotopia.EpisodeWorld, turn int) sotopia.JudgeRequest {
	facts, _ := ew.Hidden.TurnFacts(turn)
	return sotopia.JudgeRequest{Turn: turn, Facts: facts}
}

// episodeRequest is the terminal judge's request with the episode's facts.
func episodeRequest(ew *sotopia.EpisodeWorld) sotopia.JudgeRequest {
	facts, _ := ew.Hidden.EpisodeFacts()
	return sotopia.JudgeRequest{Turn: len(hiddenModel(ew).turns), Facts: facts}
}
