package policy

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Bandit-theory checks: each test runs a bandit on a problem its paper's theorem covers and
// compares the measured expected regret with the theorem's bound. Each test also runs the
// uniform random policy on the same problem and requires it to break the bound, so a bandit
// that learns nothing (or learns backwards) cannot pass.

// switchingRewards is a fixed (oblivious) adversarial reward table, drawn once from seed 7: K = 5
// arms, T = 3000 turns in ten phases of 300. In each phase one arm pays Bernoulli(0.3), the
// others Bernoulli(0.02). Arm 0 is the good arm in phases 0, 2, 4, 6, 8 and arms 1, 2, 3, 4, 1
// take the others, so the best arm switches every phase while arm 0 is the best fixed arm.
// Rewards are sparse (G_max ≈ 0.16 T), which makes Auer et al.'s bound with g = G_max tighter
// than the sqrt(2 T K ln K) bound.
func switchingRewards() [][]float64 {
	const k, phases, phaseLen = 5, 10, 300
	good := [phases]int{0, 1, 0, 2, 0, 3, 0, 4, 0, 1}
	rng := rand.New(rand.NewPCG(7, 7))
	table := make([][]float64, 0, phases*phaseLen)
	for ph := range phases {
		for range phaseLen {
			row := make([]float64, k)
			for i := range row {
				p := 0.02
				if i == good[ph] {
					p = 0.3
				}
				if rng.Float64() < p {
					row[i] = 1
				}
			}
			table = append(table, row)
		}
	}
	return table
}

// bestFixedArm returns G_max, the best arm's total reward in hindsight, and the arm.
func bestFixedArm(table [][]float64) (float64, int) {
	totals := make([]float64, len(table[0]))
	for _, row := range table {
		for i, x := range row {
			totals[i] += x
		}
	}
	best := 0
	for i, g := range totals {
		if g > totals[best] {
			best = i
		}
	}
	return totals[best], best
}

// expectedRegret plays the policy against the table once per seed and returns the mean of
// G_max - Σ_t <p_t, x_t>. Summing the expected reward under each turn's distribution (instead of
// the realised reward) gives the same expectation with less variance.
func expectedRegret(t *testing.T, name string, cfg Config, table [][]float64, seeds int) float64 {
	t.Helper()
	gmax, _ := bestFixedArm(table)
	k := len(table[0])
	total := 0.0
	for seed := range seeds {
		pol, err := New(name, Params{Arms: testArms(k), Rand: rand.New(rand.NewPCG(uint64(seed), 1)), Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		gained := 0.0
		for turn, row := range table {
			c, err := pol.Select(turn, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range c.Probs {
				gained += p * row[i]
			}
			if err := pol.Update(Feedback{Turn: turn, Arm: c.Arm, Reward: row[c.Arm]}); err != nil {
				t.Fatal(err)
			}
		}
		total += gmax - gained
	}
	return total / float64(seeds)
}

// testArms makes k arms with distinct unit embeddings (one-hot), enough for every policy.
func testArms(k int) []Arm {
	arms := make([]Arm, k)
	for i := range arms {
		emb := make([]float64, k)
		emb[i] = 1
		arms[i] = Arm{Index: i, ID: string(rune('a' + i)), Embedding: emb}
	}
	return arms
}

func TestAuer2002_Exp3_Corollary32_RegretBound(t *testing.T) {
	table := switchingRewards()
	gmax, best := bestFixedArm(table)
	if best != 0 {
		t.Fatalf("table construction: best fixed arm is %d, want 0", best)
	}
	k, horizon := 5, len(table)
	kf, tf := float64(k), float64(horizon)
	// Corollary 3.2 needs g >= G_max; tune γ to g = ceil(G_max).
	g := math.Ceil(gmax)
	auer := 2.63 * math.Sqrt(g*kf*math.Log(kf))
	lattimore := math.Sqrt(2 * tf * kf * math.Log(kf))

	cfg := DefaultConfig()
	cfg.Horizon = int(g)
	exp3 := expectedRegret(t, "exp3", cfg, table, 50)
	uniform := expectedRegret(t, "random", cfg, table, 1)
	t.Logf("G_max %.0f; regret: exp3 %.1f, uniform %.1f; bounds: Auer 2.63 sqrt(gK ln K) %.1f, sqrt(2TK ln K) %.1f",
		gmax, exp3, uniform, auer, lattimore)
	if uniform <= auer {
		t.Fatalf("problem too easy: uniform play's regret %.1f is within Auer's bound %.1f", uniform, auer)
	}
	if exp3 > auer {
		t.Errorf("Exp3 expected regret %.1f exceeds Corollary 3.2's 2.63 sqrt(g K ln K) = %.1f", exp3, auer)
	}
	if exp3 > lattimore {
		t.Errorf("Exp3 expected regret %.1f exceeds sqrt(2 T K ln K) = %.1f", exp3, lattimore)
	}
}

func TestNeu2015_Exp3IX_RegretBound(t *testing.T) {
	table := switchingRewards()
	k, horizon := 5.0, float64(len(table))
	bound := math.Sqrt(2 * horizon * k * math.Log(k))
	cfg := DefaultConfig()
	cfg.Horizon = len(table)
	ix := expectedRegret(t, "exp3-ix", cfg, table, 50)
	uniform := expectedRegret(t, "random", cfg, table, 1)
	t.Logf("regret: exp3-ix %.1f, uniform %.1f; bound sqrt(2TK ln K) %.1f", ix, uniform, bound)
	if uniform <= bound {
		t.Fatalf("problem too easy: uniform play's regret %.1f is within %.1f", uniform, bound)
	}
	if ix > bound {
		t.Errorf("Exp3-IX expected regret %.1f exceeds sqrt(2 T K ln K) = %.1f", ix, bound)
	}
}

// TestAuer2002b_UCB1_Theorem1 checks UCB1's finite-time bound on a stochastic Bernoulli problem:
// E[regret after n plays] <= 8 Σ_{Δ_i>0} ln n / Δ_i + (1 + π²/3) Σ Δ_i.
func TestAuer2002b_UCB1_Theorem1(t *testing.T) {
	means := []float64{0.2, 0.5, 0.8, 0.35}
	const plays, seeds = 2000, 20
	bound, uniformRegret := 0.0, 0.0
	for _, m := range means {
		gap := 0.8 - m
		uniformRegret += gap / float64(len(means)) * plays
		if gap > 0 {
			bound += 8*math.Log(plays)/gap + (1+math.Pi*math.Pi/3)*gap
		}
	}
	if uniformRegret <= bound {
		t.Fatalf("problem too easy: uniform regret %.1f within the bound %.1f", uniformRegret, bound)
	}
	total := 0.0
	for seed := range seeds {
		env := rand.New(rand.NewPCG(uint64(seed), 99))
		pol, err := New("ucb1", Params{Arms: testArms(len(means)), Rand: rand.New(rand.NewPCG(uint64(seed), 2)), Config: DefaultConfig()})
		if err != nil {
			t.Fatal(err)
		}
		for turn := range plays {
			c, err := pol.Select(turn, nil)
			if err != nil {
				t.Fatal(err)
			}
			total += 0.8 - means[c.Arm]
			r := 0.0
			if env.Float64() < means[c.Arm] {
				r = 1
			}
			if err := pol.Update(Feedback{Turn: turn, Arm: c.Arm, Reward: r}); err != nil {
				t.Fatal(err)
			}
		}
	}
	mean := total / seeds
	t.Logf("UCB1 pseudo-regret %.1f, Theorem 1 bound %.1f, uniform %.1f", mean, bound, uniformRegret)
	if mean > bound {
		t.Errorf("UCB1 expected regret %.1f exceeds Theorem 1's bound %.1f", mean, bound)
	}
}
