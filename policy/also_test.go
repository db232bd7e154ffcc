package policy

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Tests of the ALSO bandit, named after the also-method.md section they check.

// fixedPredictions replaces the surrogate with a scripted sequence of prediction vectors,
// counts the calls and records which of them were asked to retrain.
type fixedPredictions struct {
	rows    [][]float64
	calls   int
	trained []bool
}

func (f *fixedPredictions) next(_ []float64, train bool) ([]float64, error) {
	row := f.rows[min(f.calls, len(f.rows)-1)]
	f.calls++
	f.trained = append(f.trained, train)
	return slices.Clone(row), nil
}

func alsoTestArms(k, dim int, seed uint64) []Arm {
	rng := rand.New(rand.NewPCG(seed, 1))
	arms := make([]Arm, k)
	for i := range arms {
		e := make([]float64, dim)
		for j := range e {
			e[j] = rng.NormFloat64()
		}
		arms[i] = Arm{Index: i, ID: "arm" + string(rune('a'+i)), Embedding: e}
	}
	return arms
}

func newTestALSO(t *testing.T, k int, mutate func(*Config)) *alsoBandit {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ALSO.Hidden, cfg.ALSO.Epochs = 8, 30
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New("also", Params{Arms: alsoTestArms(k, 6, 1), Rand: rand.New(rand.NewPCG(7, 7)), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*alsoBandit)
}

func assertExactProbs(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("probs %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("probs %v, want %v (index %d)", got, want, i)
		}
	}
}

// 1.7 steps 1-6: p = softmax(eta * sum_k 0.9^(n-k) S_k). Expected values from Python's math.exp.
func TestALSO_1_7_DecayedSoftmaxProbabilities(t *testing.T) {
	b := newTestALSO(t, 3, func(c *Config) { c.Eta = 2 })
	f := &fixedPredictions{rows: [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}
	b.predict = f.next
	want := [][]float64{
		{0.7869860421615985, 0.10650697891920075, 0.10650697891920075}, // C = S1
		{0.4189882725878208, 0.5117534317755293, 0.06925829563664981},  // C = 0.9 S1 + S2
		{0.2732612287039593, 0.32715308767238005, 0.3995856836236608},  // C = 0.81 S1 + 0.9 S2 + S3
	}
	for turn, w := range want {
		if err := b.Update(Feedback{Turn: turn + 1, Arm: b.current, Reward: 0.5}); err != nil {
			t.Fatal(err)
		}
		c, err := b.Select(turn+1, nil)
		if err != nil {
			t.Fatal(err)
		}
		assertExactProbs(t, c.Probs, w)
		if c.Prob != c.Probs[c.Arm] || b.lastProb != c.Prob || b.current != c.Arm {
			t.Fatalf("choice %+v inconsistent with state (current %d, lastProb %v)", c, b.current, b.lastProb)
		}
	}
}

func TestALSO_1_7_DecayWeights(t *testing.T) {
	for _, tc := range []struct {
		n      int
		lambda float64
		want   []float64
	}{
		{1, 0.9, []float64{1}},
		{3, 0.9, []float64{0.81, 0.9, 1}},
		{3, 1, []float64{1, 1, 1}},
		{3, 0, []float64{0, 0, 1}},
	} {
		got := decayWeights(tc.n, tc.lambda)
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-15 {
				t.Errorf("n=%d lambda=%v: %v, want %v", tc.n, tc.lambda, got, tc.want)
			}
		}
	}
}

// 1.7 step 5: the eta schedules at runner turn t. divide-sqrt (eta / sqrt(t+1)) is what the
// artifact's --dynamic-eta does in its code; multiply-sqrt (eta * sqrt(t+1)) is what its help
// text says. Round 3 at turn 3 has C = 0.81 S1 + 0.9 S2 + S3 = (0.81, 0.9, 1); expected values
// from Python's math.exp.
func TestALSO_1_7_EtaSchedules(t *testing.T) {
	cases := []struct {
		schedule string
		eta3     float64 // eta at t = 3 for eta = 2
		probs    []float64
	}{
		{EtaConstant, 2, []float64{0.2732612287039593, 0.32715308767238005, 0.3995856836236608}},
		{EtaDivideSqrt, 1, []float64{0.30271622289887934, 0.3312243063563281, 0.3660594707447926}},
		{EtaMultiplySqrt, 4, []float64{0.21874152755687054, 0.31352866563312376, 0.4677298068100057}},
	}
	for _, tc := range cases {
		b := newTestALSO(t, 3, func(c *Config) { c.Eta = 2; c.ALSO.EtaSchedule = tc.schedule })
		b.predict = (&fixedPredictions{rows: [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}).next
		var c Choice
		for turn := 1; turn <= 3; turn++ {
			var err error
			if c, err = b.Select(turn, nil); err != nil {
				t.Fatal(err)
			}
			_ = b.Update(Feedback{Turn: turn, Arm: c.Arm, Reward: 0.5})
		}
		assertExactProbs(t, c.Probs, tc.probs)
		if got := effectiveEta(2, tc.schedule, 3); got != tc.eta3 {
			t.Errorf("%s at t=3: eta %v, want %v", tc.schedule, got, tc.eta3)
		}
	}
	// At t = 1 (the first selection): 2 / sqrt(2) and 2 * sqrt(2).
	if got := effectiveEta(2, EtaDivideSqrt, 1); math.Abs(got-1.4142135623730951) > 1e-15 {
		t.Errorf("divide-sqrt at t=1: %v", got)
	}
	if got := effectiveEta(2, EtaMultiplySqrt, 1); math.Abs(got-2.8284271247461903) > 1e-15 {
		t.Errorf("multiply-sqrt at t=1: %v", got)
	}
	cfg := DefaultConfig()
	cfg.ALSO.EtaSchedule = "dynamic"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "eta_schedule") {
		t.Errorf("unknown schedule accepted: %v", err)
	}
}

// The artifact's --update-interval N: the surrogate is retrained only after turns t with
// t % N == 0; selection still happens every turn, with the model as last trained.
func TestALSO_UpdateIntervalTrainsOnlyOnItsTurns(t *testing.T) {
	b := newTestALSO(t, 3, func(c *Config) { c.UpdateInterval = 3 })
	f := &fixedPredictions{rows: [][]float64{{1, 0, 0}}}
	b.predict = f.next
	for turn := 1; turn <= 7; turn++ {
		if _, err := b.Select(turn, nil); err != nil {
			t.Fatal(err)
		}
	}
	if want := []bool{false, false, true, false, false, true, false}; !slices.Equal(f.trained, want) {
		t.Fatalf("trained on %v, want %v", f.trained, want)
	}
	cfg := DefaultConfig()
	cfg.UpdateInterval = 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "update_interval") {
		t.Errorf("update_interval 0 accepted: %v", err)
	}
}

// With the real surrogate: between trainings the predictions come from the same network (so
// they repeat at the same context), and a training turn changes them.
func TestALSO_UpdateIntervalKeepsTheTrainedSurrogate(t *testing.T) {
	for _, surrogate := range []string{"scratch", "warm"} {
		b := newTestALSO(t, 4, func(c *Config) { c.UpdateInterval = 2; c.ALSO.UseContext = false; c.ALSO.Surrogate = surrogate })
		for turn := 1; turn <= 4; turn++ {
			if err := b.Update(Feedback{Turn: turn, Arm: b.current, Reward: 0.2 + 0.2*float64(b.current)}); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Select(turn, nil); err != nil {
				t.Fatal(err)
			}
		}
		s := b.nnTrace // turns 1, 2 (trained), 3, 4 (trained)
		if !slices.Equal(s[2], s[1]) {
			t.Errorf("%s: turn 3 predicted %v, the network trained at turn 2 gave %v", surrogate, s[2], s[1])
		}
		if slices.Equal(s[1], s[0]) || slices.Equal(s[3], s[2]) {
			t.Errorf("%s: a training turn left the predictions unchanged: %v", surrogate, s)
		}
	}
}

// 1.4 step 4: a reward of exactly 0.0 is skipped; otherwise r / max(p, 0.01) goes into the
// newest actual-score row at the active arm (none exists before the first Select), and the
// record joins the history.
func TestALSO_1_4_UpdateSemantics(t *testing.T) {
	b := newTestALSO(t, 3, func(c *Config) { c.Eta = 1 })
	b.predict = (&fixedPredictions{rows: [][]float64{{0, 0, 0}}}).next
	if err := b.Update(Feedback{Turn: 1, Arm: 0, Reward: 0.4, Context: []float64{1, 2, 3, 4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	if len(b.actual) != 0 || len(b.history) != 1 || b.history[0].reward != 0.4 || b.history[0].context[2] != 3 {
		t.Fatalf("turn 1: actual %v history %+v", b.actual, b.history)
	}
	if err := b.Update(Feedback{Turn: 2, Arm: 0, Reward: 0}); err != nil || len(b.history) != 1 {
		t.Fatalf("zero reward not skipped: %v, %d records", err, len(b.history))
	}
	c, _ := b.Select(2, nil) // uniform: p = 1/3
	if err := b.Update(Feedback{Turn: 3, Arm: c.Arm, Reward: 0.6}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.actual[0][c.Arm], 0.6/(1.0/3); math.Abs(got-want) > 1e-15 {
		t.Fatalf("actual trace %v at arm %d, want %v", b.actual[0], c.Arm, want)
	}
	// A tiny probability is floored at 0.01.
	b.lastProb = 1e-5
	b.actual = append(b.actual, make([]float64, 3))
	_ = b.Update(Feedback{Turn: 4, Arm: c.Arm, Reward: 0.2})
	if got := b.actual[1][c.Arm]; math.Abs(got-20) > 1e-12 {
		t.Fatalf("floored weight %v, want 0.2/0.01", got)
	}
	for _, bad := range []Feedback{
		{Turn: 5, Arm: (c.Arm + 1) % 3, Reward: 0.5},
		{Turn: 5, Arm: c.Arm, Reward: math.NaN()},
		{Turn: 5, Arm: c.Arm, Reward: 0.5, Context: []float64{1}},
	} {
		if err := b.Update(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

// 1.7 step 4: the actual and mean score modes.
func TestALSO_1_7_ScoreModes(t *testing.T) {
	nnTrace := [][]float64{{1, 0, 0}, {0, 1, 0}}
	actual := [][]float64{{0, 2, 0}, {0, 0, 0}}
	if got := cumulativeScores("nn", nnTrace, actual, 0.9); !slices.Equal(got, []float64{0.9, 1, 0}) {
		t.Errorf("nn: %v", got)
	}
	if got := cumulativeScores("actual", nnTrace, actual, 0.9); !slices.Equal(got, []float64{0, 1.8, 0}) {
		t.Errorf("actual: %v", got)
	}
	if got := cumulativeScores("mean", nnTrace, actual, 0.9); !slices.Equal(got, []float64{0.45, 1.4, 0}) {
		t.Errorf("mean: %v", got)
	}
	// Through the bandit: mode actual after one importance-weighted reward v at arm a gives
	// p_a = e^(eta v) / (e^(eta v) + K - 1) on the next round (n = 2 rows: weight 0.9 then 1).
	b := newTestALSO(t, 4, func(c *Config) { c.Eta = 1.5; c.ALSO.ScoreMode = "actual" })
	b.predict = (&fixedPredictions{rows: [][]float64{{9, 9, 9, 9}}}).next
	c1, _ := b.Select(1, nil)
	assertExactProbs(t, c1.Probs, []float64{0.25, 0.25, 0.25, 0.25})
	_ = b.Update(Feedback{Turn: 2, Arm: c1.Arm, Reward: 0.3})
	c2, _ := b.Select(2, nil)
	v := 0.9 * 0.3 / 0.25
	e := math.Exp(1.5 * v)
	for i, p := range c2.Probs {
		want := 1 / (e + 3)
		if i == c1.Arm {
			want = e / (e + 3)
		}
		if math.Abs(p-want) > 1e-15 {
			t.Fatalf("actual mode probs %v, arm %d should have %v", c2.Probs, c1.Arm, want)
		}
	}
}

// 1.7 step 2: greedy takes the argmax of the current prediction vector (not the decayed sum)
// with probability 1 - epsilon and records probability 1.0.
func TestALSO_1_7_Greedy(t *testing.T) {
	b := newTestALSO(t, 3, func(c *Config) { c.ALSO.Greedy = true; c.Epsilon = 0 })
	b.predict = (&fixedPredictions{rows: [][]float64{{0, 5, 0}, {0, 0, 1}}}).next
	c1, _ := b.Select(1, nil)
	if c1.Arm != 1 || c1.Prob != 1 || c1.Probs != nil {
		t.Fatalf("greedy round 1: %+v", c1)
	}
	_ = b.Update(Feedback{Turn: 2, Arm: 1, Reward: 0.7})
	if b.actual[0][1] != 0.7 {
		t.Fatalf("greedy importance weight must use p = 1: %v", b.actual[0])
	}
	if c2, _ := b.Select(2, nil); c2.Arm != 2 {
		t.Fatalf("greedy must follow the newest predictions (sum favours arm 1): %+v", c2)
	}
	// epsilon = 1: uniform arms.
	b = newTestALSO(t, 3, func(c *Config) { c.ALSO.Greedy = true; c.Epsilon = 1 })
	b.predict = (&fixedPredictions{rows: [][]float64{{0, 5, 0}}}).next
	counts := make([]int, 3)
	for turn := 1; turn <= 3000; turn++ {
		c, _ := b.Select(turn, nil)
		counts[c.Arm]++
		_ = b.Update(Feedback{Turn: turn, Arm: c.Arm, Reward: 0.5})
	}
	for i, n := range counts {
		if n < 900 || n > 1100 {
			t.Fatalf("epsilon 1 counts %v (arm %d)", counts, i)
		}
	}
}

// 1.4 step 5b: with Static the first selection is held for the rest of the episode and the
// surrogate is not consulted again.
func TestALSO_1_4_StaticStrategy(t *testing.T) {
	b := newTestALSO(t, 3, func(c *Config) { c.ALSO.Static = true })
	f := &fixedPredictions{rows: [][]float64{{0, 0, 1}, {1, 0, 0}}}
	b.predict = f.next
	first, _ := b.Select(1, nil)
	for turn := 2; turn < 8; turn++ {
		_ = b.Update(Feedback{Turn: turn, Arm: first.Arm, Reward: 0.5})
		c, err := b.Select(turn, nil)
		if err != nil || c.Arm != first.Arm || !slices.Equal(c.Probs, first.Probs) {
			t.Fatalf("turn %d: %+v (%v), first %+v", turn, c, err, first)
		}
	}
	if f.calls != 1 {
		t.Fatalf("surrogate consulted %d times", f.calls)
	}
}

// 1.7 step 6: a NaN or infinite score stops the bandit for good on its current arm.
func TestALSO_1_7_NaNStopsBandit(t *testing.T) {
	for _, greedy := range []bool{false, true} {
		b := newTestALSO(t, 3, func(c *Config) { c.ALSO.Greedy = greedy })
		f := &fixedPredictions{rows: [][]float64{{0, 0, 50}, {math.NaN(), 0, 0}, {1, 0, 0}}}
		b.predict = f.next
		b.eta = 10
		first, _ := b.Select(1, nil)
		_ = b.Update(Feedback{Turn: 2, Arm: first.Arm, Reward: 0.5})
		for turn := 2; turn < 5; turn++ {
			c, err := b.Select(turn, nil)
			if err != nil || c.Arm != first.Arm || c.Prob != 1 || !b.stopped {
				t.Fatalf("greedy=%v turn %d: %+v %v, want arm %d held", greedy, turn, c, err, first.Arm)
			}
		}
		if f.calls != 2 {
			t.Fatalf("a stopped bandit consulted its surrogate (%d calls)", f.calls)
		}
	}
}
