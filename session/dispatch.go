package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/also-project/also/actors"
	"github.com/also-project/also/config"
	"github.com/also-project/also/loop"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// Dispatcher plays a run's task attempts somewhere else than this process (package cluster
// places them on the members of a cluster). Execute keeps the rest: tag, resume, run folder,
// progress and summary.
type Dispatcher interface {
	Dispatch(ctx context.Context, run DispatchedRun) (*actors.Result, error)
}

// DispatchedRun is what a Dispatcher needs: the resolved configuration to hand to the members,
// the run's spec (tasks, first attempts, retries, Stop, Logf, OnDone and the Sink that records
// each stored episode for the run folder) and the store the members write to.
type DispatchedRun struct {
	Config config.Run
	Spec   actors.Spec
	Store  store.Store
}

// refuseDispatchedCarry refuses a run on a cluster whose policy is carried from episode to
// episode; Execute checks it before the world, store or tag binding are touched.
func refuseDispatchedCarry(carry *actors.PolicyCarry, opt Options) error {
	if carry == nil || opt.Dispatch == nil {
		return nil
	}
	return refuse(errors.New("--policy-in / --policy-out carry one policy from episode to episode in task order: they cannot run on a cluster"))
}

// playEpisodes plays spec here, or through opt.Dispatch.
func playEpisodes(ctx context.Context, cfg config.Run, spec actors.Spec, st store.Store, opt Options) (*actors.Result, error) {
	if opt.Dispatch == nil {
		return actors.Run(ctx, spec)
	}
	return opt.Dispatch.Dispatch(ctx, DispatchedRun{Config: cfg, Spec: spec, Store: st})
}

// TaskRunner plays single attempts of one run's tasks and stores them: a cluster worker's side
// of a dispatched run. Each attempt is played by the same actors as a local run.
type TaskRunner struct {
	cfg        config.Run
	ds         *sotopia.Dataset
	spec       actors.Spec
	closeWorld func()
}

// NewTaskRunner prepares cfg (as the coordinator resolved it: tag set) for playing its tasks
// one by one into st, training surrogates on pool. Keys come from this process's environment.
func NewTaskRunner(cfg config.Run, st store.Store, pool *nn.Pool, opt Options) (*TaskRunner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Tag == "" {
		return nil, errors.New("task runner: the run has no tag")
	}
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, err
	}
	strategies, err := sotopia.Strategies(cfg.StrategyVersion)
	if err != nil {
		return nil, err
	}
	world, closeWorld, err := NewWorld(cfg, ds, opt)
	if err != nil {
		return nil, err
	}
	spec := episodeSpec(cfg, ds, world, strategies, nil)
	spec.BatchSize, spec.MaxRetries, spec.Sink, spec.Pool = 1, 0, storeSink{st}, pool
	return &TaskRunner{cfg: cfg, ds: ds, spec: spec, closeWorld: closeWorld}, nil
}

// EpisodePK is the id attempt of task gets in the store.
func (r *TaskRunner) EpisodePK(taskID string, attempt int) string {
	return loop.PK(r.cfg.Tag, r.cfg.Seed, taskID, attempt)
}

// Play plays one attempt of a task and returns once it is stored (or failed to be).
func (r *TaskRunner) Play(ctx context.Context, taskID string, attempt int) (actors.Attempt, error) {
	task, ok := r.ds.Task(taskID)
	if !ok {
		return actors.Attempt{}, fmt.Errorf("unknown task %q", taskID)
	}
	spec := r.spec
	spec.Tasks = []sotopia.Task{task}
	spec.FirstAttempt = map[string]int{task.PK: attempt}
	res, err := actors.Run(ctx, spec)
	if err != nil {
		return actors.Attempt{}, err
	}
	if len(res.Attempts) != 1 {
		return actors.Attempt{}, fmt.Errorf("task %s attempt %d: not played (%s)", taskID, attempt, res.StoppedEarly)
	}
	return res.Attempts[0], nil
}

// Close frees the world.
func (r *TaskRunner) Close() { r.closeWorld() }

// storeSink records straight into the store (a worker keeps no episodes in memory).
type storeSink struct{ st store.Store }

func (s storeSink) Save(ctx context.Context, ep *sotopia.EpisodeLog) error {
	return s.st.SaveEpisode(ctx, ep)
}
