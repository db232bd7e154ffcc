package live

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// Judge is the Sotopia-Eval judge (sotopia.md 3.2): JudgePrompt over the environment-view
// history at temperature 0, parsed by ParseEvaluation. An unparsable answer or an out-of-range
// score is asked again, up to the configured attempts; then the call fails. It never returns
// zero scores in place of a verdict. Scores are raw (Scores.Reward normalises).
type Judge struct {
	turn, episode llm.Model
	attempts      int
	maxTokens     int
	seed          int64
	// providers are the routing preferences of the per-turn and the terminal model.
	providers [2]*llm.ProviderPreferences
}

// JudgeTurn implements sotopia.Judge with the per-turn (reward) model.
func (j *Judge) JudgeTurn(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	return j.judge(ctx, j.turn, j.providers[0], "turn", req)
}

// JudgeEpisode implements sotopia.Judge with the terminal model.
func (j *Judge) JudgeEpisode(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	return j.judge(ctx, j.episode, j.providers[1], "episode", req)
}

// ErrJudgeOutput is wrapped by a judge failure caused by unusable answers (not by the API).
var ErrJudgeOutput = errors.New("judge gave no usable evaluation")

func (j *Judge) judge(ctx context.Context, model llm.Model, provider *llm.ProviderPreferences, kind string, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	if req.History == "" {
		return sotopia.Judgement{}, fmt.Errorf("live judge (%s, turn %d): empty history", kind, req.Turn)
	}
	prompt := sotopia.JudgePrompt(req.History)
	var lastErr error
	for attempt := 1; attempt <= j.attempts; attempt++ {
		r := llm.ChatRequest{
			Messages:    []llm.Message{llm.User(prompt)},
			Temperature: llm.Float(0),
			MaxTokens:   j.maxTokens,
			Seed:        llm.Int64(j.seed),
			Provider:    provider,
		}
		if attempt > 1 {
			// At temperature 0 a cached first answer would come back unchanged.
			r.CacheTag = "judge attempt " + strconv.Itoa(attempt)
		}
		resp, err := model.Chat(ctx, r)
		if err != nil {
			return sotopia.Judgement{}, fmt.Errorf("live judge (%s, turn %d) %s: %w", kind, req.Turn, model.Name(), err)
		}
		ev, err := sotopia.ParseEvaluation(resp.Content)
		if err == nil {
			return sotopia.Judgement{Scores: ev.Scores, Reasoning: ev.Comments, Prompt: prompt}, nil
		}
		lastErr = err
	}
	return sotopia.Judgement{}, fmt.Errorf("live judge (%s, turn %d) %s: %w after %d attempts: %w",
		kind, req.Turn, model.Name(), ErrJudgeOutput, j.attempts, lastErr)
}
