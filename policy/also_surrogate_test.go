package policy

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Tests of the ALSO bandit with its real neural surrogate (also-method.md 1.5).

// 1.5 / 1.7 with the real surrogate: arm 2 always pays 0.9, the others 0.1; after a few turns
// the network predicts it highest and the softmax favours it.
func TestALSO_1_5_SurrogateLearns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"context", nil},
		{"no context", func(c *Config) { c.ALSO.UseContext = false }},
		{"depth 1 warm", func(c *Config) { c.ALSO.Depth = 1; c.ALSO.Surrogate = "warm" }},
		{"multi-dim", func(c *Config) { c.ALSO.MultiDim = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestALSO(t, 4, func(c *Config) {
				c.Eta = 5
				if tc.mutate != nil {
					tc.mutate(c)
				}
			})
			ctx := []float64{0.1, -0.2, 0.3, 0.05, 0, 0.2}
			arm := 0
			var c Choice
			for turn := 1; turn <= 12; turn++ {
				r := 0.1
				if arm == 2 {
					r = 0.9
				}
				dims := []float64{r, r, r, r, r, r, r}
				if err := b.Update(Feedback{Turn: turn, Arm: arm, Reward: r, Context: ctx, Dims: dims}); err != nil {
					t.Fatal(err)
				}
				// Make sure arm 2 is tried: the first selections are forced through the history.
				if turn <= 4 {
					b.current = turn % 4
					arm = b.current
					continue
				}
				var err error
				if c, err = b.Select(turn, ctx); err != nil {
					t.Fatal(err)
				}
				arm = c.Arm
			}
			s := b.nnTrace[len(b.nnTrace)-1]
			for i, v := range s {
				if i != 2 && v >= s[2] {
					t.Fatalf("predictions %v: arm 2 should lead", s)
				}
			}
			if c.Probs[2] < 0.5 {
				t.Fatalf("probabilities %v: arm 2 should dominate", c.Probs)
			}
			if b.cfg.Surrogate == "warm" && (b.warm == nil || !b.warmTrained) {
				t.Fatal("warm surrogate not kept")
			}
		})
	}
}

// Same seed, same arms, same feedback: the same choices and probabilities, bit for bit.
func TestALSO_Deterministic(t *testing.T) {
	run := func() []Choice {
		b := newTestALSO(t, 5, nil)
		var out []Choice
		arm := 0
		for turn := 1; turn <= 6; turn++ {
			ctx := []float64{float64(turn), 0, 1, 0, 1, -1}
			_ = b.Update(Feedback{Turn: turn, Arm: arm, Reward: 0.1 * float64(arm+1), Context: ctx})
			c, err := b.Select(turn, ctx)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
			arm = c.Arm
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i].Arm != b[i].Arm || !slices.Equal(a[i].Probs, b[i].Probs) {
			t.Fatalf("round %d: %+v vs %+v", i, a[i], b[i])
		}
	}
}

// 1.5: input = [arm ++ context] (zeros when missing), arm only without UseContext; the width
// follows the first real context; the training schedule switches to WarmEpochs when warm.
func TestALSO_1_5_InputsAndSchedule(t *testing.T) {
	b := newTestALSO(t, 2, nil)
	if w := b.inputWidth(); w != 12 {
		t.Fatalf("provisional width %d, want arm 6 + context 6", w)
	}
	if err := b.Update(Feedback{Turn: 1, Arm: 0, Reward: 0.5, Context: []float64{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	row := make([]float64, b.inputWidth())
	b.fillInput(row, 1, nil)
	if len(row) != 9 || !slices.Equal(row[:6], b.arms[1].Embedding) || !slices.Equal(row[6:], []float64{0, 0, 0}) {
		t.Fatalf("input row %v", row)
	}
	if err := b.Update(Feedback{Turn: 2, Arm: 0, Reward: 0.5, Context: []float64{1, 2}}); err == nil {
		t.Fatal("a context of another width must be rejected")
	}
	nc := newTestALSO(t, 2, func(c *Config) { c.ALSO.UseContext = false })
	_ = nc.Update(Feedback{Turn: 1, Arm: 0, Reward: 0.5, Context: []float64{1, 2, 3}})
	if nc.inputWidth() != 6 || nc.history[0].context != nil {
		t.Fatalf("without UseContext the input is the arm embedding only")
	}
	cfg := b.trainConfig(4, false)
	if cfg.Epochs != b.cfg.Epochs || cfg.WeightDecay != 0.0025 || cfg.BatchSize != 8 || cfg.ClipNorm != 1 || !cfg.Cosine || !cfg.EarlyStop {
		t.Fatalf("train config %+v", cfg)
	}
	if b.trainConfig(4, true).Epochs != b.cfg.WarmEpochs || b.trainConfig(1, false).WeightDecay != 0.01 {
		t.Fatal("warm epochs or weight decay wrong")
	}
	b.cfg.NoEarlyStop = true
	if b.trainConfig(4, false).EarlyStop {
		t.Fatal("NoEarlyStop ignored")
	}
}

func TestALSO_ConstructionErrors(t *testing.T) {
	cfg := DefaultConfig()
	rng := rand.New(rand.NewPCG(1, 1))
	arms := alsoTestArms(3, 4, 1)
	arms[1].Embedding = nil
	if _, err := New("also", Params{Arms: arms, Rand: rng, Config: cfg}); err == nil || !strings.Contains(err.Error(), "arm 1") {
		t.Errorf("missing embedding: %v", err)
	}
	arms = alsoTestArms(3, 4, 1)
	arms[2].Embedding = arms[2].Embedding[:3]
	if _, err := New("also", Params{Arms: arms, Rand: rng, Config: cfg}); err == nil || !strings.Contains(err.Error(), "arm 2") {
		t.Errorf("ragged embeddings: %v", err)
	}
	p, err := New("adversarial", Params{Arms: alsoTestArms(3, 4, 1), Rand: rng, Config: cfg})
	if err != nil || p.Name() != "also" {
		t.Fatalf("alias adversarial: %v %v", p, err)
	}
	b := p.(*alsoBandit)
	b.predict = func([]float64, bool) ([]float64, error) { return nil, errors.New("boom") }
	if _, err := b.Select(1, nil); err == nil {
		t.Error("surrogate error swallowed")
	}
	b.predict = func([]float64, bool) ([]float64, error) { return []float64{1}, nil }
	if _, err := b.Select(1, nil); err == nil {
		t.Error("short prediction vector accepted")
	}
}
