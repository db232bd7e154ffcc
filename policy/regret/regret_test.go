package regret

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
)

func smallOptions() Options {
	o := DefaultOptions()
	o.Seeds, o.Turns = 4, 12
	o.Bandits = []string{"random", "ucb1", "exp3"}
	o.Opponents = []string{sim.ProfileStatic, sim.ProfileAdaptive}
	return o
}

func TestRun_RejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no seeds", func(o *Options) { o.Seeds = 0 }, "seeds = 0"},
		{"no turns", func(o *Options) { o.Turns = -1 }, "turns = -1"},
		{"negative workers", func(o *Options) { o.Workers = -2 }, "workers = -2"},
		{"unknown bandit", func(o *Options) { o.Bandits = []string{"exp4"} }, `unknown bandit type "exp4"`},
		{"bandit alias twice", func(o *Options) { o.Bandits = []string{"ucb1", "ucb"} }, `"ucb1" is listed twice`},
		{"unknown opponent", func(o *Options) { o.Opponents = []string{"grumpy"} }, `unknown opponent "grumpy"`},
		{"opponent twice", func(o *Options) { o.Opponents = []string{"static", "static"} }, `"static" is listed twice`},
		{"unknown subset", func(o *Options) { o.Subset = "easy" }, `unknown subset "easy"`},
		{"unknown strategies", func(o *Options) { o.StrategyVersion = "v99" }, `unknown strategy version "v99"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := smallOptions()
			tt.edit(&o)
			if _, err := Run(o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestRun_DeterministicAndWorkerIndependent: same options, same rows, however many workers.
func TestRun_DeterministicAndWorkerIndependent(t *testing.T) {
	o := smallOptions()
	o.Workers = 1
	serial, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 4
	parallel, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(serial, parallel) {
		t.Fatalf("1 worker:\n%+v\n4 workers:\n%+v", serial, parallel)
	}
	if len(serial) != 6 || serial[0].Opponent != "static" || serial[0].Bandit != "random" || serial[5].Bandit != "exp3" {
		t.Fatalf("rows not opponent-major in the requested order: %+v", serial)
	}
	for _, r := range serial {
		if r.Turns != o.Turns || r.Episodes != o.Seeds {
			t.Fatalf("row %+v: want %d turns and %d episodes", r, o.Turns, o.Seeds)
		}
		// The best fixed arm can never beat the best arm of every turn; regret against it is >= 0.
		if r.MeanRegret < 0 || r.MeanStaticRegret > r.MeanRegret+1e-9 || r.MeanReward <= 0 || r.MeanReward >= 1 {
			t.Fatalf("implausible row %+v", r)
		}
	}
}

// TestRun_RegretMatchesIndependentReplay recomputes the static policy's (always arm 0) regrets
// through Game.Expected before each turn, a path independent of Outcome.Regret.
func TestRun_RegretMatchesIndependentReplay(t *testing.T) {
	o := smallOptions()
	o.Bandits, o.Opponents, o.Seeds = []string{"static"}, []string{sim.ProfileDrifting}, 3
	rows, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	worlds, err := buildWorlds(o, sim.DefaultDim)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.DefaultConfig()
	cfg.LeaveTrust, cfg.Opponent = 0, sim.ProfileDrifting
	var dyn, static float64
	for _, w := range worlds {
		game, err := sim.NewGame(cfg, w.setup, w.arms, w.seed)
		if err != nil {
			t.Fatal(err)
		}
		var cum [sotopia.Seats][]float64
		var got [sotopia.Seats]float64
		for range o.Turns {
			for seat := range sotopia.Seats {
				exp, err := game.Expected(seat)
				if err != nil {
					t.Fatal(err)
				}
				if cum[seat] == nil {
					cum[seat] = make([]float64, len(exp))
				}
				best := math.Inf(-1)
				for a, mu := range exp {
					cum[seat][a] += mu
					best = math.Max(best, mu)
				}
				dyn += (best - exp[0]) / sotopia.Seats
				got[seat] += exp[0]
			}
			if _, err := game.Play([sotopia.Seats]int{0, 0}); err != nil {
				t.Fatal(err)
			}
		}
		for seat := range sotopia.Seats {
			best := math.Inf(-1)
			for _, c := range cum[seat] {
				best = math.Max(best, c)
			}
			static += (best - got[seat]) / sotopia.Seats
		}
	}
	n := float64(len(worlds))
	if r := rows[0]; math.Abs(r.MeanRegret-dyn/n) > 1e-9 || math.Abs(r.MeanStaticRegret-static/n) > 1e-9 {
		t.Fatalf("bench %+v; replay dynamic %v, static %v", r, dyn/n, static/n)
	}
}

// TestRun_FeedbackReachesBandits: over 150 turns against the stationary profile, UCB1 must learn
// (clearly below uniform play's regret) while the never-learning static policy does not improve.
func TestRun_FeedbackReachesBandits(t *testing.T) {
	o := DefaultOptions()
	o.Seeds, o.Turns = 10, 150
	o.Bandits = []string{"random", "ucb1"}
	o.Opponents = []string{sim.ProfileStatic}
	rows, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	random, ucb := rows[0], rows[1]
	t.Logf("150 turns, static opponent: random %.1f, ucb1 %.1f", random.MeanRegret, ucb.MeanRegret)
	if ucb.MeanRegret > 0.85*random.MeanRegret {
		t.Fatalf("UCB1 regret %.1f is not clearly below uniform play's %.1f", ucb.MeanRegret, random.MeanRegret)
	}
}

// TestRun_ScriptedOpponents: only the seat facing a scripted agent is optimised, and the leaver
// ends its episodes early.
func TestRun_ScriptedOpponents(t *testing.T) {
	o := smallOptions()
	o.Bandits = []string{"ucb1"}
	o.Opponents = []string{sim.ScriptRefuser, sim.ScriptLeaver}
	rows, err := Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Turns != o.Turns {
		t.Fatalf("refuser: %d turns, want %d", rows[0].Turns, o.Turns)
	}
	if rows[1].Turns >= o.Turns || rows[1].Turns < 1 {
		t.Fatalf("leaver: %d turns, want an early end", rows[1].Turns)
	}
}

func TestRunContext_Cancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunContext(ctx, smallOptions()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// TestPopulationBandits_CreateScoredArms: the prompt optimisers run offline against the sim
// world's optimiser, create arms whose rewards the game knows, and are reproducible.
func TestPopulationBandits_CreateScoredArms(t *testing.T) {
	opts := smallOptions()
	opts.Bandits = []string{"opro", "evoprompt-ga", "evoprompt-de", "promptbreeder"}
	opts.Opponents = []string{"static"}
	opts.Turns = 20
	rows, err := Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r.ArmsCreated < 1 {
			t.Errorf("%s created %.1f arms per seat in 20 turns, want at least 1", r.Bandit, r.ArmsCreated)
		}
		if r != again[i] {
			t.Errorf("%s: two runs differ: %+v vs %+v", r.Bandit, r, again[i])
		}
	}
}

// TestBestOf_CountsCreatedArmsOfThePopulation: a created arm better than every pool arm sets
// the bar, one outside the population does not.
func TestBestOf_CountsCreatedArmsOfThePopulation(t *testing.T) {
	out := sim.Outcome{}
	out.Expected[0] = []float64{0.2, 0.5, 0.4}
	out.Added[0] = []float64{0.9, 0.7}
	if got := bestOf(out, 0, 3, []int{0, 1, 4}); got != 0.7 {
		t.Errorf("best with created arm 4 = %v, want 0.7", got)
	}
	if got := bestOf(out, 0, 3, []int{0, 1}); got != 0.5 {
		t.Errorf("best of the pool = %v, want 0.5", got)
	}
}
