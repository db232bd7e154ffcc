package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia"
)

func newTestGame(t testing.TB, cfg Config, task int, seed int64) *Game {
	t.Helper()
	g, err := NewGame(cfg, testSetup(t, task), testArms(t), seed)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// Rewards lie in [0, 1]; the expected reward of the arm played is the entry of Expected; regret is
// max(Expected) - Mu and never negative for pool arms.
func TestGameOutcomeInvariants(t *testing.T) {
	arms := testArms(t)
	for _, p := range Profiles() {
		cfg := DefaultConfig()
		cfg.Opponent = p
		for task := 0; task < 450; task += 45 {
			g := newTestGame(t, cfg, task, int64(task))
			r := rand.New(rand.NewPCG(uint64(task), 3))
			for !g.Over() && g.Turn() < 20 {
				o, err := g.Play([2]int{r.IntN(len(arms[0])), r.IntN(len(arms[1]))})
				if err != nil {
					t.Fatal(err)
				}
				for i := range o.Reward {
					if o.Reward[i] < 0 || o.Reward[i] > 1 || o.Mu[i] <= 0 || o.Mu[i] >= 1 {
						t.Fatalf("%s task %d turn %d seat %d: reward %v mu %v", p, task, o.Turn, i, o.Reward[i], o.Mu[i])
					}
					if o.Expected[i][o.Arms[i]] != o.Mu[i] {
						t.Fatalf("%s: Expected[%d][%d] = %v, Mu = %v", p, i, o.Arms[i], o.Expected[i][o.Arms[i]], o.Mu[i])
					}
					if want := slices.Max(o.Expected[i]) - o.Mu[i]; o.Regret[i] != want || o.Regret[i] < 0 {
						t.Fatalf("%s: regret %v, want %v", p, o.Regret[i], want)
					}
				}
			}
		}
	}
}

// Playing the best arm given the other seat's arm has zero regret; Expected (a pure read) agrees
// with the outcome of the turn it forecasts.
func TestBestArmHasZeroRegret(t *testing.T) {
	for _, p := range profileNames {
		cfg := DefaultConfig()
		cfg.Opponent, cfg.LeaveTrust = p, 0
		g := newTestGame(t, cfg, 7, 99)
		for g.Turn() < 30 {
			if _, err := g.Play([2]int{0, 4}); err != nil { // seat 1's arm stays 4 throughout
				t.Fatal(err)
			}
			exp, err := g.Expected(0)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := g.Expected(0)
			if !slices.Equal(exp, again) {
				t.Fatalf("%s: Expected changed between two reads", p)
			}
			best := argmax(exp)
			o, err := g.Play([2]int{best, 4})
			if err != nil {
				t.Fatal(err)
			}
			if o.Regret[0] != 0 || !slices.Equal(o.Expected[0], exp) {
				t.Fatalf("%s turn %d: regret %v of the best arm; forecast %v, outcome %v", p, o.Turn, o.Regret[0], exp, o.Expected[0])
			}
		}
	}
}

func thetaPath(t *testing.T, cfg Config, turns int) [][]float64 {
	t.Helper()
	g := newTestGame(t, cfg, 11, 5)
	var path [][]float64 // path[k] = theta used at turn k+1
	for g.Turn() < turns {
		path = append(path, g.Theta(0))
		if _, err := g.Play([2]int{g.Turn() % 13, 2}); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestStaticThetaIsConstant(t *testing.T) {
	path := thetaPath(t, DefaultConfig(), 25)
	for k := range path {
		if !slices.Equal(path[k], path[0]) {
			t.Fatalf("static theta changed at turn %d", k+1)
		}
	}
}

func TestSwitchingChangesEveryK(t *testing.T) {
	for _, k := range []int{1, 3, 5} {
		cfg := DefaultConfig()
		cfg.Opponent, cfg.SwitchEvery = ProfileSwitching, k
		path := thetaPath(t, cfg, 21)
		for turn := 2; turn <= len(path); turn++ {
			same := slices.Equal(path[turn-1], path[turn-2])
			if switchTurn := (turn-1)%k == 0; same == switchTurn {
				t.Fatalf("k=%d turn %d: theta unchanged=%v, want a switch=%v", k, turn, same, switchTurn)
			}
		}
	}
}

func TestDriftingMovesSlowly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Opponent = ProfileDrifting
	path := thetaPath(t, cfg, 21)
	for k := 1; k < len(path); k++ {
		if c := dot(path[k], path[k-1]); c > 0.999 || c < 0.85 {
			t.Fatalf("turn %d: cos(theta_t, theta_t-1) = %v, want a small but real step", k+1, c)
		}
	}
	if c := dot(path[len(path)-1], path[0]); c > 0.9 {
		t.Errorf("theta barely drifted over 20 turns: cos = %v", c)
	}
}

// relative is the expected reward of arm a minus the mean over the pool.
func relative(exp []float64, a int) float64 {
	mean := 0.0
	for _, v := range exp {
		mean += v / float64(len(exp))
	}
	return exp[a] - mean
}

// The adaptive opponent punishes repetition: playing one arm over and over lowers its expected
// reward relative to the other arms; under the static profile the same play changes nothing.
func TestAdaptivePunishesRepeatedArm(t *testing.T) {
	for _, task := range []int{3, 100, 250} {
		static := newTestGame(t, DefaultConfig(), task, 1)
		exp0, _ := static.Expected(0)
		best := argmax(exp0)
		cfg := DefaultConfig()
		cfg.Opponent = ProfileAdaptive
		adaptive := newTestGame(t, cfg, task, 1)
		var relStatic, relAdaptive []float64
		for range 4 {
			s, err := static.Play([2]int{best, 0})
			if err != nil {
				t.Fatal(err)
			}
			a, err := adaptive.Play([2]int{best, 0})
			if err != nil {
				t.Fatal(err)
			}
			relStatic, relAdaptive = append(relStatic, relative(s.Expected[0], best)), append(relAdaptive, relative(a.Expected[0], best))
		}
		if math.Abs(relStatic[3]-relStatic[0]) > 0.05 {
			t.Errorf("task %d: static profile moved the repeated arm: %v", task, relStatic)
		}
		if relAdaptive[0] != relStatic[0] || relAdaptive[3] > relAdaptive[0]-0.2 {
			t.Errorf("task %d: adaptive did not punish the repeated arm: relative reward %v (static %v)", task, relAdaptive, relStatic)
		}
		if argmax(mustExpected(t, adaptive, 0)) == best {
			t.Errorf("task %d: the repeated arm is still the best under the adaptive opponent", task)
		}
	}
}

func mustExpected(t *testing.T, g *Game, seat int) []float64 {
	t.Helper()
	e, err := g.Expected(seat)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The opponent's arm hurts in bargaining (kappa > 0) and helps in cooperative scenarios.
func TestOpponentTermSignBySource(t *testing.T) {
	ds := sotopia.MustEmbedded()
	for _, c := range []struct {
		source string
		sign   float64
	}{{"craigslist_bargains", -1}, {"deal-or-no-deal", -1}, {"mutual_friends", 1}, {"social_chemistry", 1}} {
		task := -1
		for i, tk := range ds.Tasks {
			if ds.Envs[tk.EnvID].Source == c.source {
				task = i
				break
			}
		}
		g := newTestGame(t, DefaultConfig(), task, 3)
		exp1 := mustExpected(t, g, 1)
		good, bad := argmax(exp1), 0
		for k, v := range exp1 {
			if v < exp1[bad] {
				bad = k
			}
		}
		// Expected(0) holds seat 1's current arm; compare seat 0's reward against both.
		g.m.seats[1].active = good
		withGood := mustExpected(t, g, 0)[5]
		g.m.seats[1].active = bad
		withBad := mustExpected(t, g, 0)[5]
		if (withGood-withBad)*c.sign <= 0 {
			t.Errorf("%s: seat 0's reward %v against the opponent's best arm, %v against its worst; want sign %v",
				c.source, withGood, withBad, c.sign)
		}
	}
}

func TestGameErrors(t *testing.T) {
	g := newTestGame(t, DefaultConfig(), 0, 1)
	if _, err := g.Play([2]int{13, 0}); err == nil || !strings.Contains(err.Error(), "seat 0 arm 13") {
		t.Errorf("out-of-pool arm: %v", err)
	}
	if _, err := g.Expected(2); err == nil {
		t.Error("seat 2 accepted")
	}
	cfg := DefaultConfig()
	cfg.Opponent = ScriptLeaver
	g = newTestGame(t, cfg, 0, 1)
	for !g.Over() {
		if _, err := g.Play([2]int{1, 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.Play([2]int{1, 1}); !errors.Is(err, ErrEpisodeOver) {
		t.Errorf("play after leave: %v", err)
	}
	if _, err := NewGame(cfg, &sotopia.Setup{}, testArms(t), 1); err == nil {
		t.Error("setup without environment accepted")
	}
	if _, err := NewGame(cfg, testSetup(t, 0), [2][]sotopia.ArmChoice{testArms(t)[0], nil}, 1); err == nil || !strings.Contains(err.Error(), "seat 1") {
		t.Errorf("empty pool: %v", err)
	}
}

// A seat leaves when trust falls below the floor, and never when the floor is 0.
func TestTrustFloorLeave(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LeaveTrust, cfg.LeaveAfter = 0.99, 3 // trust starts below 0.99: leave at the first chance
	g := newTestGame(t, cfg, 0, 1)
	var last Outcome
	for !g.Over() {
		o, err := g.Play([2]int{0, 0})
		if err != nil {
			t.Fatal(err)
		}
		last = o
	}
	if last.Turn != 4 || last.Action != sotopia.ActionLeave || last.Actor != 1 {
		t.Errorf("left at turn %d (%s by seat %d), want turn 4 by seat 1", last.Turn, last.Action, last.Actor)
	}
	cfg.LeaveTrust = 0
	g = newTestGame(t, cfg, 0, 1)
	lowest := 1.0
	for range 200 {
		worst := func(seat int) int { // argmin: play badly so that trust sinks
			e := mustExpected(t, g, seat)
			return slices.Index(e, slices.Min(e))
		}
		if _, err := g.Play([2]int{worst(0), worst(1)}); err != nil {
			t.Fatal(err)
		}
		lowest = min(lowest, g.Trust())
	}
	if lowest >= DefaultConfig().LeaveTrust {
		t.Errorf("trust never fell below the default floor (lowest %v): the test proves nothing", lowest)
	}
}

func TestSameSeedSameGame(t *testing.T) {
	for _, p := range Profiles() {
		cfg := DefaultConfig()
		cfg.Opponent = p
		play := func(seed int64) []Outcome {
			g := newTestGame(t, cfg, 42, seed)
			var out []Outcome
			for i := 0; !g.Over() && i < 30; i++ {
				o, err := g.Play([2]int{i % 13, (i * 5) % 13})
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, o)
			}
			return out
		}
		a, b, c := play(1), play(1), play(2)
		if !outcomesEqual(a, b) {
			t.Errorf("%s: same seed, different games", p)
		}
		if outcomesEqual(a, c) {
			t.Errorf("%s: different seeds, same game", p)
		}
	}
}

func outcomesEqual(a, b []Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Turn != y.Turn || x.Action != y.Action || x.Arms != y.Arms || x.Mu != y.Mu || x.Reward != y.Reward ||
			!slices.Equal(x.Expected[0], y.Expected[0]) || !slices.Equal(x.Expected[1], y.Expected[1]) {
			return false
		}
	}
	return true
}
