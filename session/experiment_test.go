package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/sim"
	"github.com/also-project/also/sotopia/store"
)

// smokeCells are experiments/smoke.toml's cells with their store in a temporary folder.
func smokeCells(t *testing.T, storeDir string) []config.Cell {
	t.Helper()
	e, err := config.LoadExperiment("../experiments/smoke.toml")
	if err != nil {
		t.Fatal(err)
	}
	cells, err := e.Cells()
	if err != nil {
		t.Fatal(err)
	}
	for i := range cells {
		cells[i].Run.Store = storeDir
	}
	return cells
}

func storedEpisodes(t *testing.T, dir string) int {
	t.Helper()
	d, err := store.OpenDirReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	eps, err := d.Episodes(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return len(eps)
}

func TestExperimentPlanWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	cells := smokeCells(t, dir)
	plan, err := PlanExperiment(context.Background(), "smoke", cells, PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Cells) != len(cells) || plan.Remaining() != 18 {
		t.Fatalf("%d cells, %d episodes", len(plan.Cells), plan.Remaining())
	}
	var b strings.Builder
	if err := plan.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "6 cells (0 already done), 18 episodes to run") || !strings.Contains(b.String(), cells[5].Tag) {
		t.Fatalf("plan text:\n%s", b.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("planning touched the store: %v", err)
	}
}

func TestExperimentRunsResumesAndARerunDoesNothing(t *testing.T) {
	root := t.TempDir()
	dir, out := filepath.Join(root, "store"), filepath.Join(root, "runs")
	ctx := context.Background()
	// First a partial experiment: one episode per cell. Task selection is not part of a tag, so
	// the full experiment then resumes the same tags.
	cells := smokeCells(t, dir)
	for i := range cells {
		cells[i].Run.MaxEpisodes = 1
	}
	plan, err := PlanExperiment(ctx, "smoke", cells, PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunExperiment(ctx, plan, ExperimentOptions{OutDir: out}); err != nil {
		t.Fatal(err)
	}
	if n := storedEpisodes(t, dir); n != 6 {
		t.Fatalf("%d episodes stored, want 6", n)
	}
	plan, err = PlanExperiment(ctx, "smoke", smokeCells(t, dir), PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Remaining() != 12 || plan.Cells[0].Plan.Skipped != 1 {
		t.Fatalf("resume plan: %d to run, %d skipped in cell 0", plan.Remaining(), plan.Cells[0].Plan.Skipped)
	}
	results, err := RunExperiment(ctx, plan, ExperimentOptions{OutDir: out, BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome == nil || r.Outcome.Skipped != 1 || r.Outcome.Summary.Done != 2 {
			t.Fatalf("cell %s: %+v", r.Cell.Label, r)
		}
	}
	if n := storedEpisodes(t, dir); n != 18 {
		t.Fatalf("%d episodes stored, want 18", n)
	}
	folders, _ := os.ReadDir(out)
	// The rerun: nothing to run, nothing written (no run folder, no episode).
	plan, err = PlanExperiment(ctx, "smoke", smokeCells(t, dir), PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	results, err = RunExperiment(ctx, plan, ExperimentOptions{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Skipped || r.Outcome != nil {
			t.Fatalf("rerun ran cell %s", r.Cell.Label)
		}
	}
	after, _ := os.ReadDir(out)
	if n := storedEpisodes(t, dir); n != 18 || len(after) != len(folders) {
		t.Fatalf("rerun wrote: %d episodes, %d run folders (was %d)", n, len(after), len(folders))
	}
}

func TestExperimentRefusesACellWhoseTagIsBoundElsewhere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	cells := smokeCells(t, dir)
	other := cells[0].Run
	other.Seed = 99 // another configuration under cell 0's tag
	other.MaxEpisodes = 1
	other.Out = filepath.Join(t.TempDir(), "run")
	if _, err := Execute(context.Background(), other, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := PlanExperiment(context.Background(), "smoke", cells, PlanAssumptions{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cell "+cells[0].Label) || !strings.Contains(err.Error(), "seed: 99 -> 1") {
		t.Fatalf("error %v", err)
	}
}

// countingWorld counts episodes started; countingStore counts attempts recorded. Their difference
// when an episode starts bounds the episodes in flight from above.
type inFlight struct {
	mu                  sync.Mutex
	started, saved, max int
}

type countingWorld struct {
	sotopia.World
	c *inFlight
}

func (w *countingWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	w.c.mu.Lock()
	w.c.started++
	w.c.max = max(w.c.max, w.c.started-w.c.saved)
	w.c.mu.Unlock()
	return w.World.NewEpisode(ctx, spec)
}

type countingStore struct {
	*store.Dir
	c *inFlight
}

func (s *countingStore) SaveEpisode(ctx context.Context, ep *sotopia.EpisodeLog) error {
	err := s.Dir.SaveEpisode(ctx, ep)
	s.c.mu.Lock()
	s.c.saved++
	s.c.mu.Unlock()
	return err
}

func TestExperimentBoundsEpisodesInFlightAcrossCells(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	cells := smokeCells(t, dir)
	for i := range cells {
		cells[i].Run.BatchSize = 2
	}
	plan, err := PlanExperiment(context.Background(), "smoke", cells, PlanAssumptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := &inFlight{}
	ds := sotopia.MustEmbedded()
	opt := ExperimentOptions{BatchSize: 3, OutDir: t.TempDir(), Store: &countingStore{Dir: d, c: c},
		World: func(r config.Run) (sotopia.World, error) {
			w, err := sim.New(r.Sim, ds)
			return &countingWorld{World: w, c: c}, err
		}}
	if _, err := RunExperiment(context.Background(), plan, opt); err != nil {
		t.Fatal(err)
	}
	if c.started != 18 || c.max > 3 {
		t.Fatalf("%d episodes started, at most %d in flight: want 18 and at most 3", c.started, c.max)
	}
	t.Logf("at most %d episodes in flight (bound 3)", c.max)
}

func TestExperimentErrorSumsIncompleteCells(t *testing.T) {
	cell := func(tag string) config.Cell { return config.Cell{Tag: tag, Label: tag} }
	plan := &ExperimentPlan{Cells: []CellPlan{
		{Cell: cell("a"), Plan: &Plan{Tasks: []string{"t1", "t2"}, Skipped: 1}},
		{Cell: cell("b"), Plan: &Plan{Tasks: []string{"t1", "t2", "t3"}}},
		{Cell: cell("c"), Plan: &Plan{Skipped: 4}},
	}}
	results := []CellOutcome{
		{Cell: cell("a"), Outcome: &Outcome{Skipped: 1}, Err: &IncompleteError{Tag: "a", Planned: 3, Done: 2, Failed: 1}},
		{Cell: cell("b"), Outcome: &Outcome{}},
		{Cell: cell("c"), Skipped: true},
	}
	results[0].Outcome.Summary.Done = 1
	results[1].Outcome.Summary.Done = 3
	err := experimentError(context.Background(), plan, results)
	var inc *IncompleteError
	if !errors.As(err, &inc) || inc.Planned != 10 || inc.Done != 9 || inc.Failed != 1 || !strings.Contains(err.Error(), "rerun the experiment") {
		t.Fatalf("error %v (%+v)", err, inc)
	}
	results[1].Err = refuse(errors.New("bad"))
	var ce *ConfigError
	if err := experimentError(context.Background(), plan, results); !errors.As(err, &ce) || !strings.Contains(err.Error(), "cell b: bad") {
		t.Fatalf("a refused cell: %v", err)
	}
}
