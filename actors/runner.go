package actors

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/also-project/also/loop"
	"github.com/also-project/also/messages"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/sotopia"
)

// stopLaunching asks the Runner to start no new episodes (cancellation).
type stopLaunching struct{ reason string }

// runnerActor starts at most BatchSize episodes at once, retries failed tasks and reports when
// every task has a final attempt.
type runnerActor struct {
	spec     *Spec
	loop     *loop.Config
	base     context.Context
	queue    []messages.StartEpisode
	running  map[string]messages.StartEpisode // by episode actor id
	recorder *actor.PID
	result   *Result
	done     chan struct{}
}

func (r *runnerActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		rec := &recorderActor{base: r.base, sink: r.spec.Sink}
		r.recorder = c.Spawn(actor.PropsFromProducer(func() actor.Actor { return rec }))
		for i, t := range r.spec.Tasks {
			first := r.spec.FirstAttempt[t.PK]
			r.queue = append(r.queue, messages.StartEpisode{Index: i, Attempt: first, Task: t, Seed: loop.Seed(r.spec.Seed, t.PK, first)})
		}
		r.launch(c)
	case *stopLaunching:
		r.stop(m.reason)
		r.finishIfIdle()
	case *messages.EpisodeDone:
		r.onDone(c, m)
	case *childFailed:
		// An Episode actor itself panicked: record the attempt as failed so nothing is lost.
		start, ok := r.running[m.child]
		if !ok {
			return
		}
		ep := &sotopia.EpisodeLog{PK: loop.PK(r.spec.Tag, r.spec.Seed, start.Task.PK, start.Attempt),
			Environment: start.Task.EnvID, Agents: start.Task.AgentIDs, Tag: r.spec.Tag, TaskID: start.Task.PK,
			Seed: start.Seed, Attempt: start.Attempt, Status: sotopia.StatusFailed, Turns: []sotopia.TurnRecord{},
			Error: "episode panicked: " + m.reason}
		done := &messages.EpisodeDone{Index: start.Index, Attempt: start.Attempt, TaskID: start.Task.PK,
			EpisodePK: ep.PK, Status: sotopia.StatusFailed, Error: ep.Error}
		delete(r.running, m.child)
		r.running["recording:"+m.child] = start
		f := c.RequestFuture(r.recorder, &messages.Record{Index: start.Index, Episode: *ep}, time.Minute)
		c.ReenterAfter(f, func(res interface{}, err error) {
			delete(r.running, "recording:"+m.child)
			if st, ok := res.(*messages.Stored); err != nil || !ok || st.Error != "" {
				done.Error += fmt.Sprintf(" (and recording failed: %v %v)", err, res)
			}
			r.account(c, done)
		})
	}
}

func (r *runnerActor) onDone(c actor.Context, m *messages.EpisodeDone) {
	for id, s := range r.running {
		if s.Index == m.Index && s.Attempt == m.Attempt {
			delete(r.running, id)
			break
		}
	}
	r.account(c, m)
}

func (r *runnerActor) account(c actor.Context, m *messages.EpisodeDone) {
	a := Attempt{Index: m.Index, Attempt: m.Attempt, TaskID: m.TaskID, EpisodePK: m.EpisodePK, Status: m.Status, Error: m.Error, Usage: m.Usage,
		Final: true}
	if m.Status == sotopia.StatusInterrupted {
		r.spec.logf("episode %d (task %s) attempt %d interrupted: %s", m.Index, m.TaskID, m.Attempt, m.Error)
	}
	if m.Status == sotopia.StatusFailed {
		r.spec.logf("episode %d (task %s) attempt %d failed: %s", m.Index, m.TaskID, m.Attempt, m.Error)
		task := r.spec.Tasks[m.Index]
		if r.spec.Retries(task.PK, m.Attempt) && r.result.StoppedEarly == "" {
			a.Final = false
			// Retries go first so a task's attempts stay together; each attempt has its own seed.
			r.queue = append([]messages.StartEpisode{{Index: m.Index, Attempt: m.Attempt + 1, Task: task,
				Seed: loop.Seed(r.spec.Seed, task.PK, m.Attempt+1)}}, r.queue...)
		}
	}
	r.result.Attempts = append(r.result.Attempts, a)
	if r.spec.OnDone != nil {
		r.spec.OnDone(a)
	}
	r.launch(c)
}

func (r *runnerActor) launch(c actor.Context) {
	for len(r.running) < r.spec.BatchSize && len(r.queue) > 0 && r.result.StoppedEarly == "" {
		if r.spec.Stop != nil {
			if reason := r.spec.Stop(); reason != "" {
				r.stop(reason)
				break
			}
		}
		start := r.queue[0]
		r.queue = r.queue[1:]
		ep := &episodeActor{spec: r.spec, loop: r.loop, base: r.base, start: start, runner: c.Self(), recorder: r.recorder}
		props := actor.PropsFromProducer(func() actor.Actor { return ep }, actor.WithSupervisor(failToParent{}))
		pid := c.Spawn(props)
		r.running[pid.Id] = start
	}
	r.finishIfIdle()
}

func (r *runnerActor) stop(reason string) {
	r.spec.StopLaunching(r.result, reason, len(r.queue))
	r.queue = nil
}

func (r *runnerActor) finishIfIdle() {
	if len(r.running) == 0 && len(r.queue) == 0 && r.done != nil {
		r.result.SortAttempts()
		close(r.done)
		r.done = nil
	}
}

// Run plays every task of spec on a fresh actor system and returns when each task has a final
// attempt, or when ctx is cancelled and the episodes in flight have been recorded.
func Run(ctx context.Context, spec Spec) (*Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.Pool == nil {
		pool, err := nn.NewPool(nn.DefaultWorkers())
		if err != nil {
			return nil, err
		}
		spec.Pool = pool
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	defer system.Shutdown()
	done := make(chan struct{})
	r := &runnerActor{spec: &spec, loop: spec.loopConfig(), base: ctx, running: map[string]messages.StartEpisode{}, result: &Result{}, done: done}
	pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }, actor.WithSupervisor(failToParent{})))
	select {
	case <-done:
	case <-ctx.Done():
		system.Root.Send(pid, &stopLaunching{reason: "cancelled: " + context.Cause(ctx).Error()})
		<-done
	}
	system.Root.Stop(pid)
	return r.result, nil
}
