package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/sotopia"
)

const testKey = "sk-or-v1-LIVETESTKEY-0123456789abcdef"

// testSetup is a real Sotopia task from the embedded dataset (a hard one, with secrets).
func testSetup(t *testing.T) *sotopia.Setup {
	t.Helper()
	d, err := sotopia.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := d.Subset("hard")
	if err != nil || len(tasks) == 0 {
		t.Fatalf("hard subset: %v", err)
	}
	env, agents, err := d.Resolve(tasks[0])
	if err != nil {
		t.Fatal(err)
	}
	s := &sotopia.Setup{Task: tasks[0], Env: env, Agents: agents, MaxTurns: 20}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

// evaluationJSON is a paper-era judge answer with the given scores for both seats.
func evaluationJSON(s [sotopia.Seats]sotopia.Scores) string {
	out := map[string]map[string][2]any{}
	for seat := range sotopia.Seats {
		m := map[string][2]any{}
		for d, info := range sotopia.Dimensions {
			m[info.Key] = [2]any{"because " + info.Key, s[seat][d]}
		}
		out[fmt.Sprintf("agent_%d_evaluation", seat+1)] = m
	}
	b, _ := json.Marshal(out)
	return string(b)
}

var goodScores = [sotopia.Seats]sotopia.Scores{{8, 2, 5, 0, 0, 1, 7}, {6, -1, 3, -2, 0, 0, 4}}

func speak(text string) string {
	return `{"action_type": "speak", "argument": "` + text + `"}`
}

type liveRig struct {
	srv    *llmtest.Server
	router *llm.Router
	world  *World
	setup  *sotopia.Setup
	logs   *strings.Builder
}

// newLiveRig points every provider at a fake server that plays both agents (by name), the
// judge and the embedder.
func newLiveRig(t *testing.T, cache *llm.Cache, mutate func(*Config)) *liveRig {
	t.Helper()
	setup := testSetup(t)
	srv := llmtest.NewServer(t, llmtest.Config{APIKey: testKey, EmbeddingDim: 6})
	names := [2]string{setup.Agents[0].Name(), setup.Agents[1].Name()}
	srv.OnPrompt("evaluate how well participants achieve their goals", func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: evaluationJSON(goodScores)}
	})
	for seat, name := range names {
		srv.OnPrompt("Imagine you are "+name+",", func(r llmtest.Request) llmtest.Reply {
			return llmtest.Reply{Content: speak(fmt.Sprintf("line %d from seat %d", r.Seq, seat))}
		})
	}
	logs := &strings.Builder{}
	cfg := llm.DefaultRouterConfig()
	cfg.Env = llm.NewEnv(func(name string) (string, bool) {
		if name == llm.OpenRouterKeyVar {
			return testKey, true
		}
		return "", false
	}, nil)
	cfg.BaseURLs = map[llm.Provider]string{llm.ProviderOpenRouter: srv.URL()}
	cfg.Timeout = 2 * time.Second
	cfg.Retry.BaseDelay, cfg.Retry.MaxDelay = time.Millisecond, 5*time.Millisecond
	cfg.Cache = cache
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	router, err := llm.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lc := DefaultConfig()
	lc.Router = router
	if mutate != nil {
		mutate(&lc)
	}
	w, err := New(lc)
	if err != nil {
		t.Fatal(err)
	}
	return &liveRig{srv: srv, router: router, world: w, setup: setup, logs: logs}
}

// transcript is what one driven episode produced.
type transcript struct {
	Actions   []sotopia.AgentAction
	Judgement []sotopia.Judgement
	Final     sotopia.Judgement
	Vectors   [][]float64
	Usage     sotopia.Usage
}

// drive plays turns of an episode the way the Episode actor does: Reset, Observe for the
// waiting seat, Act for the acting one, Step, a per-turn judgement and a context embedding;
// seat 0 plays arm with the given text from the start.
func drive(t *testing.T, rig *liveRig, seed int64, armText string, turns int) transcript {
	t.Helper()
	ctx := context.Background()
	ew, err := rig.world.NewEpisode(ctx, sotopia.EpisodeSpec{Setup: rig.setup, Seed: seed, Optimised: [2]bool{true, false}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := sotopia.NewEnv(rig.setup)
	if err != nil {
		t.Fatal(err)
	}
	obs := env.Reset()
	if armText != "" {
		ew.Agents[0].SetStrategy(sotopia.ArmChoice{Index: 1, ID: "s1", Text: armText})
	}
	var tr transcript
	for range turns {
		acting := env.Acting()
		for seat := range sotopia.Seats {
			if seat != acting {
				ew.Agents[seat].Observe(obs[seat])
			}
		}
		act, err := ew.Agents[acting].Act(ctx, obs[acting])
		if err != nil {
			t.Fatal(err)
		}
		tr.Actions = append(tr.Actions, act)
		var done bool
		obs, done, _, err = env.Step(acting, act)
		if err != nil {
			t.Fatal(err)
		}
		j, err := ew.Judge.JudgeTurn(ctx, sotopia.JudgeRequest{Turn: env.Turn(), History: env.JudgeHistory()})
		if err != nil {
			t.Fatal(err)
		}
		tr.Judgement = append(tr.Judgement, j)
		v, err := ew.Embedder.Embed(ctx, []string{env.DialogueText(), armText})
		if err != nil {
			t.Fatal(err)
		}
		tr.Vectors = append(tr.Vectors, v...)
		if done {
			break
		}
	}
	tr.Final, err = ew.Judge.JudgeEpisode(ctx, sotopia.JudgeRequest{Turn: env.Turn(), History: env.JudgeHistory()})
	if err != nil {
		t.Fatal(err)
	}
	tr.Usage = ew.Usage()
	return tr
}
