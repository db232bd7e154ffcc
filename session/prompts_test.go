package session

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/llmtest"
)

// A live run sends the ALSO artifact's prompts by default, and Sotopia's stock ones with
// judge_prompt = sotopia and era = benchmark: the choice reaches every agent and judge request.
func TestLiveRunPromptChoiceReachesTheRequests(t *testing.T) {
	cases := []struct {
		name, era, judgePrompt  string
		agent, turnJudge, final string
	}{
		{"artifact", "also", "also", "IMPORTANT:Do not Reapet the format instructions.", "\nCRITICAL INSTRUCTIONS:\n1. Output ONLY", "\nIMPORTANT:Do not Reapet the format instructions."},
		{"stock", "benchmark", "sotopia", "Please only generate a JSON string including the action type and the argument.\nYour action",
			"\nPlease following the format:\nThe output should be formatted as a JSON instance", "\nPlease following the format:\nThe output should be formatted as a JSON instance"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rig := newLiveRig(t, llmtest.Config{EmbeddingDim: 8})
			cfg := liveRun(t, rig, func(r *config.Run) {
				r.MaxEpisodes, r.MaxTurns, r.Optimize, r.Bandit = 1, 3, "p1", "random"
				r.Era, r.JudgePrompt = c.era, c.judgePrompt
			})
			if _, err := Execute(context.Background(), cfg, liveOptions(io.Discard, nil)); err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, r := range rig.srv.Requests() {
				want := map[string]string{"agent": c.agent, "judge": c.turnJudge, "terminal": c.final}[r.Model]
				if want == "" {
					continue
				}
				seen[r.Model]++
				if !strings.Contains(r.Prompt(), want) {
					t.Errorf("%s request lacks %q:\n%s", r.Model, want, r.Prompt())
				}
				if c.judgePrompt == "also" && r.Model == "terminal" && strings.Contains(r.Prompt(), "CRITICAL INSTRUCTIONS") {
					t.Error("the terminal judge got the per-turn prompt")
				}
			}
			if seen["agent"] == 0 || seen["judge"] == 0 || seen["terminal"] != 1 {
				t.Errorf("requests by model: %v", seen)
			}
		})
	}
}
