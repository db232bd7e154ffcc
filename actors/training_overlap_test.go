package actors

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/nn"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// interval is when one call or training ran.
type interval struct{ start, end time.Time }

type timeline struct {
	mu            sync.Mutex
	calls, trains []interval
}

func (l *timeline) add(list *[]interval, start time.Time) {
	l.mu.Lock()
	*list = append(*list, interval{start, time.Now()})
	l.mu.Unlock()
}

// slowModelWorld gives every agent a model latency and records each call.
type slowModelWorld struct {
	sotopia.World
	latency time.Duration
	log     *timeline
}

func (w *slowModelWorld) NewEpisode(ctx context.Context, spec sotopia.EpisodeSpec) (*sotopia.EpisodeWorld, error) {
	ew, err := w.World.NewEpisode(ctx, spec)
	if err == nil {
		for i, a := range ew.Agents {
			ew.Agents[i] = &slowAgent{Agent: a, w: w}
		}
	}
	return ew, err
}

type slowAgent struct {
	sotopia.Agent
	w *slowModelWorld
}

func (a *slowAgent) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	start := time.Now()
	defer a.w.log.add(&a.w.log.calls, start)
	time.Sleep(a.w.latency)
	return a.Agent.Act(ctx, obs)
}

// cpuTrainer is a policy whose every selection trains on the shared pool by burning CPU.
type cpuTrainer struct {
	pool  *nn.Pool
	k     int
	train time.Duration
	log   *timeline
}

func (c *cpuTrainer) Name() string                 { return "cpu-trainer" }
func (c *cpuTrainer) Update(policy.Feedback) error { return nil }
func (c *cpuTrainer) Select(turn int, _ []float64) (policy.Choice, error) {
	err := c.pool.Do(context.Background(), func(*nn.Workspace) error {
		start := time.Now()
		defer c.log.add(&c.log.trains, start)
		x := 1.0
		for time.Since(start) < c.train {
			for range 1000 {
				x = x*1.0000001 + 1e-9
			}
		}
		_ = x
		return nil
	})
	return policy.Choice{Arm: turn % c.k, Prob: 1}, err
}

// An episode waiting for its model holds no training slot, and another episode's training does
// not hold up its model calls: with one training worker kept busy by CPU-bound trainings, model
// calls of the other episodes start and finish while a training runs (in the sim world an
// episode's own calls cannot overlap its own trainings: it waits for both arms; in a world without
// hidden state the other seat's training overlaps the next call, deferred_choice_test.go).
func TestTrainingDoesNotHoldUpOtherEpisodesCalls(t *testing.T) {
	spec, sink := testSpec(t, 3, "random")
	log := &timeline{}
	spec.World = &slowModelWorld{World: spec.World, latency: 5 * time.Millisecond, log: log}
	pool, _ := nn.NewPool(1)
	spec.Pool = pool
	spec.MaxTurns = 4
	spec.NewPolicy = func(seat int, p policy.Params) (policy.Policy, error) {
		return &cpuTrainer{pool: p.Pool, k: len(p.Arms), train: 60 * time.Millisecond, log: log}, nil
	}
	if _, err := Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if len(sink.eps) != 3 {
		t.Fatalf("%d episodes", len(sink.eps))
	}
	for _, ep := range sink.eps {
		if ep.Status != sotopia.StatusDone {
			t.Fatalf("episode %s: %s (%s)", ep.PK, ep.Status, ep.Error)
		}
	}
	inside := 0
	for _, c := range log.calls {
		for _, tr := range log.trains {
			if !c.start.Before(tr.start) && !c.end.After(tr.end) {
				inside++
				break
			}
		}
	}
	if len(log.trains) == 0 || inside == 0 {
		t.Fatalf("%d trainings, %d model calls, none of them ran while another episode trained", len(log.trains), len(log.calls))
	}
	if st := pool.Stats(); st.Jobs != int64(len(log.trains)) {
		t.Fatalf("pool ran %d jobs, %d trainings logged", st.Jobs, len(log.trains))
	}
}
