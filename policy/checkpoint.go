package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// A policy checkpoint is the learnt state a bandit ends an episode with, so a later run can start
// from it (the artifact's generalisation experiment carries the surrogate across scenarios).
//
// File format (JSON, CheckpointFormat, version CheckpointVersion):
//
//	{"format": "also-policy-checkpoint", "version": 1, "bandit": "also",
//	 "pool": {"strategy": "v3", "arms": 6, "text_sha256": "...", "embedding_width": 1536},
//	 "state": {...bandit-specific...}}
//
// "pool" identifies the arm pool the state was learnt on: the strategy version, the arm count, the
// SHA-256 of the arm IDs and texts, and the embedding width. A checkpoint only loads into the same
// bandit type with an identical pool identity; anything else is an error naming what differs.
// "state" is the bandit's statistics: counts and sums (ucb1, eps-greedy), log-weights (exp3,
// exp3-ix), Beta posteriors (thompson), the Gram matrix and reward sums (linucb), the training
// history, design matrix and networks (instinct, neural_ucb), the history, score traces and
// networks (also), the population, every member ever held and the de-duplication set (opro,
// evoprompt-*, promptbreeder). The random stream is not part of it: it comes from the run's seed.
// Adam's moments are not either: every surrogate training starts a fresh optimiser (as in the
// artifact), so there is no optimiser state between trainings to carry.
const (
	CheckpointFormat  = "also-policy-checkpoint"
	CheckpointVersion = 1
)

// Checkpoint is one saved policy.
type Checkpoint struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	Bandit  string          `json:"bandit"`
	Pool    PoolIdentity    `json:"pool"`
	State   json.RawMessage `json:"state"`
}

// PoolIdentity names the arm pool a checkpoint was learnt on.
type PoolIdentity struct {
	Strategy       string `json:"strategy"`
	Arms           int    `json:"arms"`
	TextSHA256     string `json:"text_sha256"`
	EmbeddingWidth int    `json:"embedding_width"`
}

// IdentifyPool builds the identity of arms under the strategy version name.
func IdentifyPool(strategy string, arms []Arm) PoolIdentity {
	h := sha256.New()
	for _, a := range arms {
		// Length-prefixed, so no two different pools hash the same concatenation.
		fmt.Fprintf(h, "%d:%s%d:%s", len(a.ID), a.ID, len(a.Text), a.Text)
	}
	width := 0
	if len(arms) > 0 {
		width = len(arms[0].Embedding)
	}
	return PoolIdentity{Strategy: strategy, Arms: len(arms), TextSHA256: hex.EncodeToString(h.Sum(nil)), EmbeddingWidth: width}
}

// mismatch lists what differs between the checkpoint's pool (c) and the running one (want).
func (c PoolIdentity) mismatch(want PoolIdentity) string {
	var diffs []string
	if c.Strategy != want.Strategy {
		diffs = append(diffs, fmt.Sprintf("strategy version %q, this run has %q", c.Strategy, want.Strategy))
	}
	if c.Arms != want.Arms {
		diffs = append(diffs, fmt.Sprintf("%d arms, this run has %d", c.Arms, want.Arms))
	} else if c.TextSHA256 != want.TextSHA256 {
		diffs = append(diffs, "different arm texts (sha256 "+short(c.TextSHA256)+", this run has "+short(want.TextSHA256)+")")
	}
	if c.EmbeddingWidth != want.EmbeddingWidth {
		diffs = append(diffs, fmt.Sprintf("embedding width %d, this run has %d", c.EmbeddingWidth, want.EmbeddingWidth))
	}
	return strings.Join(diffs, "; ")
}

func short(h string) string { return h[:min(12, len(h))] }

// Checkpointer is a policy whose learnt state can be saved and restored; every registered policy
// is one. SaveState returns the bandit-specific "state" object; LoadState replaces the policy's
// state with one saved by the same bandit type on the same pool.
type Checkpointer interface {
	SaveState() (json.RawMessage, error)
	LoadState(json.RawMessage) error
}

// Save checkpoints p, which runs on the pool identified by pool.
func Save(p Policy, pool PoolIdentity) (Checkpoint, error) {
	cp, ok := p.(Checkpointer)
	if !ok {
		return Checkpoint{}, fmt.Errorf("%s: policy cannot be checkpointed", p.Name())
	}
	state, err := cp.SaveState()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%s: checkpoint: %w", p.Name(), err)
	}
	return Checkpoint{Format: CheckpointFormat, Version: CheckpointVersion, Bandit: p.Name(), Pool: pool, State: state}, nil
}

// Check says whether c can start a policy of type bandit (a registered name) on pool.
func (c Checkpoint) Check(bandit string, pool PoolIdentity) error {
	switch {
	case c.Format != CheckpointFormat:
		return fmt.Errorf("not a policy checkpoint (format %q, want %q)", c.Format, CheckpointFormat)
	case c.Version != CheckpointVersion:
		return fmt.Errorf("policy checkpoint version %d, this build reads version %d", c.Version, CheckpointVersion)
	case c.Bandit != bandit:
		return fmt.Errorf("policy checkpoint is of bandit type %q, this seat runs %q", c.Bandit, bandit)
	}
	if d := c.Pool.mismatch(pool); d != "" {
		return fmt.Errorf("policy checkpoint (%s) was learnt on another arm pool: %s", c.Bandit, d)
	}
	return nil
}

// Load restores c into p, a fresh policy on the pool identified by pool.
func Load(p Policy, pool PoolIdentity, c Checkpoint) error {
	if err := c.Check(p.Name(), pool); err != nil {
		return err
	}
	cp, ok := p.(Checkpointer)
	if !ok {
		return fmt.Errorf("%s: policy cannot be checkpointed", p.Name())
	}
	if err := cp.LoadState(c.State); err != nil {
		return fmt.Errorf("%s: restore checkpoint: %w", p.Name(), err)
	}
	return nil
}

// Marshal encodes c as the documented file format: compact (an ALSO state holds a context
// vector per history record, so indentation would multiply its size), newline-terminated.
func (c Checkpoint) Marshal() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseCheckpoint decodes a checkpoint file's content; unknown keys are errors.
func ParseCheckpoint(data []byte) (Checkpoint, error) {
	var c Checkpoint
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Checkpoint{}, fmt.Errorf("policy checkpoint: %w", err)
	}
	return c, nil
}

// encodeState and decodeState move a bandit's state struct in and out of JSON; decodeState
// refuses unknown keys so a state of another layout fails loudly.
func encodeState(v any) (json.RawMessage, error) { return json.Marshal(v) }

func decodeState(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// lengthsMatch checks a restored per-arm slice has one value per arm.
func lengthsMatch(what string, got, want int) error {
	if got != want {
		return fmt.Errorf("state %s has %d entries, the pool has %d arms", what, got, want)
	}
	return nil
}
