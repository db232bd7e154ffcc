package sotopia

import (
	"encoding/json"
	"fmt"
)

// Message is one (sender, receiver, text) triple of a Sotopia message log; it marshals as a
// 3-element JSON array like Sotopia's.
type Message struct {
	Sender, Receiver, Text string
}

func (m Message) MarshalJSON() ([]byte, error) {
	return json.Marshal([3]string{m.Sender, m.Receiver, m.Text})
}

func (m *Message) UnmarshalJSON(b []byte) error {
	var t []string
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	if len(t) != 3 {
		return fmt.Errorf("message has %d fields, want 3", len(t))
	}
	m.Sender, m.Receiver, m.Text = t[0], t[1], t[2]
	return nil
}

// Episode status values. An interrupted episode was cut short by SIGINT/SIGTERM: not the
// episode's fault, so it is counted apart from failed ones and a resume runs it again.
const (
	StatusDone        = "done"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// EpisodeLog is a Sotopia EpisodeLog (database.logs.EpisodeLog field names) plus ALSO's per-turn
// records, run identity and usage. Everything in it is deterministic for a given seed in the sim
// world: no timestamps.
type EpisodeLog struct {
	PK            string       `json:"pk"`
	Environment   string       `json:"environment"`
	Agents        []string     `json:"agents"`
	Tag           string       `json:"tag"`
	Models        []string     `json:"models"`
	Messages      [][]Message  `json:"messages"`
	Reasoning     string       `json:"reasoning"`
	Rewards       []SeatReward `json:"rewards"`
	RewardsPrompt string       `json:"rewards_prompt"`

	// ALSO and also-specific fields.
	TaskID      string       `json:"task_id,omitempty"`
	Codename    string       `json:"codename,omitempty"`
	Seed        int64        `json:"seed"`
	Attempt     int          `json:"attempt"`
	Status      string       `json:"status"`
	Error       string       `json:"error,omitempty"`
	Termination string       `json:"termination,omitempty"`
	Turns       []TurnRecord `json:"turns"`
	Usage       *Usage       `json:"usage,omitempty"`
}

// TurnRecord is one environment step: who acted, what they did, and for each seat the arm that was
// active, its selection probability, the seat's per-turn reward and scores, and the regret of the
// arm played where the world knows the expected rewards (the sim world does).
type TurnRecord struct {
	Turn        int         `json:"turn"`
	Seat        int         `json:"seat"`
	Action      AgentAction `json:"action"`
	ContextHash string      `json:"context_hash,omitempty"`
	// ActionNote says why the action is not what the agent's model answered (e.g. unparsable
	// output turned into none), when the agent reports it (sotopia.ActionNoter).
	ActionNote string `json:"action_note,omitempty"`
	// JudgeError says why this turn has no reward (the judge failed after its retries).
	JudgeError string     `json:"judge_error,omitempty"`
	Seats      []SeatTurn `json:"seats"`
}

// SeatTurn is one seat's view of a turn.
type SeatTurn struct {
	Optimised bool     `json:"optimised"`
	Arm       int      `json:"arm"`
	ArmID     string   `json:"arm_id"`
	ArmProb   float64  `json:"arm_prob"`
	Reward    *float64 `json:"reward,omitempty"`
	Scores    *Scores  `json:"scores,omitempty"`
	Regret    *float64 `json:"regret,omitempty"`
	// Expected is the expected reward of the arm played, where known.
	Expected *float64 `json:"expected,omitempty"`
	// For an arm a prompt optimiser created during the episode (Arm past the pool): its full
	// text, the IDs of the members it was made from and the operator that made it.
	ArmText     string   `json:"arm_text,omitempty"`
	ArmParents  []string `json:"arm_parents,omitempty"`
	ArmOperator string   `json:"arm_operator,omitempty"`
	// Evolution lists the optimiser steps the seat's policy took after this turn.
	Evolution []OptimiserEvent `json:"evolution,omitempty"`
}

// Usage sums LLM usage, by role ("agent", "judge", "embedder") and in total.
type Usage struct {
	Calls            int64            `json:"calls"`
	PromptTokens     int64            `json:"prompt_tokens"`
	CompletionTokens int64            `json:"completion_tokens"`
	CachedTokens     int64            `json:"cached_tokens"`
	CostUSD          float64          `json:"cost_usd"`
	Retries          int64            `json:"retries"`
	ByRole           map[string]Usage `json:"by_role,omitempty"`
}

// Add accumulates o into u (including the per-role breakdown).
func (u *Usage) Add(o Usage) {
	u.Calls += o.Calls
	u.PromptTokens += o.PromptTokens
	u.CompletionTokens += o.CompletionTokens
	u.CachedTokens += o.CachedTokens
	u.CostUSD += o.CostUSD
	u.Retries += o.Retries
	for role, r := range o.ByRole {
		if u.ByRole == nil {
			u.ByRole = map[string]Usage{}
		}
		cur := u.ByRole[role]
		cur.Add(r)
		u.ByRole[role] = cur
	}
}
