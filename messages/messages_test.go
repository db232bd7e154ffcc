package messages

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// Every message must be able to cross a process: it round-trips through JSON unchanged.
func TestMessagesRoundTripThroughJSON(t *testing.T) {
	scores := sotopia.Scores{8, 1, 5, -1, 0, 2, 7}
	reward := 0.5
	msgs := []any{
		&StartEpisode{Index: 3, Attempt: 1, Task: sotopia.Task{PK: "t", EnvID: "e", AgentIDs: []string{"a", "b"}}, Seed: 42},
		&EpisodeDone{Index: 3, TaskID: "t", EpisodePK: "p", Status: sotopia.StatusFailed, Error: "boom", Usage: sotopia.Usage{Calls: 2, CostUSD: 0.25}},
		&Observe{Observation: sotopia.Observation{Seat: 1, Turn: 2, Text: "Turn #1: x", AvailableActions: []sotopia.ActionType{sotopia.ActionNone}}},
		&Delivered{Seat: 1},
		&Act{Turn: 2, Observation: sotopia.Observation{Seat: 0, Turn: 2, Text: "t", AvailableActions: sotopia.AllActionTypes}},
		&Action{Seat: 0, Turn: 2, Action: sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: "hi"}},
		&SetStrategy{Arm: sotopia.ArmChoice{Index: 2, ID: "s", Description: "d", Text: "bg\nd"}},
		&JudgeTurn{Request: sotopia.JudgeRequest{Turn: 2, History: "h"}},
		&TurnScores{Turn: 2, Judgement: sotopia.Judgement{Scores: [2]sotopia.Scores{scores, scores}, Reasoning: "r",
			Expected: [2][]float64{{0.1, 0.2}, {0.3}}}},
		&JudgeEpisode{Request: sotopia.JudgeRequest{Turn: 9, History: "h"}},
		&EpisodeScores{Judgement: sotopia.Judgement{Scores: [2]sotopia.Scores{scores, scores}}, Error: ""},
		&Embed{Purpose: "context", Turn: 2, Texts: []string{"a"}},
		&Embedded{Purpose: "context", Turn: 2, Vectors: [][]float64{{1, 2}}},
		&InitPolicy{Arms: []policy.Arm{{Index: 0, ID: "no_strategy", Embedding: []float64{0, 1}}}},
		&PolicyReady{Seat: 1},
		&PolicyStep{Turn: 2, Feedback: &policy.Feedback{Turn: 2, Arm: 1, Reward: 0.5, Dims: []float64{0.1}, Context: []float64{1}}, Select: true, Context: []float64{1}},
		&PolicyChoice{Seat: 1, Turn: 2, Selected: true, Choice: policy.Choice{Arm: 1, Prob: 0.5, Probs: []float64{0.5, 0.5}}},
		&Record{Index: 1, Episode: sotopia.EpisodeLog{PK: "p", Agents: []string{"a", "b"}, Status: sotopia.StatusDone,
			Rewards: []sotopia.SeatReward{sotopia.NewSeatReward(scores), {}}, Turns: []sotopia.TurnRecord{{Turn: 1,
				Seats: []sotopia.SeatTurn{{Arm: 1, Reward: &reward, Scores: &scores}}}},
			Messages: [][]sotopia.Message{{{Sender: "Environment", Receiver: "a", Text: "hello"}}}}},
		&Stored{PK: "p"},
	}
	for _, m := range msgs {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		back := reflect.New(reflect.TypeOf(m).Elem()).Interface()
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !reflect.DeepEqual(m, back) {
			t.Errorf("%T changed crossing JSON:\n%+v\n%+v", m, m, back)
		}
	}
}
