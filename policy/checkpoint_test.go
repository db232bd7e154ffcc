package policy

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// checkpointArms has texts (population policies) and embeddings (linucb, the neural ones).
func checkpointArms(k, dim int) []Arm {
	arms := alsoTestArms(k, dim, 5)
	for i := range arms {
		arms[i].Text = fmt.Sprintf("strategy text number %d", i)
	}
	return arms
}

// promptAnswers answers from the request alone, so two policies in the same state get the same
// texts whatever each optimiser was asked before.
func promptAnswers(_ int, r OptimiserRequest) ([]string, error) {
	sum := sha256.Sum256([]byte(fmt.Sprint(r.Operator, r.Turn, r.Prompt)))
	var out []string
	for i := range max(1, r.Samples) {
		out = append(out, fmt.Sprintf("<BIO>evolved bio %x.%d, long enough to keep</BIO>", sum[:6], i))
	}
	return out, nil
}

type checkpointCase struct {
	name   string
	mutate func(*Config)
}

func checkpointCases() []checkpointCase {
	small := func(c *Config) { c.ALSO.Hidden, c.ALSO.Epochs = 6, 15 }
	var cases []checkpointCase
	for _, name := range Names() {
		cases = append(cases, checkpointCase{name: name})
	}
	cases = append(cases,
		checkpointCase{name: "also", mutate: small},
		checkpointCase{name: "also", mutate: func(c *Config) { small(c); c.ALSO.Surrogate = "warm" }},
		checkpointCase{name: "also", mutate: func(c *Config) { small(c); c.UpdateInterval = 2 }},
		checkpointCase{name: "evoprompt-ga", mutate: func(c *Config) { c.EvolutionInterval = 2 }},
		checkpointCase{name: "evoprompt-de", mutate: func(c *Config) { c.EvolutionInterval = 2 }},
		checkpointCase{name: "opro", mutate: func(c *Config) { c.EvolutionInterval = 2 }},
		checkpointCase{name: "promptbreeder", mutate: func(c *Config) { c.EvolutionInterval = 2 }},
	)
	return cases
}

func (c checkpointCase) config() Config {
	cfg := DefaultConfig()
	cfg.ALSO.Hidden, cfg.ALSO.Epochs = 6, 15
	if c.mutate != nil {
		c.mutate(&cfg)
	}
	return cfg
}

func newCheckpointPolicy(t *testing.T, name string, cfg Config, arms []Arm, src *rand.PCG) Policy {
	t.Helper()
	embed := func(s string) ([]float64, error) {
		e := make([]float64, len(arms[0].Embedding))
		for i := range e {
			e[i] = float64(len(s)%(i+3)) / 3
		}
		return e, nil
	}
	pol, err := New(name, Params{Arms: arms, Rand: rand.New(src), Config: cfg,
		Optimiser: &fakeOptimiser{answer: promptAnswers}, Embed: embed})
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// checkpointReward is a fixed, non-zero reward per arm and turn.
func checkpointReward(arm, turn int) float64 {
	return 0.1 + 0.8*math.Abs(math.Sin(float64(3*arm+turn)))
}

// playFrom plays turns from..to-1: the reward of the active arm, then the next selection.
func playFrom(t *testing.T, pol Policy, arm, from, to int) (int, []Choice) {
	t.Helper()
	var choices []Choice
	for turn := from; turn < to; turn++ {
		mustUpdate(t, pol, turn, arm, checkpointReward(arm, turn))
		c := mustSelect(t, pol, turn)
		choices = append(choices, c)
		arm = c.Arm
	}
	return arm, choices
}

// setPCG puts dst's stream where src's is.
func setPCG(t *testing.T, dst, src *rand.PCG) {
	t.Helper()
	b, err := src.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
}

func mustSave(t *testing.T, pol Policy, pool PoolIdentity) []byte {
	t.Helper()
	cp, err := Save(pol, pool)
	if err != nil {
		t.Fatal(err)
	}
	data, err := cp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustLoad(t *testing.T, pol Policy, pool PoolIdentity, data []byte) {
	t.Helper()
	cp, err := ParseCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Load(pol, pool, cp); err != nil {
		t.Fatal(err)
	}
}

// A policy saved mid-run and loaded into a fresh one (with the same random stream) makes the
// same selections as the one that kept running, and ends in the same state.
func TestCheckpoint_RoundTripContinuesIdentically(t *testing.T) {
	arms := checkpointArms(6, 3)
	pool := IdentifyPool("v3", arms)
	for _, tc := range checkpointCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.config()
			src := rand.NewPCG(11, 12)
			running := newCheckpointPolicy(t, tc.name, cfg, arms, src)
			arm, _ := playFrom(t, running, 0, 1, 7)
			// The checkpoint is taken between the selection of turn 6 and its reward.
			mustUpdate(t, running, 7, arm, checkpointReward(arm, 7))
			data := mustSave(t, running, pool)

			stream := &rand.PCG{}
			restored := newCheckpointPolicy(t, tc.name, cfg, arms, stream)
			// Construction may draw (promptbreeder's seed operators): the stream is set after it.
			setPCG(t, stream, src)
			mustLoad(t, restored, pool, data)
			if again := mustSave(t, restored, pool); !bytes.Equal(again, data) {
				t.Fatalf("a restored policy saves a different checkpoint")
			}
			next := mustSelect(t, running, 7)
			nextRestored := mustSelect(t, restored, 7)
			if next.Arm != nextRestored.Arm || !slices.Equal(next.Probs, nextRestored.Probs) {
				t.Fatalf("next selection: kept running %d %v, restored %d %v", next.Arm, next.Probs, nextRestored.Arm, nextRestored.Probs)
			}
			_, a := playFrom(t, running, next.Arm, 8, 12)
			_, b := playFrom(t, restored, next.Arm, 8, 12)
			for i := range a {
				if a[i].Arm != b[i].Arm || !slices.Equal(a[i].Probs, b[i].Probs) {
					t.Fatalf("turn %d: kept running %d, restored %d", 8+i, a[i].Arm, b[i].Arm)
				}
			}
			if !bytes.Equal(mustSave(t, running, pool), mustSave(t, restored, pool)) {
				t.Fatalf("states differ after continuing")
			}
		})
	}
}

// A checkpoint loads only into the same bandit type on the same pool; the error names the
// difference.
func TestCheckpoint_MismatchesAreErrors(t *testing.T) {
	arms := checkpointArms(4, 3)
	pool := IdentifyPool("v3", arms)
	saved := newCheckpointPolicy(t, "ucb1", DefaultConfig(), arms, rand.NewPCG(1, 1))
	playFrom(t, saved, 0, 1, 4)
	cp, err := Save(saved, pool)
	if err != nil {
		t.Fatal(err)
	}
	renamed := checkpointArms(4, 3)
	renamed[2].Text = "another text"
	cases := []struct {
		name   string
		bandit string
		arms   []Arm
		pool   PoolIdentity
		want   string
	}{
		{"bandit type", "exp3", arms, pool, `bandit type "ucb1", this seat runs "exp3"`},
		{"arm count", "ucb1", checkpointArms(5, 3), IdentifyPool("v3", checkpointArms(5, 3)), "4 arms, this run has 5"},
		{"arm texts", "ucb1", renamed, IdentifyPool("v3", renamed), "different arm texts"},
		{"embedding width", "ucb1", checkpointArms(4, 2), IdentifyPool("v3", checkpointArms(4, 2)), "embedding width 3, this run has 2"},
		{"strategy version", "ucb1", arms, IdentifyPool("v2", arms), `strategy version "v3", this run has "v2"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pol := newCheckpointPolicy(t, tc.bandit, DefaultConfig(), tc.arms, rand.NewPCG(1, 1))
			err := Load(pol, tc.pool, cp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
	bad := cp
	bad.Version = CheckpointVersion + 1
	if err := Load(newCheckpointPolicy(t, "ucb1", DefaultConfig(), arms, rand.NewPCG(1, 1)), pool, bad); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("future version: err = %v", err)
	}
	if _, err := ParseCheckpoint([]byte(`{"format": "also-policy-checkpoint", "extra": 1}`)); err == nil {
		t.Fatal("unknown key accepted")
	}
}

// A frozen policy selects from its learnt state, ignores rewards and saves the state it was
// frozen with; a policy that keeps learning from the same checkpoint (finetune) moves on from it.
func TestCheckpoint_FrozenUnchangedFinetuneContinues(t *testing.T) {
	arms := checkpointArms(6, 3)
	pool := IdentifyPool("v3", arms)
	for _, tc := range checkpointCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.config()
			trained := newCheckpointPolicy(t, tc.name, cfg, arms, rand.NewPCG(3, 4))
			arm, _ := playFrom(t, trained, 0, 1, 7)
			mustUpdate(t, trained, 7, arm, checkpointReward(arm, 7))
			data := mustSave(t, trained, pool)

			inner := newCheckpointPolicy(t, tc.name, cfg, arms, rand.NewPCG(5, 6))
			mustLoad(t, inner, pool, data)
			frozen, err := Freeze(inner)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := inner.(Evolving); ok {
				if _, ok := frozen.(Evolving); !ok {
					t.Fatal("freezing an evolving policy lost its Evolving methods")
				}
			}
			playFrom(t, frozen, 0, 1, 10) // a whole new episode, opening on arm 0
			if got := mustSave(t, frozen, pool); !bytes.Equal(got, data) {
				t.Fatal("a frozen policy's checkpoint changed during an episode")
			}

			finetune := newCheckpointPolicy(t, tc.name, cfg, arms, rand.NewPCG(5, 6))
			mustLoad(t, finetune, pool, data)
			playFrom(t, finetune, 0, 1, 10)
			got := mustSave(t, finetune, pool)
			if tc.name == "static" || tc.name == "random" {
				return // nothing to learn
			}
			if bytes.Equal(got, data) {
				t.Fatal("finetuning left the checkpoint unchanged")
			}
			// Finetuning continues the learnt state rather than restarting it.
			cold := newCheckpointPolicy(t, tc.name, cfg, arms, rand.NewPCG(5, 6))
			playFrom(t, cold, 0, 1, 10)
			if bytes.Equal(got, mustSave(t, cold, pool)) {
				t.Fatal("finetuning from the checkpoint ended where a cold start does")
			}
		})
	}
}

// A restored ALSO opens a new episode: the opening arm's reward is history, not a reward for the
// last row of the previous episode's actual-score trace.
func TestCheckpoint_ALSONewEpisodeKeepsOldTraceRows(t *testing.T) {
	arms := checkpointArms(4, 3)
	pool := IdentifyPool("v3", arms)
	cfg := checkpointCase{name: "also"}.config()
	trained := newCheckpointPolicy(t, "also", cfg, arms, rand.NewPCG(1, 2))
	playFrom(t, trained, 0, 1, 5)
	data := mustSave(t, trained, pool)
	next := newCheckpointPolicy(t, "also", cfg, arms, rand.NewPCG(1, 2))
	mustLoad(t, next, pool, data)
	b := next.(*alsoBandit)
	before := slices.Clone(b.actual[len(b.actual)-1])
	mustUpdate(t, next, 1, 0, 0.7)
	if got := b.actual[len(b.actual)-1]; !slices.Equal(got, before) {
		t.Fatalf("the opening reward changed the previous episode's trace row: %v -> %v", before, got)
	}
	if len(b.history) != 5 {
		t.Fatalf("history has %d records, want the 4 loaded plus the opening one", len(b.history))
	}
}
