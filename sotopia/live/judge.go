package live

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// Judge is the Sotopia-Eval judge (sotopia.md 3.2): the per-turn or terminal prompt of the
// configured JudgePrompts over the environment-view history, one user message at temperature 0,
// parsed by ParseEvaluation. With the artifact's prompts an unparsable answer first gets one
// fix-up call, as the artifact's agenerate does. An unusable answer or an out-of-range score is
// asked again, up to the configured attempts; then the call fails. It never returns zero scores
// in place of a verdict. Scores are raw (Scores.Reward normalises).
type Judge struct {
	turn, episode llm.Model
	prompts       sotopia.JudgePrompts
	attempts      int
	maxTokens     int
	seed          int64
	// providers are the routing preferences of the per-turn and the terminal model.
	providers [2]*llm.ProviderPreferences
}

// JudgeTurn implements sotopia.Judge with the per-turn (reward) model and prompt.
func (j *Judge) JudgeTurn(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	return j.judge(ctx, j.turn, j.providers[0], "turn", sotopia.TurnJudgePrompt(j.prompts, req.History), req)
}

// JudgeEpisode implements sotopia.Judge with the terminal model and prompt.
func (j *Judge) JudgeEpisode(ctx context.Context, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	return j.judge(ctx, j.episode, j.providers[1], "episode", sotopia.EpisodeJudgePrompt(j.prompts, req.History), req)
}

// ErrJudgeOutput is wrapped by a judge failure caused by unusable answers (not by the API).
var ErrJudgeOutput = errors.New("judge gave no usable evaluation")

func (j *Judge) judge(ctx context.Context, model llm.Model, provider *llm.ProviderPreferences, kind, prompt string, req sotopia.JudgeRequest) (sotopia.Judgement, error) {
	if req.History == "" {
		return sotopia.Judgement{}, fmt.Errorf("live judge (%s, turn %d): empty history", kind, req.Turn)
	}
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
		if err != nil && j.prompts == sotopia.JudgePromptsALSO {
			ev, err = j.fixUp(ctx, model, attempt, resp.Content, err)
		}
		if err == nil {
			return sotopia.Judgement{Scores: ev.Scores, Reasoning: ev.Comments, Prompt: prompt}, nil
		}
		lastErr = err
	}
	return sotopia.Judgement{}, fmt.Errorf("live judge (%s, turn %d) %s: %w after %d attempts: %w",
		kind, req.Turn, model.Name(), ErrJudgeOutput, j.attempts, lastErr)
}

// fixUp is the artifact's one format_bad_output call after an unparsable judge answer (agenerate
// does it on every attempt): the fence-stripped answer and the judge's schema, on the judge's
// model, with response_format json_object and no temperature or max_tokens. It returns the
// parse error of the first answer if the fixed one does not parse either.
func (j *Judge) fixUp(ctx context.Context, model llm.Model, attempt int, answer string, parseErr error) (sotopia.Evaluation, error) {
	prompt := sotopia.ReformatPromptFor(sotopia.EraALSO, sotopia.CleanJSONResponse(answer), sotopia.JudgeFormatInstructionsFor(j.prompts))
	resp, err := model.Chat(ctx, llm.ChatRequest{
		Messages:       []llm.Message{llm.User(prompt)},
		ResponseFormat: &llm.ResponseFormat{Type: "json_object"},
		Seed:           llm.Int64(j.seed),
		CacheTag:       "judge fix-up attempt " + strconv.Itoa(attempt),
	})
	if err != nil {
		return sotopia.Evaluation{}, fmt.Errorf("%w; fix-up call: %w", parseErr, err)
	}
	ev, err := sotopia.ParseEvaluation(resp.Content)
	if err != nil {
		return sotopia.Evaluation{}, fmt.Errorf("%w; after the fix-up call: %w", parseErr, err)
	}
	return ev, nil
}
