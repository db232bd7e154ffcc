// Package session wires a config.Run into a world, a store and the actors, runs it and writes the
// run folder. The CLI and the end-to-end tests share it, so the command itself stays flag parsing.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/config"
	"github.com/also-project/also/nn"
	prog "github.com/also-project/also/progress"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// Options are what a caller may add to a configuration.
type Options struct {
	// World replaces the world the configuration names (tests inject faulty agents this way).
	World sotopia.World
	// Store replaces the store the configuration names.
	Store store.Store
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Stop, if set, is asked before each new episode (a budget); a non-empty reason stops the run.
	// A live world's --budget-usd is asked as well.
	Stop func() string
	// LLM adjusts how a live run reaches its models (tests, proxies); zero is production.
	LLM LLMOptions
	// Progress, if set, follows the run (episodes, turns, tokens, dollars; progress.Show
	// displays it). One tracker may follow many runs, each under its tag.
	Progress *prog.Tracker
	// Dispatch, if set, plays the run's episodes elsewhere (a cluster: package cluster) instead
	// of in this process; everything else (tag, resume, folder, progress, summary) stays here.
	Dispatch Dispatcher
	// RepeatTasks lets the task list name a task more than once (the LLM bench plays more
	// episodes than there are tasks); a user's --tasks never does.
	RepeatTasks bool
	// Pool, if set, trains the neural policies' surrogates (default: one worker per core).
	Pool *nn.Pool
}

// Outcome is what a run produced.
type Outcome struct {
	Dir         string
	Tag         string
	Fingerprint string // the run's configuration identity (config.Identity)
	Summary     report.Summary
	Result      *actors.Result
	Skipped     int // tasks skipped because the store already has them (resume)
}

// collector is the run's sink: the store first (durability), then memory for episodes.jsonl.
type collector struct {
	store store.Store
	mu    sync.Mutex
	eps   []*sotopia.EpisodeLog
	turns map[string]int // by episode pk, for progress
}

// turnsOf is how many turns a recorded episode played.
func (c *collector) turnsOf(pk string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.turns[pk]
}

func (c *collector) Save(ctx context.Context, ep *sotopia.EpisodeLog) error {
	if err := c.store.SaveEpisode(ctx, ep); err != nil {
		return err
	}
	c.mu.Lock()
	c.eps = append(c.eps, ep)
	if c.turns == nil {
		c.turns = map[string]int{}
	}
	c.turns[ep.PK] = len(ep.Turns)
	c.mu.Unlock()
	return nil
}

// Execute runs cfg and writes its run folder. Everything that can refuse the run - the
// configuration, the task list, keys and endpoints, the store, the tag's binding - is checked
// before the folder is created, so a run that does not start leaves nothing behind. The error
// says how the run ended when it is not a full success: *ConfigError (refused before it
// started), *EndpointError, *InterruptedError (cancelled: SIGINT/SIGTERM) or *IncompleteError
// (finished, not every task done); the Outcome is returned with the last two.
func Execute(ctx context.Context, cfg config.Run, opt Options) (*Outcome, error) {
	if err := cfg.Validate(); err != nil {
		return nil, refuse(err)
	}
	if cfg.Tag == "" {
		cfg.Tag = cfg.DefaultTag()
	}
	id, err := cfg.Identity()
	if err != nil {
		return nil, refuse(err)
	}
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, err
	}
	tasks, err := planTasks(ds, cfg, opt.RepeatTasks)
	if err != nil {
		return nil, refuse(err)
	}
	strategies, err := sotopia.Strategies(cfg.StrategyVersion)
	if err != nil {
		return nil, refuse(err)
	}
	if entries, err := os.ReadDir(cfg.Out); cfg.Out != "" && err == nil && len(entries) > 0 {
		// Checked now, not when the folder is made: nothing else (store, tag) is touched first.
		return nil, refuse(fmt.Errorf("run folder %s already exists and is not empty; choose another --out", cfg.Out))
	}
	optimised, _ := cfg.Optimised()
	carry, err := policyCarry(cfg, optimised, strategies)
	if err != nil {
		return nil, refuse(err)
	}
	if err := refuseDispatchedCarry(carry, opt); err != nil {
		return nil, err
	}
	opt.Log = lockedWriter(opt.Log)
	world := opt.World
	if world == nil {
		w, closeWorld, err := NewWorld(cfg, ds, opt)
		if err != nil {
			return nil, refuse(err)
		}
		defer closeWorld()
		world = w
	}
	if err := checkEndpoints(ctx, world, opt.Log); err != nil {
		return nil, err
	}
	st := opt.Store
	if st == nil {
		if st, err = OpenStore(ctx, cfg); err != nil {
			return nil, err
		}
		defer st.Close()
	}
	release, err := claimTag(ctx, st, cfg, id, tasks)
	if err != nil {
		return nil, err
	}
	defer release()
	out := &Outcome{Dir: cfg.Out, Tag: cfg.Tag, Fingerprint: id.Fingerprint}
	first := map[string]int{}
	planned := len(tasks) // entries: with RepeatTasks a task listed twice is planned twice
	if cfg.Resume {
		if tasks, first, out.Skipped, err = resumePlan(ctx, st, cfg.Tag, tasks); err != nil {
			return nil, err
		}
		if err := refuseCarriedResume(cfg, carry, out.Skipped, len(tasks)); err != nil {
			return nil, err
		}
	}
	if cfg.Out == "" {
		cfg.Out = report.FreeName(filepath.Join("runs", fmt.Sprintf("%s_%s", cfg.Tag, time.Now().UTC().Format("20060102T150405Z"))))
		out.Dir = cfg.Out
	}
	folder, err := report.CreateFolder(cfg.Out)
	if err != nil {
		return nil, err
	}
	if err := folder.WriteJSON("run.json", cfg); err != nil {
		os.RemoveAll(cfg.Out) // ours, and empty but for a partial run.json
		return nil, err
	}
	logf := func(string, ...any) {}
	if opt.Log != nil {
		logf = func(format string, args ...any) { fmt.Fprintf(opt.Log, format+"\n", args...) }
	}
	logf("tag %s, configuration fingerprint %s", cfg.Tag, id.Fingerprint)
	sink := &collector{store: st}
	onDone := progress(logf, len(tasks), time.Now)
	if t := opt.Progress; t != nil {
		t.Begin(cfg.Tag, len(tasks), cfg.BatchSize, func() (sotopia.Usage, bool) { return worldUsage(world) })
		defer t.End(cfg.Tag)
		logOnly := onDone
		onDone = func(a actors.Attempt) {
			logOnly(a)
			t.Record(cfg.Tag, a.Status, a.Final, sink.turnsOf(a.EpisodePK), a.Usage)
		}
	}
	batch := cfg.BatchSize
	if carry != nil && batch != 1 {
		logf("policy checkpoints: episodes run one at a time (batch size 1, not %d), carrying the state in task order", batch)
		batch = 1
	}
	spec := episodeSpec(cfg, ds, world, strategies, tasks)
	spec.BatchSize, spec.Carry, spec.Sink, spec.FirstAttempt = batch, carry, sink, first
	spec.Stop, spec.Logf, spec.OnDone, spec.Pool = budgetStop(opt.Stop, world), logf, onDone, opt.Pool
	if len(tasks) == 0 {
		logf("nothing to run: all %d tasks are already stored under tag %s", out.Skipped, cfg.Tag)
		out.Result = &actors.Result{}
	} else if out.Result, err = playEpisodes(ctx, cfg, spec, st, opt); err != nil {
		os.RemoveAll(cfg.Out) // the run never started: no half-made folder
		return nil, err
	}
	index := map[string]int{}
	for i, t := range tasks {
		index[t.PK] = i
	}
	var indexed []report.Indexed
	for _, ep := range sink.eps {
		indexed = append(indexed, report.Indexed{Index: index[ep.TaskID], Episode: ep})
	}
	if err := folder.WriteEpisodes(indexed); err != nil {
		return nil, err
	}
	// Summarise in plan order (WriteEpisodes sorted indexed), so float sums do not depend on
	// which episode finished first.
	ordered := make([]*sotopia.EpisodeLog, len(indexed))
	for i, e := range indexed {
		ordered[i] = e.Episode
	}
	out.Summary = report.Summarise(cfg.Tag, ordered)
	out.Summary.Stopped = out.Result.StoppedEarly
	if u, ok := worldUsage(world); ok && opt.Dispatch == nil { // on a cluster the workers spent it
		// The world's meter is what was spent, including calls that returned after their
		// episode was recorded; without such stragglers it equals the episodes' sum.
		out.Summary.Usage = u
	}
	if err := folder.WriteJSON("summary.json", out.Summary); err != nil {
		return nil, err
	}
	if err := writePolicyOut(cfg, carry, optimised, logf); err != nil {
		return out, err
	}
	if ctx.Err() != nil {
		return out, &InterruptedError{Tag: cfg.Tag, Cause: context.Cause(ctx)}
	}
	c := countPlan(len(tasks), out.Result.Attempts)
	if done := out.Skipped + c.done; done < planned {
		return out, &IncompleteError{Tag: cfg.Tag, Planned: planned, Done: done, Failed: c.failed,
			NotStarted: c.notStarted, Stopped: out.Summary.Stopped}
	}
	return out, nil
}

// planCount is how the plan's entries ended, each by its last attempt.
type planCount struct{ done, failed, notStarted int }

// countPlan counts by plan entry (attempt index), not by task id: with Options.RepeatTasks a
// task listed twice is two entries, and one entry's success says nothing about the other's.
func countPlan(entries int, attempts []actors.Attempt) planCount {
	last := map[int]actors.Attempt{}
	for _, a := range attempts {
		if cur, ok := last[a.Index]; !ok || a.Attempt >= cur.Attempt {
			last[a.Index] = a
		}
	}
	c := planCount{notStarted: entries - len(last)}
	for _, a := range last {
		switch a.Status {
		case sotopia.StatusDone:
			c.done++
		case sotopia.StatusInterrupted:
		default:
			c.failed++
		}
	}
	return c
}

// episodeSpec is what every episode of cfg shares; the caller adds the run's sink, batch,
// attempts and callbacks.
func episodeSpec(cfg config.Run, ds *sotopia.Dataset, world sotopia.World, strategies []sotopia.Strategy, tasks []sotopia.Task) actors.Spec {
	optimised, _ := cfg.Optimised()
	pol := cfg.Policy
	pol.Horizon = max(1, cfg.MaxTurns-1)
	pol.ALSO.UseContext = cfg.UseContext
	return actors.Spec{
		Dataset: ds, World: world, Tasks: tasks, Era: sotopia.Era(cfg.Era), MaxTurns: cfg.MaxTurns,
		Optimised: optimised, Bandit: cfg.Bandit, Policy: pol, Strategies: strategies, UseContext: cfg.UseContext,
		Credit: cfg.Credit, Seed: cfg.Seed, Tag: cfg.Tag, BatchSize: cfg.BatchSize, MaxRetries: cfg.MaxRetries,
		StepTimeout: time.Duration(cfg.StepTimeout),
	}
}

// planTasks resolves the subset, the explicit task list and --max-episodes. A task listed twice
// is an error: it would run twice under one id.
func planTasks(ds *sotopia.Dataset, cfg config.Run, repeat bool) ([]sotopia.Task, error) {
	var tasks []sotopia.Task
	if len(cfg.Tasks) > 0 {
		seen := map[string]bool{}
		for _, id := range cfg.Tasks {
			if seen[id] && !repeat {
				return nil, fmt.Errorf("tasks: %q is listed twice", id)
			}
			seen[id] = true
			t, ok := ds.Task(id)
			if !ok {
				return nil, fmt.Errorf("unknown task %q (see `also data tasks`)", id)
			}
			tasks = append(tasks, t)
		}
	} else {
		var err error
		if tasks, err = ds.Subset(cfg.Subset); err != nil {
			return nil, err
		}
	}
	if cfg.MaxEpisodes > 0 && cfg.MaxEpisodes < len(tasks) {
		tasks = tasks[:cfg.MaxEpisodes]
	}
	if len(tasks) == 0 {
		return nil, errors.New("no tasks selected")
	}
	return tasks, nil
}

// resumePlan drops tasks already done under the tag and numbers the others' attempts after the
// ones stored, so earlier failed attempts stay visible.
func resumePlan(ctx context.Context, st store.Store, tag string, tasks []sotopia.Task) ([]sotopia.Task, map[string]int, int, error) {
	stored, err := st.Episodes(ctx, store.Query{Tag: tag})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("resume: %w", err)
	}
	done := map[string]bool{}
	next := map[string]int{}
	for _, ep := range stored {
		if ep.Status == sotopia.StatusDone {
			done[ep.TaskID] = true
		}
		next[ep.TaskID] = max(next[ep.TaskID], ep.Attempt+1)
	}
	var rest []sotopia.Task
	skipped := 0
	for _, t := range tasks {
		if done[t.PK] {
			skipped++
			continue
		}
		rest = append(rest, t)
	}
	return rest, next, skipped, nil
}

// progress reports each finished task as "[k/n] task ... done (elapsed)" on the run's log
// (failed attempts are already reported by the runner, with their reason).
func progress(logf func(string, ...any), total int, now func() time.Time) func(actors.Attempt) {
	start, finished := now(), 0
	return func(a actors.Attempt) {
		if a.Status != sotopia.StatusDone {
			return
		}
		finished++
		logf("[%d/%d] task %s attempt %d done (%s)", finished, total, a.TaskID, a.Attempt, now().Sub(start).Round(time.Second))
	}
}
