package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm/llmtest"
)

// Live cells share one router: with llm_concurrency 1 the fake server never sees two requests at
// once, although two cells (each with two episodes in flight) run together. Per-cell routers
// would allow one request per cell.
func TestExperimentLiveCellsShareOneRouter(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{Latency: 5 * time.Millisecond})
	base := liveRun(t, rig, func(c *config.Run) {
		c.MaxEpisodes, c.MaxTurns, c.BatchSize, c.LLMConcurrency, c.Resume = 2, 2, 2, 1, true
	})
	var cells []config.Cell
	for _, seed := range []int64{3, 4} {
		r := base
		r.Seed = seed
		r.Tag = r.DefaultTag()
		cells = append(cells, config.Cell{Tag: r.Tag, Run: r, Label: r.Tag})
	}
	plan, err := PlanExperiment(context.Background(), "live", cells, PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Total.Calls == 0 || plan.Cells[0].Plan.World != "live" {
		t.Fatalf("plan: %+v", plan.Total)
	}
	opt := ExperimentOptions{BatchSize: 4, OutDir: t.TempDir(), LLM: liveOptions(nil, nil).LLM}
	results, err := RunExperiment(context.Background(), plan, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome == nil || r.Outcome.Summary.Done != 2 || r.Outcome.Summary.Usage.Calls == 0 {
			t.Fatalf("cell %s: %+v", r.Cell.Label, r)
		}
	}
	if peak := rig.srv.PeakInFlight(); peak != 1 {
		t.Fatalf("peak requests in flight %d, want 1 (llm_concurrency 1 over both cells)", peak)
	}
}

// One router cannot hold two cells' different transport settings: the experiment is refused.
func TestExperimentRefusesLiveCellsWithDifferentTransport(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{})
	base := liveRun(t, rig, func(c *config.Run) { c.MaxEpisodes, c.Resume = 1, true })
	other := base
	other.Seed, other.LLMRPM = 4, 60
	var cells []config.Cell
	for i, r := range []config.Run{base, other} {
		r.Tag = r.DefaultTag()
		cells = append(cells, config.Cell{Tag: r.Tag, Run: r, Label: []string{"a", "b"}[i]})
	}
	plan, err := PlanExperiment(context.Background(), "live", cells, PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = RunExperiment(context.Background(), plan, ExperimentOptions{OutDir: t.TempDir(), LLM: liveOptions(nil, nil).LLM})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cell b: LLM transport settings") {
		t.Fatalf("error %v", err)
	}
	if n := rig.srv.Count(); n != 0 {
		t.Fatalf("%d requests before the experiment was refused", n)
	}
}
