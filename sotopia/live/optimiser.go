package live

import (
	"context"
	"fmt"
	"sync"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// optimiserMaxTokens is the artifact's max_tokens for every optimiser call.
const optimiserMaxTokens = 4096

// Optimiser is the prompt optimisers' LLM (sotopia.Optimiser) through the llm layer: routed,
// retried, limited, metered under llm.RoleOptimiser and cached like every call. The artifact asks
// OPRO's n = 5 samples in one request; the llm layer returns one choice per request, so each
// sample is its own request, told apart in the cache by its CacheTag (operator, seat, turn,
// sample): at temperature 1.0 they are independent draws either way.
type Optimiser struct {
	model llm.Model
	seed  int64
}

// Optimise implements sotopia.Optimiser: one user message per sample, no system message, as the
// artifact's litellm.acompletion calls.
func (o *Optimiser) Optimise(ctx context.Context, call sotopia.OptimiserCall) ([]string, error) {
	n := max(1, call.Samples)
	out, errs := make([]string, n), make([]error, n)
	// Samples are independent requests: sent together, so OPRO's five cost one round trip of
	// latency, as the artifact's single n = 5 request does.
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := o.model.Chat(ctx, llm.ChatRequest{
				Messages:    []llm.Message{llm.User(call.Prompt)},
				Temperature: llm.Float(call.Temperature),
				MaxTokens:   optimiserMaxTokens,
				Seed:        llm.Int64(o.seed),
				CacheTag:    fmt.Sprintf("optimiser|%s|seat %d|turn %d|sample %d", call.Operator, call.Seat, call.Turn, i),
			})
			out[i], errs[i] = resp.Content, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("optimiser %s, sample %d of %d: %w", o.model.Name(), i+1, n, err)
		}
	}
	return out, nil
}
