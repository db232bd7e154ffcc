// Package loop is the bookkeeping of one ALSO episode (also-method.md section 1.4) as pure code:
// the Sotopia environment, each seat's arm pool and active arm, credit assignment, and the turn
// records that become the EpisodeLog. The Episode actor only moves messages and calls it.
package loop

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/oklog/ulid/v2"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// Credit assignment modes.
const (
	// CreditAll reproduces the reference: both seats update and reselect after every turn.
	CreditAll = "all"
	// CreditOwnTurn credits only the seat whose utterance the reward follows; only it reselects.
	CreditOwnTurn = "own-turn"
)

// Config is what every episode of a run shares.
type Config struct {
	Dataset    *sotopia.Dataset
	Era        sotopia.Era
	MaxTurns   int
	Omniscient bool
	Optimised  [sotopia.Seats]bool
	Strategies []sotopia.Strategy
	Credit     string
	// Alternate is the artifact's --alternate-optimization (both seats optimised): every seat is
	// still fed, but only one retrains and reselects per turn, seat 0 after odd turns.
	Alternate bool
	Tag       string
	RunSeed   int64
	// StartArm is the arm optimised seats play before their policy's first selection: 0 (no
	// strategy), as the reference starts, except for a static policy holding another arm.
	StartArm int
}

// EnvState is the environment's progress as its owner reports it after each step.
type EnvState struct {
	Turn     int
	Messages [][]sotopia.Message
	Reason   string
}

// Book is one episode's bookkeeping (the Sotopia environment itself lives elsewhere: SetEnv).
type Book struct {
	spec    *Config
	task    sotopia.Task
	attempt int
	seed    int64
	setup   *sotopia.Setup
	// env is what the book knows of the Sotopia environment (the environment actor owns it):
	// the turn, the message log and the termination reason, as of the last step.
	env EnvState
	// Arms is each seat's pool; Current each seat's active arm.
	Arms    [sotopia.Seats][]sotopia.ArmChoice
	Current [sotopia.Seats]policy.Choice
	Turns   []sotopia.TurnRecord
	Models  []string
	Usage   sotopia.Usage
	// created holds each seat's arms created during the episode, by index (created.go).
	created [sotopia.Seats]map[int]createdArm
	// out marks the seats whose policy step is out (ChoiceAsked until Choose or NoChoice); stale
	// the seats whose last record was written meanwhile, with the arm the new choice replaces.
	out, stale [sotopia.Seats]bool
}

// NewBook starts the bookkeeping of one attempt of a task.
func NewBook(spec *Config, attempt int, task sotopia.Task, seed int64) (*Book, error) {
	env, agents, err := spec.Dataset.Resolve(task)
	if err != nil {
		return nil, err
	}
	setup := &sotopia.Setup{Task: task, Env: env, Agents: agents, Era: spec.Era, MaxTurns: spec.MaxTurns, Omniscient: spec.Omniscient}
	b := &Book{spec: spec, task: task, attempt: attempt, seed: seed, setup: setup}
	for seat := range sotopia.Seats {
		bg := setup.OwnBackground(seat)
		for i, s := range spec.Strategies {
			b.Arms[seat] = append(b.Arms[seat], sotopia.ArmChoice{Index: i, ID: s.ID, Description: s.Description, Text: sotopia.ArmText(bg, s)})
		}
		// The reference starts every seat on arm 0 (no strategy) with probability 1/K; a static
		// policy's seat starts on its fixed arm, which it plays with certainty.
		k := max(1, len(spec.Strategies))
		b.Current[seat] = policy.Choice{Arm: 0, Prob: 1 / float64(k)}
		switch {
		case !spec.Optimised[seat]:
			b.Current[seat].Prob = 1
		case spec.StartArm != 0:
			b.Current[seat] = policy.Choice{Arm: spec.StartArm, Prob: 1}
		}
	}
	return b, nil
}

// Setup is the episode's setup (what the environment is built from).
func (b *Book) Setup() *sotopia.Setup { return b.setup }

// SetEnv records the environment's progress (after its reset and every step).
func (b *Book) SetEnv(s EnvState) { b.env = s }

// EpisodeSpec asks a world for this episode's participants.
func (b *Book) EpisodeSpec() sotopia.EpisodeSpec {
	return sotopia.EpisodeSpec{Setup: b.setup, Seed: b.seed, Arms: b.Arms, Optimised: b.spec.Optimised}
}

// RecordStep appends the record of one environment step with every seat's active arm and the
// agent's note on its action, if any.
func (b *Book) RecordStep(seat int, a sotopia.AgentAction, note string) {
	rec := sotopia.TurnRecord{Turn: b.env.Turn, Seat: seat, Action: a, ActionNote: note}
	for s := range sotopia.Seats {
		rec.Seats = append(rec.Seats, b.seatTurn(s))
		b.stale[s] = b.out[s]
	}
	b.Turns = append(b.Turns, rec)
}

// seatTurn is seat s's part of a record: whether it learns and its active arm.
func (b *Book) seatTurn(s int) sotopia.SeatTurn {
	st := sotopia.SeatTurn{Optimised: b.spec.Optimised[s], Arm: b.Current[s].Arm, ArmProb: b.Current[s].Prob}
	if a, c, ok := b.arm(s, st.Arm); ok {
		st.ArmID = a.ID
		if c != nil { // a created arm: its record carries what the pool cannot give a reader
			st.ArmText, st.ArmParents, st.ArmOperator = a.Text, c.parents, c.operator
		}
	}
	return st
}

// ChoiceAsked notes that seat's policy step is out: a step recorded before its choice lands is
// written again with it (a deferred choice, actors/choices.go).
func (b *Book) ChoiceAsked(seat int) { b.out[seat], b.stale[seat] = true, false }

// NoChoice notes the seat's step ended without a new arm.
func (b *Book) NoChoice(seat int) { b.out[seat], b.stale[seat] = false, false }

// refreshSeat rewrites the last record's arm of seat s from its active arm, keeping its reward
// and scores. A record that already holds a regret cannot be refreshed: the regret was computed
// for the arm it replaces (deferral never happens in worlds that know it).
func (b *Book) refreshSeat(s int) error {
	st := &b.Turns[len(b.Turns)-1].Seats[s]
	if st.Regret != nil {
		return fmt.Errorf("seat %d arm of turn %d: chosen after its regret was computed", s, b.Turns[len(b.Turns)-1].Turn)
	}
	fresh := b.seatTurn(s)
	st.Optimised, st.Arm, st.ArmProb, st.ArmID = fresh.Optimised, fresh.Arm, fresh.ArmProb, fresh.ArmID
	st.ArmText, st.ArmParents, st.ArmOperator = fresh.ArmText, fresh.ArmParents, fresh.ArmOperator
	return nil
}

// ApplyJudgement fills the last record with each seat's reward, scores and, where the world knows
// the expected rewards, the regret of the arm played.
func (b *Book) ApplyJudgement(j sotopia.Judgement) {
	rec := &b.Turns[len(b.Turns)-1]
	for s := range sotopia.Seats {
		st := &rec.Seats[s]
		scores := j.Scores[s]
		r := scores.Reward()
		st.Scores, st.Reward = &scores, &r
		if exp := j.Expected[s]; len(exp) > st.Arm && st.Arm >= 0 {
			best := math.Inf(-1)
			for _, v := range exp {
				best = math.Max(best, v)
			}
			played, regret := exp[st.Arm], best-exp[st.Arm]
			st.Expected, st.Regret = &played, &regret
		}
	}
}

// NoteJudgeError records why the last step has no reward (the judge failed after its retries).
func (b *Book) NoteJudgeError(err string) { b.Turns[len(b.Turns)-1].JudgeError = err }

// Choose makes a policy's choice the seat's active arm and returns that arm, or an error when
// the policy chose outside the pool. If the seat's last step was recorded while this choice was
// out (ChoiceAsked), that record is given the new arm, as if the choice had been awaited first.
func (b *Book) Choose(seat int, c policy.Choice) (sotopia.ArmChoice, error) {
	a, _, ok := b.arm(seat, c.Arm)
	if !ok {
		return sotopia.ArmChoice{}, fmt.Errorf("seat %d policy chose arm %d, neither in the pool of %d nor created by it", seat, c.Arm, len(b.Arms[seat]))
	}
	b.Current[seat] = c
	stale := b.stale[seat]
	b.out[seat], b.stale[seat] = false, false
	if stale {
		return a, b.refreshSeat(seat)
	}
	return a, nil
}

// SetContextHash notes which dialogue embedding the policies saw for the last record.
func (b *Book) SetContextHash(v []float64) {
	h := sha256.New()
	var buf [8]byte
	for _, x := range v {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
		h.Write(buf[:])
	}
	b.Turns[len(b.Turns)-1].ContextHash = hex.EncodeToString(h.Sum(nil)[:8])
}

// SeatStep is what one seat's policy does after a turn: learn from the reward that followed it
// (its Feedback), and reselect if Select is set.
type SeatStep struct {
	Seat   int
	Select bool
}

// PolicySteps lists the seats that learn from the last step, the one acting seat spoke, and
// whether each reselects (also-method.md 1.4 steps 4-5):
//   - credit all (the artifact): every optimised seat learns and reselects;
//   - credit own-turn: only the acting seat learns and reselects;
//   - alternate: every fed seat learns, but only seat (t-1) mod 2 reselects after turn t (the
//     artifact's runner starts its alternation with P1 on turn 1 and switches every turn).
func (b *Book) PolicySteps(acting int) []SeatStep {
	turn := b.env.Turn
	var out []SeatStep
	for s := range sotopia.Seats {
		if !b.spec.Optimised[s] {
			continue
		}
		if b.spec.Credit == CreditOwnTurn && s != acting {
			continue
		}
		out = append(out, SeatStep{Seat: s, Select: !b.spec.Alternate || s == (turn-1)%2})
	}
	return out
}

// Feedback is the policy feedback of a seat for the last step (nil when the judge gave no reward).
func (b *Book) Feedback(seat int, context []float64) *policy.Feedback {
	rec := b.Turns[len(b.Turns)-1]
	st := rec.Seats[seat]
	if st.Reward == nil {
		return nil
	}
	dims := st.Scores.Normalised()
	return &policy.Feedback{Turn: rec.Turn, Arm: st.Arm, Reward: *st.Reward, Dims: dims[:], Context: context}
}

// Finish builds the EpisodeLog; final is nil when the episode failed before its terminal judgement.
func (b *Book) Finish(final *sotopia.Judgement, failure string) *sotopia.EpisodeLog {
	ep := &sotopia.EpisodeLog{
		PK: PK(b.spec.Tag, b.spec.RunSeed, b.task.PK, b.attempt), Environment: b.task.EnvID, Agents: b.task.AgentIDs,
		Tag: b.spec.Tag, Models: b.Models, Messages: b.env.Messages, TaskID: b.task.PK, Codename: b.setup.Env.Codename,
		Seed: b.seed, Attempt: b.attempt, Status: sotopia.StatusDone, Termination: b.env.Reason, Turns: b.Turns,
	}
	if ep.Turns == nil {
		ep.Turns = []sotopia.TurnRecord{}
	}
	if b.Usage.Calls > 0 {
		u := b.Usage
		ep.Usage = &u
	}
	ep.Rewards = make([]sotopia.SeatReward, sotopia.Seats)
	if final != nil {
		ep.Reasoning, ep.RewardsPrompt = final.Reasoning, final.Prompt
		for s := range sotopia.Seats {
			ep.Rewards[s] = sotopia.NewSeatReward(final.Scores[s])
		}
	}
	if failure != "" {
		ep.Status, ep.Error = sotopia.StatusFailed, failure
	}
	return ep
}

// Seed derives a task's seed from the run seed, so it does not depend on scheduling order.
func Seed(runSeed int64, taskPK string, attempt int) int64 {
	h := sha256.Sum256(fmt.Appendf(nil, "seed|%d|%s|%d", runSeed, taskPK, attempt))
	return int64(binary.LittleEndian.Uint64(h[:8]) >> 1)
}

// PK is a ULID-shaped id derived from the tag, run seed, task and attempt: deterministic, so
// two runs with one seed write identical episodes, while other tags never collide in a shared store.
func PK(tag string, runSeed int64, taskPK string, attempt int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "pk|%s|%d|%s|%d", tag, runSeed, taskPK, attempt))
	var id ulid.ULID
	copy(id[:], h[:16])
	id[0] &= 0x7f // keep the timestamp part within ULID's valid range
	return id.String()
}
