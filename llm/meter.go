package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
)

// Meter sums usage per role and overall. A child meter (one per episode) forwards everything
// it records to its parent (the run), and the root charges its Budget. Safe for concurrent use.
type Meter struct {
	parent *Meter
	budget *Budget

	mu     sync.Mutex
	total  Usage
	byRole map[string]Usage
}

// NewMeter makes a root meter; budget may be nil (no limit).
func NewMeter(budget *Budget) *Meter {
	return &Meter{budget: budget, byRole: map[string]Usage{}}
}

// Child makes a meter whose records also count in m.
func (m *Meter) Child() *Meter {
	return &Meter{parent: m, byRole: map[string]Usage{}}
}

// Add records usage under a role.
func (m *Meter) Add(role string, u Usage) {
	for cur := m; cur != nil; cur = cur.parent {
		cur.mu.Lock()
		cur.total.Add(u)
		r := cur.byRole[role]
		r.Add(u)
		cur.byRole[role] = r
		cur.mu.Unlock()
		// Replayed answers (cache hits) cost nothing now: only real calls spend the budget.
		if cur.parent == nil && cur.budget != nil && u.CacheHits < u.Calls {
			cur.budget.Charge(u.CostUSD * float64(u.Calls-u.CacheHits) / float64(u.Calls))
		}
	}
}

// Total is the sum over all roles.
func (m *Meter) Total() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.total
}

// Role is the sum for one role.
func (m *Meter) Role(role string) Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byRole[role]
}

// Roles lists the roles with records, sorted.
func (m *Meter) Roles() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.byRole))
	for r := range m.byRole {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Snapshot returns the total and a copy of the per-role sums, taken together.
func (m *Meter) Snapshot() (total Usage, byRole map[string]Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	byRole = make(map[string]Usage, len(m.byRole))
	for r, u := range m.byRole {
		byRole[r] = u
	}
	return m.total, byRole
}

// ErrBudgetReached reports that a run has spent its budget.
var ErrBudgetReached = errors.New("LLM budget reached")

// Budget is a USD spending limit for a run. It does not stop calls by itself: the runner asks
// Reached before starting an episode, so episodes already running finish (and may overshoot
// the limit by what they spend). Safe for concurrent use.
type Budget struct {
	limit float64

	mu      sync.Mutex
	spent   float64
	reached chan struct{}
}

// NewBudget makes a budget of limitUSD; 0 means unlimited.
func NewBudget(limitUSD float64) (*Budget, error) {
	if limitUSD < 0 || math.IsNaN(limitUSD) || math.IsInf(limitUSD, 0) {
		return nil, fmt.Errorf("budget: %v USD, want a non-negative amount (0 = unlimited)", limitUSD)
	}
	return &Budget{limit: limitUSD, reached: make(chan struct{})}, nil
}

// Charge adds spending.
func (b *Budget) Charge(usd float64) {
	if usd <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	wasReached := b.reachedLocked()
	b.spent += usd
	if !wasReached && b.reachedLocked() {
		close(b.reached)
	}
}

func (b *Budget) reachedLocked() bool { return b.limit > 0 && b.spent >= b.limit }

// Reached says whether spending has hit the limit.
func (b *Budget) Reached() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reachedLocked()
}

// Done is closed when the limit is reached (never, for an unlimited budget).
func (b *Budget) Done() <-chan struct{} { return b.reached }

// Err is ErrBudgetReached with the figures once the limit is reached, else nil.
func (b *Budget) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.reachedLocked() {
		return nil
	}
	return fmt.Errorf("%w: spent $%.4f of $%.4f", ErrBudgetReached, b.spent, b.limit)
}

// Spent is the USD charged so far.
func (b *Budget) Spent() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent
}

// Limit is the budget in USD (0 = unlimited).
func (b *Budget) Limit() float64 { return b.limit }

// Metered wraps a model so every successful call is recorded in meter under role.
func Metered(m Model, meter *Meter, role string) Model {
	return &meteredModel{Model: m, meter: meter, role: role}
}

type meteredModel struct {
	Model
	meter *Meter
	role  string
}

func (m *meteredModel) Chat(ctx context.Context, req ChatRequest) (ChatResponse, error) {
	resp, err := m.Model.Chat(ctx, req)
	if err == nil {
		m.meter.Add(m.role, resp.Usage)
	}
	return resp, err
}

func (m *meteredModel) Embed(ctx context.Context, req EmbedRequest) (EmbedResponse, error) {
	resp, err := m.Model.Embed(ctx, req)
	if err == nil {
		m.meter.Add(m.role, resp.Usage)
	}
	return resp, err
}
