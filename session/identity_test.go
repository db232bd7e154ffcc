package session

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

func storedUnder(t *testing.T, dir, tag string) []*sotopia.EpisodeLog {
	t.Helper()
	st, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eps, err := st.Episodes(context.Background(), store.Query{Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// Issue 9.1: a second run under one tag with another eta is refused before it starts, the
// message lists eta, and the tag's episodes are untouched.
func TestTagRefusesAnotherConfiguration(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	first := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.MaxEpisodes = storeDir, "pinned", 2 })
	if _, err := Execute(context.Background(), first, Options{}); err != nil {
		t.Fatal(err)
	}
	before := storedUnder(t, storeDir, "pinned")
	for _, resume := range []bool{false, true} {
		second := quickRun(t, func(c *config.Run) {
			c.Store, c.Tag, c.MaxEpisodes, c.Policy.Eta, c.Resume = storeDir, "pinned", 3, 20, resume
		})
		_, err := Execute(context.Background(), second, Options{})
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "policy.eta: 5 -> 20") || !strings.Contains(err.Error(), "tag pinned belongs to another configuration") {
			t.Fatalf("resume=%v: error %v, want a refusal listing policy.eta", resume, err)
		}
		if strings.Contains(err.Error(), "max_episodes") {
			t.Errorf("the refusal lists a selection setting:\n%v", err)
		}
		if _, err := os.Stat(second.Out); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the refused run left its folder %s", second.Out)
		}
	}
	if after := storedUnder(t, storeDir, "pinned"); !reflect.DeepEqual(before, after) {
		t.Fatal("the refused runs changed the tag's episodes")
	}
	// The same configuration resumes, even with more tasks (selection is not identity).
	again := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.MaxEpisodes, c.Resume = storeDir, "pinned", 3, true })
	out, err := Execute(context.Background(), again, Options{})
	if err != nil || out.Skipped != 2 || out.Summary.Done != 1 {
		t.Fatalf("resume with the bound configuration: %v, %+v", err, out)
	}
}

// A fresh run (no --resume) may not replay tasks its tag already holds: their ids would collide
// with the stored episodes'.
func TestFreshRunRefusesTasksTheTagHolds(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	cfg := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.MaxEpisodes = storeDir, "twice", 1 })
	if _, err := Execute(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	cfg.Out = filepath.Join(t.TempDir(), "second")
	_, err := Execute(context.Background(), cfg, Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("error %v, want a refusal pointing at --resume", err)
	}
}

// Issue 9.3: a model nobody serves is an error before any episode, naming the endpoint, and
// leaves no run folder and no store behind.
func TestUnreachableModelFailsBeforeAnyEpisode(t *testing.T) {
	dir := t.TempDir()
	cfg := config.DefaultRun()
	cfg.Model = "custom/nobody@http://127.0.0.1:1/v1" // port 1: nothing listens
	cfg.Out, cfg.Store = filepath.Join(dir, "run"), filepath.Join(dir, "store")
	cfg.LLMRetryDelay = config.Duration(time.Millisecond)
	start := time.Now()
	_, err := Execute(context.Background(), cfg, liveOptions(nil, map[string]string{"OPENROUTER_API_KEY": "sk-test"}))
	var ee *EndpointError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "custom/nobody@http://127.0.0.1:1/v1") || !strings.Contains(err.Error(), "p1_model, p2_model") {
		t.Fatalf("error %v, want an endpoint error naming the agents' model", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the check took %v", time.Since(start))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("a run refused at start left %v behind", entries)
	}
}

func TestDuplicateTaskIsRefused(t *testing.T) {
	ds := sotopia.MustEmbedded()
	hard, _ := ds.Subset("hard")
	cfg := quickRun(t, func(c *config.Run) { c.Tasks = []string{hard[0].PK, hard[1].PK, hard[0].PK} })
	_, err := Execute(context.Background(), cfg, Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), hard[0].PK) || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("error %v, want the duplicate named", err)
	}
	if _, err := os.Stat(cfg.Out); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the refused run left its folder")
	}
}

// A tag holding episodes whose configuration is unknown (imported) takes no run.
func TestUnboundTagWithEpisodesIsRefused(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	st, err := store.OpenDir(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	ds := sotopia.MustEmbedded()
	task := ds.Tasks[0]
	ep := &sotopia.EpisodeLog{PK: "IMPORTED1", Environment: task.EnvID, Agents: task.AgentIDs, Tag: "imported", TaskID: task.PK, Status: sotopia.StatusDone}
	if err := st.SaveEpisode(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.Resume = storeDir, "imported", true })
	_, err = Execute(context.Background(), cfg, Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no recorded configuration") {
		t.Fatalf("error %v", err)
	}
}

// memStore is an in-memory store with tag binding, for runs whose episodes the embedded store of
// this branch cannot hold yet (interrupted status). Only what Execute calls is implemented.
type memStore struct {
	store.Store
	mu      sync.Mutex
	eps     map[string]*sotopia.EpisodeLog
	configs map[string]store.RunConfig
	locked  map[string]bool
}

func newMemStore() *memStore {
	return &memStore{eps: map[string]*sotopia.EpisodeLog{}, configs: map[string]store.RunConfig{}, locked: map[string]bool{}}
}

func (m *memStore) SaveEpisode(_ context.Context, ep *sotopia.EpisodeLog) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.eps[ep.PK]; ok && !reflect.DeepEqual(old, ep) {
		return store.ErrConflict
	}
	c := *ep
	m.eps[ep.PK] = &c
	return nil
}

func (m *memStore) Episodes(_ context.Context, q store.Query) ([]*sotopia.EpisodeLog, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*sotopia.EpisodeLog
	for _, ep := range m.eps {
		if q.Tag == "" || ep.Tag == q.Tag {
			c := *ep
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PK < out[j].PK })
	return out, nil
}

func (m *memStore) BindTag(_ context.Context, rc store.RunConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.configs[rc.Tag]; ok && cur.Fingerprint != rc.Fingerprint {
		return &store.TagBoundError{Existing: cur}
	} else if !ok {
		m.configs[rc.Tag] = rc
	}
	return nil
}

func (m *memStore) TagConfig(_ context.Context, tag string) (store.RunConfig, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rc, ok := m.configs[tag]
	if !ok {
		return rc, store.ErrNotFound
	}
	return rc, nil
}

func (m *memStore) LockTag(_ context.Context, tag string) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locked[tag] {
		return nil, errors.New("tag " + tag + " is being written")
	}
	m.locked[tag] = true
	return func() { m.mu.Lock(); delete(m.locked, tag); m.mu.Unlock() }, nil
}

// stallingWorld makes every agent wait for the run's cancellation on its third action, as a
// live agent waits for its model when the user presses Ctrl-C.
type stallingWorld struct {
	sotopia.World
	stalled chan struct{} // told when an agent starts waiting
}

func (w stallingWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	ew, err := w.World.NewEpisode(ctx, spec)
	if err != nil {
		return nil, err
	}
	ew.Agents[0] = &stallingAgent{Agent: ew.Agents[0], stalled: w.stalled}
	return ew, nil
}

type stallingAgent struct {
	sotopia.Agent
	acts    int
	stalled chan struct{}
}

func (a *stallingAgent) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if a.acts++; a.acts == 3 {
		a.stalled <- struct{}{}
		<-ctx.Done()
		return sotopia.AgentAction{}, ctx.Err()
	}
	return a.Agent.Act(ctx, obs)
}

// Issue 9.6: episodes cut by SIGINT/SIGTERM are recorded as interrupted, the run says it was
// interrupted (not that episodes failed), and --resume runs exactly those tasks again.
func TestInterruptedEpisodesAreRerunByResume(t *testing.T) {
	st := newMemStore()
	cfg := quickRun(t, func(c *config.Run) { c.Tag, c.MaxEpisodes, c.BatchSize, c.MaxRetries = "cut", 3, 3, 2 })
	ds := sotopia.MustEmbedded()
	w, closeWorld, err := NewWorld(cfg, ds, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeWorld()
	ctx, cancel := context.WithCancelCause(context.Background())
	stalled := make(chan struct{}, 3)
	go func() {
		for range 3 { // every episode is mid-flight, its agent waiting for its model
			<-stalled
		}
		cancel(errors.New("interrupt signal received"))
	}()
	out, err := Execute(ctx, cfg, Options{Store: st, World: stallingWorld{World: w, stalled: stalled}})
	var ie *InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want an InterruptedError", err)
	}
	if s := out.Summary; s.Interrupted != 3 || s.Failed != 0 || s.Done != 0 {
		t.Fatalf("summary %+v, want 3 interrupted and nothing failed", s)
	}
	resume := cfg
	resume.Resume, resume.Out = true, filepath.Join(t.TempDir(), "resumed")
	out, err = Execute(context.Background(), resume, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if out.Skipped != 0 || out.Summary.Done != 3 {
		t.Fatalf("resume: skipped %d, summary %+v; want the 3 interrupted tasks run again", out.Skipped, out.Summary)
	}
	eps, _ := st.Episodes(context.Background(), store.Query{Tag: "cut"})
	byStatus := map[string]int{}
	for _, ep := range eps {
		byStatus[ep.Status]++
	}
	if byStatus[sotopia.StatusInterrupted] != 3 || byStatus[sotopia.StatusDone] != 3 || len(eps) != 6 {
		t.Fatalf("stored %v, want the 3 interrupted attempts kept beside 3 done ones", byStatus)
	}
}

// An occupied --out is refused before anything else is touched: no store, no tag binding.
func TestOccupiedOutTouchesNothing(t *testing.T) {
	cfg := quickRun(t, nil)
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Out, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Execute(context.Background(), cfg, Options{})
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(cfg.Store); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused run created its store (%v)", err)
	}
}

// The LLM bench repeats tasks on purpose (Options.RepeatTasks): no refusal, and a run whose every
// task is done is a success however often each was listed.
func TestRepeatTasksForTheBench(t *testing.T) {
	ds := sotopia.MustEmbedded()
	hard, _ := ds.Subset("hard")
	cfg := quickRun(t, func(c *config.Run) { c.Tasks, c.MaxTurns = []string{hard[0].PK, hard[0].PK}, 4 })
	out, err := Execute(context.Background(), cfg, Options{RepeatTasks: true})
	if err != nil || out.Summary.Done != 1 || len(out.Result.Attempts) != 2 {
		t.Fatalf("%v, %+v", err, out)
	}
}

// A tag bound before the canonical form left settings at their introduction default out (it
// carries the configuration's legacy fingerprint) is the same experiment: --resume continues it.
// A binding that is neither fingerprint is still refused.
func TestTagBoundToTheLegacyFingerprintResumes(t *testing.T) {
	storeDir := filepath.Join(t.TempDir(), "store")
	cfg := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.MaxEpisodes, c.Resume = storeDir, "old", 1, true })
	id, err := cfg.Identity()
	if err != nil || id.Legacy == "" {
		t.Fatalf("the sim run has no legacy fingerprint (%v): nothing to test", err)
	}
	bind := func(tag, fp string) {
		st, err := store.OpenDir(storeDir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.BindTag(context.Background(), store.RunConfig{Tag: tag, Fingerprint: fp, Config: id.Config, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	bind("old", id.Legacy)
	if out, err := Execute(context.Background(), cfg, Options{}); err != nil || out.Summary.Done != 1 {
		t.Fatalf("resume of a tag bound to the legacy fingerprint: %v, %+v", err, out)
	}
	bind("other", strings.Repeat("ab", 32))
	other := quickRun(t, func(c *config.Run) { c.Store, c.Tag, c.MaxEpisodes, c.Resume = storeDir, "other", 1, true })
	var ce *ConfigError
	if _, err := Execute(context.Background(), other, Options{}); !errors.As(err, &ce) {
		t.Fatalf("a tag bound to another fingerprint: %v, want a refusal", err)
	}
}

// Completion counts plan entries, not task ids: a task listed twice whose second play failed is
// one done and one failed entry (counting by id reported success and a negative not-started).
func TestCountPlanByEntry(t *testing.T) {
	done, failed := sotopia.StatusDone, sotopia.StatusFailed
	attempts := []actors.Attempt{
		{Index: 0, TaskID: "a", Status: done, Final: true},
		{Index: 1, TaskID: "a", Status: failed},
		{Index: 1, TaskID: "a", Attempt: 1, Status: failed, Final: true},
		{Index: 2, TaskID: "b", Status: failed},
		{Index: 2, TaskID: "b", Attempt: 1, Status: done, Final: true},
		{Index: 3, TaskID: "b", Status: sotopia.StatusInterrupted, Final: true},
	}
	got := countPlan(6, attempts)
	if want := (planCount{done: 2, failed: 1, notStarted: 2}); got != want {
		t.Fatalf("countPlan = %+v, want %+v", got, want)
	}
}
