package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

func f(v float64) *float64 { return &v }

func ep(task string, attempt int, status string, scores [2]sotopia.Scores, rewards, regrets []float64) *sotopia.EpisodeLog {
	e := &sotopia.EpisodeLog{PK: task + string(rune('a'+attempt)), TaskID: task, Attempt: attempt, Status: status, Environment: "env"}
	if status == sotopia.StatusDone {
		e.Rewards = []sotopia.SeatReward{sotopia.NewSeatReward(scores[0]), sotopia.NewSeatReward(scores[1])}
	}
	for i, r := range rewards {
		e.Turns = append(e.Turns, sotopia.TurnRecord{Turn: i + 1, Seats: []sotopia.SeatTurn{{Reward: f(r), Regret: f(regrets[i])}, {Reward: f(1 - r)}}})
	}
	return e
}

func TestSummariseCountsTasksByTheirLastAttempt(t *testing.T) {
	s1 := sotopia.Scores{8, 1, 5, 0, 0, 1, 6}
	s2 := sotopia.Scores{6, -1, 3, -2, 0, -1, 4}
	eps := []*sotopia.EpisodeLog{
		ep("t1", 0, sotopia.StatusFailed, [2]sotopia.Scores{}, nil, nil),
		ep("t1", 1, sotopia.StatusDone, [2]sotopia.Scores{s1, s2}, []float64{0.2, 0.4}, []float64{0.5, 0.1}),
		ep("t2", 0, sotopia.StatusDone, [2]sotopia.Scores{s2, s1}, []float64{0.6}, []float64{0.3}),
		ep("t3", 0, sotopia.StatusFailed, [2]sotopia.Scores{}, nil, nil),
	}
	s := Summarise("tag", eps)
	if s.Episodes != 3 || s.Done != 2 || s.Failed != 1 || s.Attempts != 4 {
		t.Fatalf("counts: %+v", s)
	}
	p1 := s.Seats[0]
	if p1.Episodes != 2 || math.Abs(p1.Dimensions["goal"]-5) > 1e-12 || math.Abs(p1.Overall-(s1.Overall()+s2.Overall())/2) > 1e-12 {
		t.Errorf("seat 1 aggregate: %+v", p1)
	}
	// Mean over episodes of each episode's mean per-turn reward: (0.3 + 0.6) / 2.
	if p1.MeanTurnReward == nil || math.Abs(*p1.MeanTurnReward-0.45) > 1e-12 {
		t.Errorf("mean turn reward %v", p1.MeanTurnReward)
	}
	// Cumulative regret per episode: 0.6 and 0.3.
	if p1.MeanCumulativeRegret == nil || math.Abs(*p1.MeanCumulativeRegret-0.45) > 1e-12 {
		t.Errorf("mean cumulative regret %v", p1.MeanCumulativeRegret)
	}
	if s.Seats[1].MeanCumulativeRegret != nil {
		t.Error("regret reported for a seat without any")
	}
	var b bytes.Buffer
	if err := WriteTable(&b, s); err != nil || !strings.Contains(b.String(), "3 episodes, 2 done, 1 failed") {
		t.Errorf("table: %v\n%s", err, b.String())
	}
}

func TestEvaluateSkipsUnscoredAndComputesSE(t *testing.T) {
	a := sotopia.Scores{10, 0, 0, 0, 0, 0, 10}
	b := sotopia.Scores{0, 0, 0, 0, 0, 0, 0}
	eps := []*sotopia.EpisodeLog{
		ep("t1", 0, sotopia.StatusDone, [2]sotopia.Scores{a, b}, nil, nil),
		ep("t2", 0, sotopia.StatusDone, [2]sotopia.Scores{b, a}, nil, nil),
		ep("t3", 0, sotopia.StatusFailed, [2]sotopia.Scores{}, nil, nil),
	}
	ev, err := Evaluate("tag", "all", eps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Scored != 2 || ev.Failed != 1 || len(ev.Episodes) != 3 {
		t.Fatalf("%+v", ev)
	}
	goal := ev.Seats[0].Dimensions["goal"]
	// Values 10 and 0: mean 5, population std 5, SE 5/sqrt(2).
	if goal.Mean != 5 || math.Abs(goal.SE-5/math.Sqrt2) > 1e-12 {
		t.Errorf("goal stat %+v", goal)
	}
	if avg := ev.Average.Dimensions["goal"]; avg.Mean != 5 || avg.SE != 0 {
		t.Errorf("average of both seats per episode: %+v", avg)
	}
	if _, err := Evaluate("tag", "easy", eps, nil); err == nil {
		t.Error("bad eval set accepted")
	}
}

func TestFolderRefusesNonEmptyAndOrdersEpisodes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	fo, err := CreateFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	eps := []Indexed{
		{Index: 1, Episode: &sotopia.EpisodeLog{PK: "b", Attempt: 0}},
		{Index: 0, Episode: &sotopia.EpisodeLog{PK: "a1", Attempt: 1}},
		{Index: 0, Episode: &sotopia.EpisodeLog{PK: "a0", Attempt: 0}},
	}
	if err := fo.WriteEpisodes(eps); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEpisodes(filepath.Join(dir, "episodes.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].PK != "a0" || got[1].PK != "a1" || got[2].PK != "b" {
		t.Fatalf("order: %v %v %v", got[0].PK, got[1].PK, got[2].PK)
	}
	if _, err := CreateFolder(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("reusing a run folder: %v", err)
	}
}

// Issue 9.6: interrupted episodes are counted apart from failures, in a run's summary and in eval.
func TestInterruptedIsCountedApart(t *testing.T) {
	a := sotopia.Scores{10, 0, 0, 0, 0, 0, 10}
	eps := []*sotopia.EpisodeLog{
		ep("t1", 0, sotopia.StatusDone, [2]sotopia.Scores{a, a}, nil, nil),
		ep("t2", 0, sotopia.StatusFailed, [2]sotopia.Scores{}, nil, nil),
		ep("t3", 0, sotopia.StatusInterrupted, [2]sotopia.Scores{}, nil, nil),
	}
	s := Summarise("tag", eps)
	if s.Done != 1 || s.Failed != 1 || s.Interrupted != 1 {
		t.Fatalf("summary %+v", s)
	}
	ev, err := Evaluate("tag", "all", eps, nil)
	if err != nil || ev.Scored != 1 || ev.Failed != 1 || ev.Interrupted != 1 {
		t.Fatalf("eval %+v, %v", ev, err)
	}
	var b bytes.Buffer
	WriteTable(&b, s)
	WriteEvalTable(&b, ev)
	if !strings.Contains(b.String(), "1 failed, 1 interrupted") || !strings.Contains(b.String(), "1 unscored, 1 interrupted") {
		t.Errorf("tables:\n%s", b.String())
	}
}

// A derived folder name already in use (a resumed run in the same second) moves to the next
// free suffix; an empty folder is reused.
func TestFreeNameSkipsUsedFolders(t *testing.T) {
	base := filepath.Join(t.TempDir(), "tag_20261201T000000Z")
	if got := FreeName(base); got != base {
		t.Fatalf("free base: %s", got)
	}
	for _, d := range []string{base, base + "-2"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "run.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(base+"-3", 0o755); err != nil {
		t.Fatal(err)
	}
	if got := FreeName(base); got != base+"-3" {
		t.Fatalf("got %s, want the empty %s-3", got, base)
	}
}
