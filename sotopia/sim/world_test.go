package sim

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

func TestEpisodeDeterminism(t *testing.T) {
	for _, p := range Profiles() {
		cfg := DefaultConfig()
		cfg.Opponent = p
		a := playEpisode(t, cfg, 17, 5, 20, 1, true)
		b := playEpisode(t, cfg, 17, 5, 20, 1, true)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: same seed, different transcripts or judgements", p)
		}
		c := playEpisode(t, cfg, 17, 6, 20, 1, true)
		if reflect.DeepEqual(a.actions, c.actions) || reflect.DeepEqual(a.judgements, c.judgements) {
			t.Errorf("%s: different seeds, same episode", p)
		}
	}
}

// The hidden state advances when agents act, never when the judge is asked: an episode judged
// after every turn and one judged only at the end are the same episode, and judging is repeatable.
func TestJudgeIsAPureRead(t *testing.T) {
	judged := playEpisode(t, DefaultConfig(), 30, 9, 20, 2, true)
	silent := playEpisode(t, DefaultConfig(), 30, 9, 20, 2, false)
	if !reflect.DeepEqual(judged.actions, silent.actions) {
		t.Fatal("calling the judge changed the agents' actions")
	}
	w, _ := New(DefaultConfig(), sotopia.MustEmbedded())
	ctx := context.Background()
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: testSetup(t, 30), Seed: 9, Arms: testArms(t)})
	if err != nil {
		t.Fatal(err)
	}
	for turn := range 6 {
		seat := turn % 2
		if _, err := driveTurn(ctx, ew, sotopia.Observation{Seat: seat, Turn: turn}); err != nil {
			t.Fatal(err)
		}
	}
	first, _ := ew.Judge.JudgeTurn(ctx, turnRequest(ew, 3))
	second, _ := ew.Judge.JudgeTurn(ctx, turnRequest(ew, 3))
	if !reflect.DeepEqual(first, second) {
		t.Error("judging the same turn twice gave different verdicts")
	}
	for _, bad := range []int{0, 7, -1} {
		if _, err := ew.Judge.JudgeTurn(ctx, turnRequest(ew, bad)); err == nil {
			t.Errorf("judged unplayed turn %d", bad)
		}
	}
}

// Scores are integers on Sotopia-Eval's ranges, and their normalised mean is the observed
// reward up to integer rounding (1/140).
func TestJudgeScoresIntegerInRangeAndExact(t *testing.T) {
	for _, p := range Profiles() {
		cfg := DefaultConfig()
		cfg.Opponent = p
		for task := 0; task < 450; task += 90 {
			ep := playEpisode(t, cfg, task, int64(task), 20, uint64(task), true)
			all := append(slices.Clone(ep.judgements), ep.final)
			for _, j := range all {
				for seat, s := range j.Scores {
					if err := s.Validate(); err != nil {
						t.Fatalf("%s task %d seat %d: %v", p, task, seat, err)
					}
					for d, v := range s {
						if v != math.Trunc(v) {
							t.Fatalf("%s: %s score %v is not an integer", p, sotopia.Dimension(d), v)
						}
					}
				}
			}
		}
	}
}

// Per-turn judgements reproduce the observed reward, which tracks mu: over many turns the
// normalised mean of the seven scores correlates with the expected reward of the arm played.
func TestJudgeRewardTracksMu(t *testing.T) {
	var xs, ys []float64
	ctx := context.Background()
	for task := 0; task < 450; task += 15 {
		w, _ := New(DefaultConfig(), sotopia.MustEmbedded())
		arms := testArms(t)
		ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: testSetup(t, task), Seed: int64(task), Arms: arms})
		if err != nil {
			t.Fatal(err)
		}
		m := hiddenModel(ew)
		for turn := range 20 {
			for seat := range 2 {
				setArm(ew, seat, arms[seat][(turn*(seat+3)+task)%13])
			}
			act, err := driveTurn(ctx, ew, sotopia.Observation{Seat: turn % 2, Turn: turn})
			if err != nil {
				t.Fatal(err)
			}
			j, err := ew.Judge.JudgeTurn(ctx, turnRequest(ew, turn+1))
			if err != nil {
				t.Fatal(err)
			}
			rec := m.turns[turn]
			for seat := range 2 {
				got := j.Scores[seat].Reward()
				if math.Abs(got-rec.Reward[seat]) > 1.0/140+1e-12 {
					t.Fatalf("task %d turn %d seat %d: judge reward %v, observed reward %v", task, turn+1, seat, got, rec.Reward[seat])
				}
				if !slices.Equal(j.Expected[seat], rec.Expected[seat]) {
					t.Fatalf("judgement's Expected differs from the record")
				}
				xs, ys = append(xs, rec.Mu[seat]), append(ys, got)
			}
			if act.ActionType == sotopia.ActionLeave {
				break
			}
		}
	}
	if c := correlation(xs, ys); c < 0.8 {
		t.Errorf("corr(judge reward, mu) = %.3f over %d samples, want > 0.8", c, len(xs))
	} else {
		t.Logf("corr(judge reward, mu) = %.3f over %d samples", c, len(xs))
	}
}

func correlation(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i] / n
		my += y[i] / n
	}
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

// The agents and the Game run on one core: the same arms give the same outcomes.
func TestAgentsAgreeWithGame(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Opponent = ProfileAdaptive
	arms := testArms(t)
	setup := testSetup(t, 77)
	g, err := NewGame(cfg, setup, arms, 3)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := New(cfg, sotopia.MustEmbedded())
	ctx := context.Background()
	ew, _ := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: setup, Seed: 3, Arms: arms, Optimised: [2]bool{true, true}})
	m := hiddenModel(ew)
	for turn := range 20 {
		pair := [2]int{(turn * 7) % 13, (turn * 3) % 13}
		o, err := g.Play(pair)
		if err != nil {
			t.Fatal(err)
		}
		for seat := range 2 {
			setArm(ew, seat, arms[seat][pair[seat]])
		}
		act, err := driveTurn(ctx, ew, sotopia.Observation{Seat: turn % 2, Turn: turn, AvailableActions: sotopia.AllActionTypes})
		if err != nil {
			t.Fatal(err)
		}
		if !outcomesEqual([]Outcome{o}, []Outcome{m.turns[turn].Outcome}) || act.ActionType != o.Action {
			t.Fatalf("turn %d: game %+v, agents %+v", turn+1, o, m.turns[turn].Outcome)
		}
		if o.Action == sotopia.ActionLeave {
			break
		}
	}
}

func TestAgentProtocol(t *testing.T) {
	w, _ := New(DefaultConfig(), sotopia.MustEmbedded())
	ctx := context.Background()
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: testSetup(t, 1), Seed: 1, Arms: testArms(t)})
	if err != nil {
		t.Fatal(err)
	}
	a0, a1 := ew.Agents[0], ew.Agents[1]
	a1.Observe(sotopia.Observation{Seat: 1, Turn: 0})
	first, err := driveTurn(ctx, ew, sotopia.Observation{Seat: 0, Turn: 0})
	if err != nil {
		t.Fatal(err)
	}
	again, err := a0.Act(ctx, sotopia.Observation{Seat: 0, Turn: 0})
	if err != nil || again != first {
		t.Errorf("retried turn gave %v, %v; want the recorded %v", again, err, first)
	}
	cue0, err := ew.Hidden.Cue(sotopia.Observation{Seat: 0, Turn: 0})
	if err != nil {
		t.Fatalf("asking the hidden state again for a played turn: %v", err)
	}
	// The hidden state checks the turn order; the agent checks what it is asked to voice.
	for _, c := range []struct {
		obs  sotopia.Observation
		want string
	}{
		{sotopia.Observation{Seat: 1, Turn: 0}, "played by seat 0"},
		{sotopia.Observation{Seat: 1, Turn: 3}, "only 1 turns played"},
		{sotopia.Observation{Seat: 1, Turn: -1}, "negative"},
	} {
		if _, err := ew.Hidden.Cue(c.obs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Cue(%+v): error %v, want %q", c.obs, err, c.want)
		}
	}
	for _, c := range []struct {
		obs  sotopia.Observation
		want string
	}{
		{sotopia.Observation{Seat: 0, Turn: 1}, "observation for seat 0"},
		{sotopia.Observation{Seat: 1, Turn: 1}, "has no cue"},
		{sotopia.Observation{Seat: 1, Turn: 1, Cue: cue0}, "cue for seat 0 turn 1"},
	} {
		if _, err := a1.Act(ctx, c.obs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Act(%+v): error %v, want %q", c.obs, err, c.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a1.Act(cancelled, sotopia.Observation{Seat: 1, Turn: 1}); err == nil {
		t.Error("cancelled context ignored")
	}
	// A restricted action list is honoured.
	act, err := driveTurn(ctx, ew, sotopia.Observation{Seat: 1, Turn: 1, AvailableActions: []sotopia.ActionType{sotopia.ActionNone, sotopia.ActionNonVerbal}})
	if err != nil || act.ActionType != sotopia.ActionNonVerbal || act.Argument == "" {
		t.Errorf("restricted actions: %+v, %v", act, err)
	}
}

// Utterances are readable: no formatting slips, the first one greets the other seat by name,
// and the dialogue mentions the speaker's goal and active strategy.
func TestUtterancesAreReadable(t *testing.T) {
	setup := testSetup(t, 60)
	tr := playEpisode(t, DefaultConfig(), 60, 4, 20, 3, false)
	if !strings.Contains(tr.actions[0].Argument, setup.Agents[1].FirstName) {
		t.Errorf("first utterance %q does not address %s", tr.actions[0].Argument, setup.Agents[1].FirstName)
	}
	for i, a := range tr.actions {
		if strings.Contains(a.Argument, "%!") || strings.Contains(a.Argument, "  ") {
			t.Errorf("turn %d: formatting slip in %q", i+1, a.Argument)
		}
		if (a.ActionType == sotopia.ActionSpeak || a.ActionType == sotopia.ActionNonVerbal || a.ActionType == sotopia.ActionAction) && a.Argument == "" {
			t.Errorf("turn %d: empty %s", i+1, a.ActionType)
		}
	}
}

func TestNewEpisodeInputs(t *testing.T) {
	ds := sotopia.MustEmbedded()
	w, err := New(DefaultConfig(), ds)
	if err != nil {
		t.Fatal(err)
	}
	if w.Name() != "sim" {
		t.Errorf("name %q", w.Name())
	}
	ctx := context.Background()
	arms := testArms(t)
	// A setup with only the task is completed from the dataset.
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: &sotopia.Setup{Task: ds.Tasks[5]}, Arms: arms})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sim", "sim/static", "sim/static"}; !slices.Equal(ew.Models, want) || ew.Embedder == nil || ew.Judge == nil {
		t.Errorf("models %v, want %v", ew.Models, want)
	}
	for _, c := range []struct {
		spec sotopia.EpisodeSpec
		want string
	}{
		{sotopia.EpisodeSpec{Arms: arms}, "no setup"},
		{sotopia.EpisodeSpec{Setup: &sotopia.Setup{}, Arms: arms}, "neither"},
		{sotopia.EpisodeSpec{Setup: &sotopia.Setup{Task: sotopia.Task{PK: "x", EnvID: "nope"}}, Arms: arms}, "unknown environment"},
		{sotopia.EpisodeSpec{Setup: testSetup(t, 0)}, "empty arm pool"},
	} {
		if _, err := w.NewEpisode(ctx, c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewEpisode: error %v, want %q", err, c.want)
		}
	}
	if _, err := New(DefaultConfig(), nil); err == nil {
		t.Error("nil dataset accepted")
	}
	bad := DefaultConfig()
	bad.Beta = math.NaN()
	if _, err := New(bad, ds); err == nil || !strings.Contains(err.Error(), "Beta") {
		t.Errorf("bad config: %v", err)
	}
}

// Agents and the judge are called from different goroutines (different actors); the shared state
// must be safe for that (run with -race).
func TestEpisodeAcrossGoroutines(t *testing.T) {
	w, _ := New(DefaultConfig(), sotopia.MustEmbedded())
	ctx := context.Background()
	arms := testArms(t)
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: testSetup(t, 2), Seed: 2, Arms: arms})
	if err != nil {
		t.Fatal(err)
	}
	var turns [2]chan int
	judge, done := make(chan int), make(chan error, 3)
	for seat := range turns {
		turns[seat] = make(chan int)
		go func() {
			for turn := range turns[seat] {
				setArm(ew, seat, arms[seat][turn%13])
				_, err := driveTurn(ctx, ew, sotopia.Observation{Seat: seat, Turn: turn})
				if err != nil {
					done <- err
					return
				}
				judge <- turn + 1
			}
			done <- nil
		}()
	}
	go func() {
		for range 10 {
			turn := <-judge
			if _, err := ew.Judge.JudgeTurn(ctx, turnRequest(ew, turn)); err != nil {
				done <- err
				return
			}
			if turn < 10 {
				turns[turn%2] <- turn
			}
		}
		close(turns[0])
		close(turns[1])
		done <- nil
	}()
	turns[0] <- 0
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
