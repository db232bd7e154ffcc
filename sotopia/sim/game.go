package sim

import (
	"fmt"

	"github.com/also-project/also/sotopia"
)

// Outcome is one played turn of the hidden game.
type Outcome struct {
	Turn   int                `json:"turn"`
	Actor  int                `json:"actor"`
	Action sotopia.ActionType `json:"action"`
	// Arms are the arms active for each seat (pool indices; indices past the pool are strategies
	// that were not in the pool, see Agent.SetStrategy).
	Arms [sotopia.Seats]int `json:"arms"`
	// Mu is each seat's expected reward of the arms played, Reward the observed one.
	Mu     [sotopia.Seats]float64 `json:"mu"`
	Reward [sotopia.Seats]float64 `json:"reward"`
	// Expected is each seat's expected reward of every pool arm at this turn, the other seat's
	// arm held fixed; Regret = max(Expected) - Mu (negative only for a better non-pool arm).
	Expected [sotopia.Seats][]float64 `json:"expected"`
	Regret   [sotopia.Seats]float64   `json:"regret"`
	// Added is each seat's expected reward of every strategy added after the pool (index
	// pool+j at position j; AddStrategy, Agent.SetStrategy), under the same conditions as
	// Expected. Regret does not count them; prompt-optimiser benchmarks do (policy/regret).
	Added [sotopia.Seats][]float64 `json:"added,omitempty"`
}

// Game is the hidden model without actors or text, for long-horizon bandit benchmarks. The
// agents and judge of NewEpisode run on the same core, so both agree turn by turn. A Game is not
// safe for concurrent use.
type Game struct {
	m *model
}

// NewGame builds the game of one episode with both seats optimised (a scripted opponent, if
// configured, takes seat 1). setup needs Task and Env; arms are each seat's pool (index 0 = no
// strategy).
func NewGame(cfg Config, setup *sotopia.Setup, arms [sotopia.Seats][]sotopia.ArmChoice, seed int64) (*Game, error) {
	return NewGameSpec(cfg, sotopia.EpisodeSpec{Setup: setup, Arms: arms, Seed: seed, Optimised: [sotopia.Seats]bool{true, true}})
}

// NewGameSpec is NewGame with the episode spec's choice of optimised seats (which decides where
// a scripted agent sits, see ScriptedSeat).
func NewGameSpec(cfg Config, spec sotopia.EpisodeSpec) (*Game, error) {
	emb, err := NewHashEmbedder(cfg.Dim)
	if err != nil {
		return nil, err
	}
	m, err := newModel(cfg, emb, spec.Setup, spec.Arms, spec.Seed, opponentSeat(cfg, spec.Optimised))
	if err != nil {
		return nil, err
	}
	return &Game{m: m}, nil
}

// ScriptedSeat is the seat a scripted agent replaces: seat 1, unless only seat 1 is optimised
// (then seat 0), so that the scripted agent always faces an optimised seat when there is one.
func ScriptedSeat(optimised [sotopia.Seats]bool) int {
	if optimised[1] && !optimised[0] {
		return 0
	}
	return 1
}

// Turn is the number of turns played so far.
func (g *Game) Turn() int { return len(g.m.turns) }

// Over reports whether a seat has left.
func (g *Game) Over() bool { return g.m.ended }

// NextActor is the seat that acts on the next turn (seats alternate, seat 0 first).
func (g *Game) NextActor() int { return len(g.m.turns) % sotopia.Seats }

// Expected returns seat's expected reward of every pool arm on the next turn, holding the other
// seat's current arm (the arm it played last, or arm 0 before the first turn) fixed. It only reads.
func (g *Game) Expected(seat int) ([]float64, error) {
	if seat < 0 || seat >= sotopia.Seats {
		return nil, fmt.Errorf("sim: seat %d out of range", seat)
	}
	m := g.m
	out := make([]float64, m.seats[seat].pool)
	for k := range out {
		out[k] = m.mu(seat, k, m.seats[1-seat].active)
	}
	return out, nil
}

// PoolSize is the number of seat's pool arms; added strategies are numbered from it.
func (g *Game) PoolSize(seat int) int { return g.m.seats[seat].pool }

// AddStrategy makes a strategy description playable by seat (a prompt optimiser wrote it) and
// returns its arm index: the pool arm or earlier added strategy with the same description, else
// the next index past them. Its feature is the embedding of the description, as for pool arms.
func (g *Game) AddStrategy(seat int, description string) int {
	return g.m.armIndex(seat, sotopia.ArmChoice{Index: -1, Description: description})
}

// Play sets both seats' arms (pool indices or AddStrategy indices) and plays one turn; the
// acting seat alternates.
func (g *Game) Play(arms [sotopia.Seats]int) (Outcome, error) {
	for i, a := range arms {
		if a < 0 || a >= len(g.m.seats[i].arms) {
			return Outcome{}, fmt.Errorf("sim: seat %d arm %d outside its pool of %d and %d added strategies", i, a, g.m.seats[i].pool, len(g.m.seats[i].arms)-g.m.seats[i].pool)
		}
		g.m.seats[i].active = a
	}
	rec, err := g.m.step(g.NextActor(), nil)
	if err != nil {
		return Outcome{}, err
	}
	return rec.Outcome, nil
}

// Trust is the current shared trust tau.
func (g *Game) Trust() float64 { return g.m.trust }

// Theta returns a copy of seat's current hidden preference vector (for probes and tests).
func (g *Game) Theta(seat int) []float64 { return append([]float64(nil), g.m.seats[seat].theta...) }
