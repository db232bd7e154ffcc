// Package actors runs Sotopia episodes as protoactor-go actors: a Runner bounds concurrency and
// retries, each Episode drives one episode's message flow, its Environment actor owns the Sotopia
// environment (and a world's hidden state), and Agent, Policy, Evaluator and Recorder actors
// wrap the domain code (sotopia, policy) without logic of their own. It is the only package that
// imports protoactor-go. docs/architecture.md describes the flow.
package actors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/also-project/also/loop"
	"github.com/also-project/also/nn"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
)

// Credit assignment modes (see package loop).
const (
	CreditAll     = loop.CreditAll
	CreditOwnTurn = loop.CreditOwnTurn
)

// Sink persists finished episodes; Save returns once the episode is durable.
type Sink interface {
	Save(ctx context.Context, ep *sotopia.EpisodeLog) error
}

// Spec is everything a run needs. The cmd layer fills it from flags or TOML.
type Spec struct {
	Dataset *sotopia.Dataset
	World   sotopia.World
	Tasks   []sotopia.Task
	// Era, MaxTurns and Omniscient configure every episode's environment.
	Era        sotopia.Era
	MaxTurns   int
	Omniscient bool
	// Optimised says which seats have a policy; Bandit names it (policy.New).
	Optimised [sotopia.Seats]bool
	Bandit    string
	// NewPolicy, if set, builds each optimised seat's policy instead of policy.New(Bandit, ...):
	// a library user's own policy, or a test's recording one.
	NewPolicy func(seat int, p policy.Params) (policy.Policy, error)
	Policy    policy.Config
	// Carry, if set, starts each optimised seat's policy from a checkpoint and carries its state
	// from episode to episode (PolicyCarry); it needs BatchSize 1.
	Carry      *PolicyCarry
	Strategies []sotopia.Strategy
	// Pool trains the neural policies' surrogates on a bounded set of workers shared by every
	// episode of the run; nil makes Run create one of nn.DefaultWorkers().
	Pool *nn.Pool
	// UseContext embeds the dialogue every turn and passes it to the policies (for the built-in
	// policies, only when the bandit reads it: policy.ReadsContext).
	UseContext bool
	Credit     string
	Seed       int64
	Tag        string
	// BatchSize bounds concurrent episodes; MaxRetries bounds extra attempts of a failed task.
	BatchSize  int
	MaxRetries int
	// FirstAttempt numbers a task's first attempt in this run (resume continues after the
	// attempts already stored, so earlier failures stay visible); missing tasks start at 0.
	FirstAttempt map[string]int
	// StepTimeout fails an episode that waits longer than this for any reply.
	StepTimeout time.Duration
	Sink        Sink
	// OnDone, if set, is called (from the Runner actor) after each recorded attempt.
	OnDone func(Attempt)
	// Stop, if set, is asked before each new episode; a non-empty reason stops starting new ones.
	Stop func() string
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// Attempt is one recorded try of a task.
type Attempt struct {
	Index     int
	Attempt   int
	TaskID    string
	EpisodePK string
	Status    string
	Error     string
	Usage     sotopia.Usage
	// Final says no retry of this task follows (the runner's rule: only failed attempts are
	// retried, up to max_retries, and none once the run stopped starting episodes).
	Final bool
}

// Result summarises a run.
type Result struct {
	Attempts []Attempt
	// StoppedEarly says why the run stopped starting episodes (budget, cancellation), if it did.
	StoppedEarly string
}

// Validate names the first bad field.
func (s *Spec) Validate() error {
	switch {
	case s.Dataset == nil:
		return errors.New("run: no dataset")
	case s.World == nil:
		return errors.New("run: no world")
	case len(s.Tasks) == 0:
		return errors.New("run: no tasks to run")
	case s.MaxTurns < 1:
		return fmt.Errorf("max-turns = %d: must be at least 1", s.MaxTurns)
	case s.BatchSize < 1:
		return fmt.Errorf("batch-size = %d: must be at least 1", s.BatchSize)
	case s.Carry != nil && s.BatchSize != 1:
		return fmt.Errorf("batch-size = %d: carrying policy state from episode to episode (--policy-in, --policy-out) runs one episode at a time", s.BatchSize)
	case s.MaxRetries < 0:
		return fmt.Errorf("max-retries = %d: must be >= 0", s.MaxRetries)
	case s.Credit != CreditAll && s.Credit != CreditOwnTurn:
		return fmt.Errorf("credit = %q: must be %s or %s", s.Credit, CreditAll, CreditOwnTurn)
	case s.Sink == nil:
		return errors.New("run: no sink to record episodes")
	case s.StepTimeout <= 0:
		return fmt.Errorf("step timeout = %v: must be positive", s.StepTimeout)
	}
	if s.Optimised[0] || s.Optimised[1] {
		if len(s.Strategies) == 0 {
			return errors.New("run: optimised seats need a strategy pool")
		}
		if s.NewPolicy == nil {
			if _, err := policy.Lookup(s.Bandit); err != nil {
				return err
			}
		}
		if err := s.Policy.Validate(); err != nil {
			return err
		}
		if arm := s.startArm(); arm >= len(s.Strategies) {
			return fmt.Errorf("static_arm = %d: the pool has %d arms (0 to %d)", arm, len(s.Strategies), len(s.Strategies)-1)
		}
	}
	if s.Policy.AlternateOptimization && !(s.Optimised[0] && s.Optimised[1]) {
		return errors.New("alternate_optimization needs both seats optimised (optimize both)")
	}
	for _, t := range s.Tasks {
		if _, _, err := s.Dataset.Resolve(t); err != nil {
			return err
		}
	}
	return nil
}

func (s *Spec) anyOptimised() bool { return s.Optimised[0] || s.Optimised[1] }

// embedsDialogue says whether the dialogue is embedded after every turn: only when a policy
// reads it (a live run pays one embedding call per turn for it).
func (s *Spec) embedsDialogue() bool {
	if !s.UseContext || !s.anyOptimised() {
		return false
	}
	return s.NewPolicy != nil || policy.ReadsContext(s.Bandit, s.Policy)
}

func (s *Spec) newPolicy(seat int, p policy.Params) (policy.Policy, error) {
	if s.NewPolicy != nil {
		return s.NewPolicy(seat, p)
	}
	return policy.New(s.Bandit, p)
}

func (s *Spec) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// loopConfig is the part of the spec every episode's bookkeeping shares.
func (s *Spec) loopConfig() *loop.Config {
	return &loop.Config{Dataset: s.Dataset, Era: s.Era, MaxTurns: s.MaxTurns, Omniscient: s.Omniscient,
		Optimised: s.Optimised, Strategies: s.Strategies, Credit: s.Credit, Alternate: s.Policy.AlternateOptimization,
		Tag: s.Tag, RunSeed: s.Seed, StartArm: s.startArm()}
}

// startArm is the arm optimised seats start on: a custom policy (NewPolicy) starts on arm 0.
func (s *Spec) startArm() int {
	if s.NewPolicy != nil {
		return 0
	}
	return policy.StartArm(s.Bandit, s.Policy)
}

// Retries says whether a failed attempt of the task gets another (MaxRetries counts from the
// run's first attempt of it): the local runner and the cluster coordinator apply the same rule.
func (s *Spec) Retries(taskPK string, attempt int) bool {
	return attempt-s.FirstAttempt[taskPK] < s.MaxRetries
}

// StopLaunching records why the run starts no new episodes (the first reason stands, logged once
// with the tasks left): the local runner and the cluster coordinator stop alike. The caller drops
// its queue.
func (s *Spec) StopLaunching(r *Result, reason string, left int) {
	if r.StoppedEarly == "" {
		r.StoppedEarly = reason
		s.logf("not starting new episodes: %s (%d tasks left)", reason, left)
	}
}

// SortAttempts puts attempts in task order, each task's attempts in order (they finish in any).
func (r *Result) SortAttempts() {
	sort.SliceStable(r.Attempts, func(i, j int) bool {
		a, b := r.Attempts[i], r.Attempts[j]
		return a.Index < b.Index || (a.Index == b.Index && a.Attempt < b.Attempt)
	})
}
