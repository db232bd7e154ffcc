package policy

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

var classicBandits = []string{"eps-greedy", "exp3", "exp3-ix", "linucb", "thompson", "ucb1"}

// playTrace runs a bandit for 150 turns on seeded Bernoulli arms (the forced opening arm first,
// as the episode loop does) and returns every choice.
func playTrace(t *testing.T, name string, seed uint64) []Choice {
	t.Helper()
	means := []float64{0.2, 0.6, 0.4, 0.8, 0.5}
	pol := newTestPolicy(t, name, len(means), DefaultConfig(), seed)
	env := rand.New(rand.NewPCG(seed, 123))
	var trace []Choice
	arm := 0
	for turn := range 150 {
		r := 0.0
		if env.Float64() < means[arm] {
			r = 1
		}
		mustUpdate(t, pol, turn, arm, r)
		c := mustSelect(t, pol, turn+1)
		trace = append(trace, c)
		arm = c.Arm
	}
	return trace
}

// TestClassicBandits_ChoiceContract: every choice carries a distribution that sums to 1 with
// Prob = Probs[Arm] > 0, and the same seed replays the same choices bit for bit.
func TestClassicBandits_ChoiceContract(t *testing.T) {
	for _, name := range classicBandits {
		t.Run(name, func(t *testing.T) {
			trace := playTrace(t, name, 42)
			for i, c := range trace {
				sum := 0.0
				for _, p := range c.Probs {
					sum += p
				}
				if len(c.Probs) != 5 || math.Abs(sum-1) > 1e-9 || c.Prob != c.Probs[c.Arm] || !(c.Prob > 0) {
					t.Fatalf("turn %d: bad choice %+v (probs sum %v)", i, c, sum)
				}
			}
			if again := playTrace(t, name, 42); !reflect.DeepEqual(trace, again) {
				t.Fatal("same seed, different trace")
			}
		})
	}
}

// TestClassicBandits_SeedMatters: randomised bandits must actually use their random source.
func TestClassicBandits_SeedMatters(t *testing.T) {
	for _, name := range []string{"eps-greedy", "exp3", "exp3-ix", "thompson"} {
		if reflect.DeepEqual(playTrace(t, name, 1), playTrace(t, name, 2)) {
			t.Errorf("%s: seeds 1 and 2 gave identical traces", name)
		}
	}
}

func TestClassicBandits_RejectBadFeedback(t *testing.T) {
	tests := []struct {
		fb   Feedback
		want string
	}{
		{Feedback{Arm: 3, Reward: 0.5}, "feedback for arm 3, but the pool has 3 arms"},
		{Feedback{Arm: -1, Reward: 0.5}, "feedback for arm -1"},
		{Feedback{Arm: 0, Reward: 1.5}, "reward 1.5 for arm 0 is outside [0, 1]"},
		{Feedback{Arm: 0, Reward: math.NaN()}, "reward NaN"},
	}
	for _, name := range classicBandits {
		for _, tt := range tests {
			pol := newTestPolicy(t, name, 3, DefaultConfig(), 1)
			err := pol.Update(tt.fb)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), name+":") {
				t.Errorf("%s: Update(%+v) err %v, want %q", name, tt.fb, err, tt.want)
			}
		}
	}
}

func TestSoftmaxInto_Stable(t *testing.T) {
	out := make([]float64, 3)
	softmaxInto(out, []float64{1000, 1000 + math.Log(2), -1e300})
	assertProbs(t, out, []float64{1.0 / 3, 2.0 / 3, 0})
}

func TestDrawCategorical_SkipsZeroMass(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		if i := drawCategorical(rng, []float64{0, 0.5, 0, 0.5, 0}); i != 1 && i != 3 {
			t.Fatalf("drew arm %d with zero probability", i)
		}
	}
}
