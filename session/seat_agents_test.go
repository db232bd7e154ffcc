package session

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/agents"
)

var agentTurnRe = regexp.MustCompile(`You are at Turn #(\d+)\. Your available action types are`)

// agentCalls lists, per model id, the environment turns of the agent (action) prompts it got.
func agentCalls(rig *liveRig) map[string][]int {
	out := map[string][]int{}
	for _, r := range rig.srv.Requests() {
		if m := agentTurnRe.FindStringSubmatch(r.Prompt()); m != nil {
			n, _ := strconv.Atoi(m[1])
			out[r.Model] = append(out[r.Model], n)
		}
	}
	return out
}

// An ALSO-optimised LLM seat against each scripted adversary on a live run: the scripted seat
// makes no LLM call (every action prompt is seat 1's, on even turns), plays its behaviour, and
// the episodes are stored and scored as usual.
func TestLiveALSOAgainstScriptedAdversaries(t *testing.T) {
	for _, b := range agents.Behaviours() {
		t.Run(string(b), func(t *testing.T) {
			rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12})
			cfg := liveRun(t, rig, func(c *config.Run) {
				c.Bandit, c.Optimize, c.MaxEpisodes = "also", "p1", 2
				c.P2Agent = "scripted:" + string(b)
			})
			var log bytes.Buffer
			out, err := Execute(context.Background(), cfg, liveOptions(&log, nil))
			if err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			if s := out.Summary; s.Episodes != 2 || s.Done != 2 {
				t.Fatalf("summary: %+v\nlog:\n%s", s, log.String())
			}
			calls := agentCalls(rig)
			for model, turns := range calls {
				for _, turn := range turns {
					if turn%2 != 0 {
						t.Errorf("model %s got an action prompt for turn %d (seat 2's, which is scripted)", model, turn)
					}
				}
			}
			if len(calls) == 0 {
				t.Fatal("the LLM seat made no call")
			}
			eps := readEpisodes(t, out.Dir)
			checkScored(t, eps)
			for _, ep := range eps {
				if ep.Models[2] != "scripted:"+string(b) {
					t.Errorf("episode %s models %v: seat 2 should be scripted:%s", ep.PK, ep.Models, b)
				}
				if ep.Status != sotopia.StatusDone || len(ep.Rewards) != sotopia.Seats {
					t.Errorf("episode %s: status %s, rewards %v", ep.PK, ep.Status, ep.Rewards)
				}
				checkScriptedTurns(t, ep, b)
			}
		})
	}
}

// checkScriptedTurns checks seat 2's actions against its behaviour.
func checkScriptedTurns(t *testing.T, ep *sotopia.EpisodeLog, b agents.Behaviour) {
	t.Helper()
	own := 0
	for _, tr := range ep.Turns {
		if tr.Seat != 1 {
			continue
		}
		own++
		a := tr.Action
		switch {
		case b == agents.Leaver && own == agents.DefaultLeaverTurns:
			if a.ActionType != sotopia.ActionLeave {
				t.Errorf("episode %s: the leaver's own turn %d is %+v, want leave", ep.PK, own, a)
			}
		case b == agents.Leaver:
			if a.ActionType != sotopia.ActionSpeak {
				t.Errorf("episode %s: the leaver's own turn %d is %+v", ep.PK, own, a)
			}
		case a.ActionType != sotopia.ActionSpeak || !slices.Contains(b.Lines(), a.Argument):
			t.Errorf("episode %s: %s's own turn %d is %+v", ep.PK, b, own, a)
		}
	}
	if own == 0 {
		t.Errorf("episode %s: the scripted seat never acted", ep.PK)
	}
}

// A switching opponent: seat 2's action prompts go to the first model before turn 3 and to the
// second from turn 3 on; seat 1 keeps its own model; episodes are stored and scored.
func TestLiveALSOAgainstSwitchingOpponent(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12})
	url := rig.srv.URL()
	cfg := liveRun(t, rig, func(c *config.Run) {
		c.Bandit, c.Optimize, c.MaxEpisodes = "also", "p1", 2
		c.P2Agent = "switch:custom/terminal@" + url + "@0,custom/judge@" + url + "@3"
	})
	var log bytes.Buffer
	out, err := Execute(context.Background(), cfg, liveOptions(&log, nil))
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if s := out.Summary; s.Episodes != 2 || s.Done != 2 {
		t.Fatalf("summary: %+v\nlog:\n%s", s, log.String())
	}
	calls := agentCalls(rig)
	check := func(model string, ok func(turn int) bool, want string) {
		if len(calls[model]) == 0 {
			t.Errorf("model %s got no action prompt", model)
		}
		for _, turn := range calls[model] {
			if !ok(turn) {
				t.Errorf("model %s got the action prompt of turn %d; want %s", model, turn, want)
			}
		}
	}
	check("agent", func(n int) bool { return n%2 == 0 }, "seat 1's turns only")
	check("terminal", func(n int) bool { return n%2 == 1 && n < 3 }, "seat 2's turns before 3")
	check("judge", func(n int) bool { return n%2 == 1 && n >= 3 }, "seat 2's turns from 3 on")
	eps := readEpisodes(t, out.Dir)
	checkScored(t, eps)
	for _, ep := range eps {
		if ep.Models[2] != cfg.P2Agent || len(ep.Rewards) != sotopia.Seats {
			t.Errorf("episode %s models %v rewards %v", ep.PK, ep.Models, ep.Rewards)
		}
	}
}

// checkScored: every episode is done, seat 1 (optimised) has a per-turn reward on every turn but
// the last (the scripted text carries no token for the rig's judge, so values are not compared),
// and the terminal judge scored both seats.
func checkScored(t *testing.T, eps []*sotopia.EpisodeLog) {
	t.Helper()
	if len(eps) == 0 {
		t.Fatal("no episodes stored")
	}
	for _, ep := range eps {
		if ep.Status != sotopia.StatusDone {
			t.Fatalf("episode %s: %s %s", ep.PK, ep.Status, ep.Error)
		}
		for i, rec := range ep.Turns[:len(ep.Turns)-1] {
			if st := rec.Seats[0]; st.Reward == nil || st.Scores == nil {
				t.Errorf("episode %s turn %d: the optimised seat has no reward", ep.PK, i+1)
			}
		}
		if len(ep.Rewards) != sotopia.Seats || !ep.Rewards[0].Valid || !ep.Rewards[1].Valid {
			t.Errorf("episode %s: final rewards %+v", ep.PK, ep.Rewards)
		}
	}
}

// A library's registered agent plays seat 2 of a live run: its lines are stored, it makes no call.
func TestLiveRegisteredAgent(t *testing.T) {
	err := agents.Register("session-test-polite", func(ep agents.Episode) (sotopia.Agent, error) {
		return agents.NewScriptAgent(&agents.Script{File: "inline", Rules: []agents.Rule{{From: 1, Action: sotopia.ActionSpeak, Argument: ep.Arg}}}, ep.Seat, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 12})
	cfg := liveRun(t, rig, func(c *config.Run) {
		c.Bandit, c.Optimize, c.MaxEpisodes = "also", "p1", 1
		c.P2Agent = "session-test-polite:No, thank you."
	})
	out, err := Execute(context.Background(), cfg, liveOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	for model, turns := range agentCalls(rig) {
		for _, turn := range turns {
			if turn%2 != 0 {
				t.Errorf("model %s got seat 2's action prompt of turn %d", model, turn)
			}
		}
	}
	eps := readEpisodes(t, out.Dir)
	checkScored(t, eps)
	for _, tr := range eps[0].Turns {
		if tr.Seat == 1 && tr.Action.Argument != "No, thank you." {
			t.Errorf("turn %d: seat 2 did %+v", tr.Turn, tr.Action)
		}
	}
}

// In the sim world, --p2-agent scripted:refuser through the actors plays exactly the episodes of
// --opponent refuser (the hidden state models both alike); only the names differ.
func TestSimScriptedSeatAgentMatchesScriptedOpponent(t *testing.T) {
	var turns [2][]sotopia.TurnRecord
	for i := range turns {
		cfg := quickRun(t, func(c *config.Run) {
			c.MaxEpisodes, c.Optimize, c.Bandit, c.Tag = 1, "p1", "exp3", "seat-agent-parity"
			if i == 0 {
				c.Sim.Opponent = "refuser"
			} else {
				c.P2Agent = "scripted:refuser"
			}
		})
		out, err := Execute(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		eps := readEpisodes(t, out.Dir)
		if len(eps) != 1 || eps[0].Status != sotopia.StatusDone {
			t.Fatalf("episodes %+v", eps)
		}
		turns[i] = eps[0].Turns
	}
	a, _ := json.Marshal(turns[0])
	b, _ := json.Marshal(turns[1])
	if len(turns[0]) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the scripted seat agent and the scripted opponent played different turns:\n%s\n%s", a, b)
	}
}
