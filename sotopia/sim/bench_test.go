package sim

import (
	"context"
	"testing"

	"github.com/also-project/also/sotopia"
)

// BenchmarkEpisode is one 20-turn episode as the pipeline drives it: both seats' strategies set,
// the acting agent asked, the turn judged and the dialogue so far embedded, every turn.
func BenchmarkEpisode(b *testing.B) {
	w, err := New(DefaultConfig(), sotopia.MustEmbedded())
	if err != nil {
		b.Fatal(err)
	}
	setup, arms, ctx := testSetup(b, 3), testArms(b), context.Background()
	b.ReportAllocs()
	seed := int64(0)
	for b.Loop() {
		seed++
		ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: setup, Seed: seed, Arms: arms})
		if err != nil {
			b.Fatal(err)
		}
		text := ""
		for turn := range 20 {
			for seat := range 2 {
				setArm(ew, seat, arms[seat][(turn+seat)%13])
			}
			act, err := driveTurn(ctx, ew, sotopia.Observation{Seat: turn % 2, Turn: turn})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ew.Judge.JudgeTurn(ctx, turnRequest(ew, turn+1)); err != nil {
				b.Fatal(err)
			}
			text += setup.Agents[turn%2].Name() + " " + act.Render() + " "
			if _, err := ew.Embedder.Embed(ctx, []string{text}); err != nil {
				b.Fatal(err)
			}
			if act.ActionType == sotopia.ActionLeave {
				break
			}
		}
		if _, err := ew.Judge.JudgeEpisode(ctx, episodeRequest(ew)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGame200 is a 200-turn game without text, as `also bench regret` plays it.
func BenchmarkGame200(b *testing.B) {
	cfg := DefaultConfig()
	cfg.LeaveTrust = 0
	setup, arms := testSetup(b, 3), testArms(b)
	b.ReportAllocs()
	seed := int64(0)
	for b.Loop() {
		seed++
		g, err := NewGame(cfg, setup, arms, seed)
		if err != nil {
			b.Fatal(err)
		}
		for turn := range 200 {
			if _, err := g.Play([2]int{turn % 13, (turn * 3) % 13}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
