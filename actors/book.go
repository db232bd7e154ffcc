package actors

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

// book is the bookkeeping of one episode: the environment, each seat's arm pool and current arm,
// and the turn records that become the EpisodeLog. Pure code: the Episode actor only moves
// messages and calls it.
type book struct {
	spec    *Spec
	task    sotopia.Task
	index   int
	attempt int
	seed    int64
	setup   *sotopia.Setup
	env     *sotopia.Env
	arms    [sotopia.Seats][]sotopia.ArmChoice
	current [sotopia.Seats]policy.Choice
	turns   []sotopia.TurnRecord
	models  []string
	usage   sotopia.Usage
}

func newBook(spec *Spec, index, attempt int, task sotopia.Task, seed int64) (*book, error) {
	env, agents, err := spec.Dataset.Resolve(task)
	if err != nil {
		return nil, err
	}
	setup := &sotopia.Setup{Task: task, Env: env, Agents: agents, Era: spec.Era, MaxTurns: spec.MaxTurns, Omniscient: spec.Omniscient}
	e, err := sotopia.NewEnv(setup)
	if err != nil {
		return nil, err
	}
	b := &book{spec: spec, task: task, index: index, attempt: attempt, seed: seed, setup: setup, env: e}
	for seat := range sotopia.Seats {
		bg := setup.OwnBackground(seat)
		for i, s := range spec.Strategies {
			b.arms[seat] = append(b.arms[seat], sotopia.ArmChoice{Index: i, ID: s.ID, Description: s.Description, Text: sotopia.ArmText(bg, s)})
		}
		// The reference starts every seat on arm 0 (no strategy) with probability 1/K.
		k := max(1, len(spec.Strategies))
		b.current[seat] = policy.Choice{Arm: 0, Prob: 1 / float64(k)}
		if !spec.Optimised[seat] {
			b.current[seat].Prob = 1
		}
	}
	return b, nil
}

func (b *book) episodeSpec() sotopia.EpisodeSpec {
	return sotopia.EpisodeSpec{Setup: b.setup, Seed: b.seed, Arms: b.arms, Optimised: b.spec.Optimised}
}

func (b *book) armID(seat int) string {
	if a := b.current[seat].Arm; a >= 0 && a < len(b.arms[seat]) {
		return b.arms[seat][a].ID
	}
	return ""
}

// recordStep appends the record of one environment step with every seat's active arm.
func (b *book) recordStep(seat int, a sotopia.AgentAction) {
	rec := sotopia.TurnRecord{Turn: b.env.Turn(), Seat: seat, Action: a}
	for s := range sotopia.Seats {
		rec.Seats = append(rec.Seats, sotopia.SeatTurn{Optimised: b.spec.Optimised[s], Arm: b.current[s].Arm,
			ArmID: b.armID(s), ArmProb: b.current[s].Prob})
	}
	b.turns = append(b.turns, rec)
}

// applyJudgement fills the last record with each seat's reward, scores and, where the world knows
// the expected rewards, the regret of the arm played.
func (b *book) applyJudgement(j sotopia.Judgement) {
	rec := &b.turns[len(b.turns)-1]
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

// setContextHash notes which dialogue embedding the policies saw for the last record.
func (b *book) setContextHash(v []float64) {
	h := sha256.New()
	var buf [8]byte
	for _, x := range v {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
		h.Write(buf[:])
	}
	b.turns[len(b.turns)-1].ContextHash = hex.EncodeToString(h.Sum(nil)[:8])
}

// updaters lists the seats that learn from and reselect after the last step.
func (b *book) updaters(acting int) []int {
	var out []int
	for s := range sotopia.Seats {
		if !b.spec.Optimised[s] {
			continue
		}
		if b.spec.Credit == CreditOwnTurn && s != acting {
			continue
		}
		out = append(out, s)
	}
	return out
}

// feedback is the policy feedback of a seat for the last step (nil when the judge gave no reward).
func (b *book) feedback(seat int, context []float64) *policy.Feedback {
	rec := b.turns[len(b.turns)-1]
	st := rec.Seats[seat]
	if st.Reward == nil {
		return nil
	}
	dims := st.Scores.Normalised()
	return &policy.Feedback{Turn: rec.Turn, Arm: st.Arm, Reward: *st.Reward, Dims: dims[:], Context: context}
}

// finish builds the EpisodeLog; final is nil when the episode failed before its terminal judgement.
func (b *book) finish(final *sotopia.Judgement, failure string) *sotopia.EpisodeLog {
	ep := &sotopia.EpisodeLog{
		PK: episodePK(b.spec.Tag, b.spec.Seed, b.task.PK, b.attempt), Environment: b.task.EnvID, Agents: b.task.AgentIDs,
		Tag: b.spec.Tag, Models: b.models, Messages: b.env.Messages(), TaskID: b.task.PK, Codename: b.setup.Env.Codename,
		Seed: b.seed, Attempt: b.attempt, Status: sotopia.StatusDone, Termination: b.env.Reason(), Turns: b.turns,
	}
	if ep.Turns == nil {
		ep.Turns = []sotopia.TurnRecord{}
	}
	if b.usage.Calls > 0 {
		u := b.usage
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

// episodeSeed derives a task's seed from the run seed, so it does not depend on scheduling order.
func episodeSeed(runSeed int64, taskPK string, attempt int) int64 {
	h := sha256.Sum256(fmt.Appendf(nil, "seed|%d|%s|%d", runSeed, taskPK, attempt))
	return int64(binary.LittleEndian.Uint64(h[:8]) >> 1)
}

// episodePK is a ULID-shaped id derived from the tag, run seed, task and attempt: deterministic, so
// two runs with one seed write identical episodes, while other tags never collide in a shared store.
func episodePK(tag string, runSeed int64, taskPK string, attempt int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "pk|%s|%d|%s|%d", tag, runSeed, taskPK, attempt))
	var id ulid.ULID
	copy(id[:], h[:16])
	id[0] &= 0x7f // keep the timestamp part within ULID's valid range
	return id.String()
}
