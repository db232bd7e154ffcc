package live

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/also-project/also/llm"
)

// embedBatch is how many texts go in one request (providers cap the input list).
const embedBatch = 64

// Embedder implements sotopia.Embedder with an embedding model. Vectors are remembered for the
// episode (the dialogue text repeats when a turn adds nothing), on top of the llm record/replay
// cache. The memo is the episode's own, not the run's: what a call sends (its texts minus those
// remembered) must depend only on the episode's history, never on what concurrent episodes
// happened to embed first, or a recorded run could not be replayed and per-episode usage would
// change from run to run. An empty text (the dialogue before anyone spoke) embeds as the zero
// vector: providers reject empty inputs, and "no context" is what it means.
type Embedder struct {
	model    llm.Model
	dims     int
	memo     *vectorMemo
	provider *llm.ProviderPreferences
}

// Embed implements sotopia.Embedder.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	var todo []string
	var at []int
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			continue
		}
		if v, ok := e.memo.get(t); ok {
			out[i] = v
			continue
		}
		todo, at = append(todo, t), append(at, i)
	}
	for start := 0; start < len(todo); start += embedBatch {
		end := min(start+embedBatch, len(todo))
		resp, err := e.model.Embed(ctx, llm.EmbedRequest{Input: todo[start:end], Dimensions: e.dims, Provider: e.provider})
		if err != nil {
			return nil, fmt.Errorf("live embedder: %w", err)
		}
		for k, v := range resp.Vectors {
			out[at[start+k]] = v
			e.memo.put(todo[start+k], v)
		}
	}
	return e.fillEmpty(ctx, out)
}

// fillEmpty gives empty texts a zero vector of the model's dimension, learning the dimension
// with one probe call if no vector is known yet.
func (e *Embedder) fillEmpty(ctx context.Context, out [][]float64) ([][]float64, error) {
	dim := e.dims
	for _, v := range out {
		if v != nil {
			dim = len(v)
			break
		}
	}
	for i, v := range out {
		if v != nil {
			continue
		}
		if dim == 0 {
			dim = e.memo.dim()
		}
		if dim == 0 {
			probe, err := e.Embed(ctx, []string{"."})
			if err != nil {
				return nil, err
			}
			dim = len(probe[0])
		}
		out[i] = make([]float64, dim)
	}
	return out, nil
}

// maxMemo bounds the memo; dialogue texts are unique, arm texts few.
const maxMemo = 4096

// vectorMemo is a bounded, concurrency-safe text -> vector map.
type vectorMemo struct {
	mu      sync.Mutex
	vectors map[string][]float64
	lastDim int
}

func newVectorMemo() *vectorMemo { return &vectorMemo{vectors: map[string][]float64{}} }

func (m *vectorMemo) get(text string) ([]float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vectors[text]
	// Copies both ways: a caller that scales its vectors in place must not change the memo.
	return append([]float64(nil), v...), ok
}

func (m *vectorMemo) put(text string, v []float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastDim = len(v)
	if len(m.vectors) < maxMemo {
		m.vectors[text] = append([]float64(nil), v...)
	}
}

func (m *vectorMemo) dim() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastDim
}
