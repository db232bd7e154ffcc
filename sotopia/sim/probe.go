package sim

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/also-project/also/sotopia"
)

// maxProbeDim bounds the d x d normal equations of the probe.
const maxProbeDim = 1024

// ProbeOptions sets a context-signal measurement (see MeasureContextSignal).
type ProbeOptions struct {
	// Episodes are played on the dataset's tasks in file order, cycling; Turns caps each one.
	Episodes, Turns int
	// Seed seeds the episodes and the random arm choices.
	Seed int64
	// Strategies is the arm pool version of both seats (sotopia.Strategies).
	Strategies string
	// Holdout is the fraction of episodes (the last ones) kept for testing the probe.
	Holdout float64
}

// DefaultProbeOptions is the setting of the figure quoted in the package doc.
func DefaultProbeOptions() ProbeOptions {
	return ProbeOptions{Episodes: 1200, Turns: 20, Seed: 1, Strategies: "v3", Holdout: 0.25}
}

// ProbeResult is the held-out R^2 of a ridge probe from the dialogue embedding to seat 0's
// relative expected rewards, and the same probe fitted to targets shuffled across samples.
type ProbeResult struct {
	Train, Test int
	// Lambda is the ridge strength, chosen on the last fifth of the training episodes.
	Lambda   float64
	R2       float64
	Shuffled float64
}

// MeasureContextSignal plays episodes with uniformly random arms for both seats and, after every
// turn, pairs the embedding of the dialogue so far (ALSO's context text: "<Name> <action>" lines,
// nones dropped) with seat 0's expected reward of every pool arm minus their mean (what a
// context-aware policy needs from the context). A ridge probe is fitted on the training episodes
// and scored by pooled R^2 on the held-out ones; the shuffled figure is the chance level.
func MeasureContextSignal(cfg Config, ds *sotopia.Dataset, opt ProbeOptions) (ProbeResult, error) {
	if opt.Episodes < 4 || opt.Turns < 1 || opt.Holdout <= 0 || opt.Holdout >= 1 {
		return ProbeResult{}, fmt.Errorf("sim probe: need Episodes >= 4, Turns >= 1 and Holdout in (0, 1), got %d, %d, %v",
			opt.Episodes, opt.Turns, opt.Holdout)
	}
	if cfg.Dim > maxProbeDim {
		return ProbeResult{}, fmt.Errorf("sim probe: Dim %d too large for the primal ridge probe (at most %d)", cfg.Dim, maxProbeDim)
	}
	w, err := New(cfg, ds)
	if err != nil {
		return ProbeResult{}, err
	}
	strategies, err := sotopia.Strategies(opt.Strategies)
	if err != nil {
		return ProbeResult{}, err
	}
	var pool []sotopia.ArmChoice
	for i, s := range strategies {
		pool = append(pool, sotopia.ArmChoice{Index: i, ID: s.ID, Description: s.Description})
	}
	var xs, ys [][]float64
	var episodeOf []int
	for e := range opt.Episodes {
		x, y, err := probeEpisode(w, ds, ds.Tasks[e%len(ds.Tasks)], pool, opt.Seed+int64(e), opt.Turns)
		if err != nil {
			return ProbeResult{}, err
		}
		xs, ys = append(xs, x...), append(ys, y...)
		for range x {
			episodeOf = append(episodeOf, e)
		}
	}
	firstTest := int(math.Round(float64(opt.Episodes) * (1 - opt.Holdout)))
	shuffled := make([][]float64, len(ys))
	perm := stream(opt.Seed, "probe-shuffle").Perm(len(ys))
	for i, p := range perm {
		shuffled[i] = ys[p]
	}
	r2, lambda, train, test := ridgeProbe(xs, [][][]float64{ys, shuffled}, episodeOf, firstTest)
	res := ProbeResult{Train: train, Test: test, Lambda: lambda[0], R2: r2[0], Shuffled: r2[1]}
	if math.IsNaN(res.R2) || math.IsNaN(res.Shuffled) {
		return res, errors.New("sim probe: degenerate data (no variance in the targets)")
	}
	return res, nil
}

func probeEpisode(w *World, ds *sotopia.Dataset, task sotopia.Task, pool []sotopia.ArmChoice, seed int64, turns int) (xs, ys [][]float64, err error) {
	env, agents, err := ds.Resolve(task)
	if err != nil {
		return nil, nil, err
	}
	setup := &sotopia.Setup{Task: task, Env: env, Agents: agents, Era: sotopia.EraBenchmark, MaxTurns: turns}
	ctx := context.Background()
	ew, err := w.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: setup, Seed: seed, Arms: [2][]sotopia.ArmChoice{pool, pool},
		Optimised: [2]bool{true, true}})
	if err != nil {
		return nil, nil, err
	}
	r := stream(seed, "probe-arms")
	text := ""
	for t := range turns {
		for seat := range ew.Agents {
			setArm(ew, seat, pool[r.IntN(len(pool))])
		}
		seat := t % sotopia.Seats
		act, err := driveTurn(ctx, ew, sotopia.Observation{Seat: seat, Turn: t})
		if err != nil {
			return nil, nil, err
		}
		if act.ActionType != sotopia.ActionNone {
			text += agents[seat].Name() + " " + act.Render() + " "
		}
		y := hiddenModel(ew).turns[t].Affinity[0]
		xs, ys = append(xs, w.emb.Vector(text)), append(ys, y)
		if act.ActionType == sotopia.ActionLeave {
			break
		}
	}
	return xs, ys, nil
}
