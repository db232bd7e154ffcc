package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/also-project/also/sotopia"
)

// MirrorOptions configures NewMirror. Zero values take the defaults.
type MirrorOptions struct {
	// MinBackoff and MaxBackoff bound the retry delay while the remote is down (100ms, 30s).
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds each remote call (5s).
	Timeout time.Duration
	// Logger receives outage and recovery notices (default: text to stderr).
	Logger *slog.Logger
	// After is the clock for retry delays (default time.After).
	After func(time.Duration) <-chan time.Time
	// Destination names the remote in the outbox (RedisDestination's form): the mirror queues
	// and delivers only entries for it, so an entry is never sent to another database.
	Destination string
	// DeliverUnaddressed also delivers outbox entries that name no destination (written before
	// destinations were recorded) to this remote: `also db sync` does, when the user says so.
	DeliverUnaddressed bool
}

// Mirror writes everything to the embedded store first (durable locally) and then to a remote
// store, normally Redis. While the remote is unreachable, objects wait in an outbox file next to
// the local data and a background goroutine retries with exponential backoff until they are all
// delivered, across restarts too. Reads are served by the local store, which has everything.
// Use one Mirror per Dir.
type Mirror struct {
	local *Dir
	dial  func(context.Context) (Store, error)
	ob    *outbox
	cfg   MirrorOptions

	// sendMu serialises every remote call and guards remote. Each send re-reads the latest local
	// copy under it, so the last write to reach the remote is always the latest local one.
	sendMu     sync.Mutex
	remote     Store
	pendingDS  *sotopia.Dataset
	conflicted map[outboxItem]bool // items the remote refused (ErrConflict), reported once each

	down      atomic.Bool
	dsPending atomic.Bool
	kick      chan struct{}
	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// NewMirror starts mirroring local to the store that dial returns. dial is retried by the
// background goroutine until it succeeds, so the Mirror starts even while the remote is down. The
// Mirror owns local and the remote: Close closes both.
func NewMirror(local *Dir, dial func(context.Context) (Store, error), opts MirrorOptions) (*Mirror, error) {
	if local == nil || dial == nil {
		return nil, errors.New("mirror: nil local store or dial function")
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(30*time.Second, opts.MinBackoff)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if opts.After == nil {
		opts.After = time.After
	}
	ob, err := openOutbox(local, func(msg string) {
		opts.Logger.Warn("mirror outbox: recovered", "detail", msg)
	})
	if err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	m := &Mirror{local: local, dial: dial, ob: ob, cfg: opts, conflicted: map[outboxItem]bool{},
		kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	m.down.Store(true) // until the first dial succeeds
	go m.run()
	m.wake()
	return m, nil
}

// Local is the embedded store the mirror writes first.
func (m *Mirror) Local() *Dir { return m.local }

// Pending is how many objects for this mirror's remote (a dataset load counts as one) have not
// reached it yet.
func (m *Mirror) Pending() int {
	n := len(m.ob.items(m.mine))
	if m.dsPending.Load() {
		n++
	}
	return n
}

// mine says whether an outbox entry is this mirror's to deliver.
func (m *Mirror) mine(it outboxItem) bool {
	return it.Dest == m.cfg.Destination || (it.Dest == "" && m.cfg.DeliverUnaddressed)
}

// Elsewhere counts the outbox entries waiting for other destinations ("" for entries that name
// none), which this mirror leaves alone.
func (m *Mirror) Elsewhere() map[string]int {
	out := map[string]int{}
	for _, it := range m.ob.items(func(it outboxItem) bool { return !m.mine(it) }) {
		out[it.Dest]++
	}
	return out
}

func (m *Mirror) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// run is the retry loop: idle until woken, then deliver everything; on failure wait with
// exponential backoff (ignoring wake-ups, so a burst of saves during an outage does not hammer the
// remote) and try again.
func (m *Mirror) run() {
	defer close(m.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-m.stop; cancel() }()
	var backoff time.Duration
	for {
		if backoff == 0 {
			select {
			case <-m.stop:
				return
			case <-m.kick:
			}
		} else {
			select {
			case <-m.stop:
				return
			case <-m.cfg.After(backoff):
			}
		}
		err := m.Flush(ctx)
		switch {
		case err == nil:
			backoff = 0
		case ctx.Err() != nil:
			return
		default:
			backoff = min(max(2*backoff, m.cfg.MinBackoff), m.cfg.MaxBackoff)
		}
	}
}

// Flush tries to deliver everything pending for this mirror's remote now, oldest first. It stops
// at the first outage; objects the remote refuses because it holds other content under their
// ids are skipped (they stay queued) and reported in the error.
func (m *Mirror) Flush(ctx context.Context) error {
	m.sendMu.Lock()
	_, err := m.remoteLocked(ctx)
	m.sendMu.Unlock()
	if err != nil {
		return m.failed(err)
	}
	if err := m.flushDataset(ctx); err != nil {
		return err
	}
	var refused []error
	for _, it := range m.ob.items(m.mine) {
		err := m.send(ctx, it)
		switch {
		case err == nil:
		case isRefusal(err):
			refused = append(refused, err)
		default:
			return err
		}
	}
	m.recovered()
	if len(refused) > 0 {
		return fmt.Errorf("%d object(s) refused by the remote store, kept in the outbox: %w", len(refused), errors.Join(refused...))
	}
	return nil
}

// isRefusal: the item cannot be delivered and waiting will not help (the remote holds other
// content under the id, or this binary does not know the kind); it stays in the outbox.
func isRefusal(err error) bool {
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrTagBound) || errors.Is(err, errUnknownKind)
}

func (m *Mirror) flushDataset(ctx context.Context) error {
	m.sendMu.Lock()
	defer m.sendMu.Unlock()
	if m.pendingDS == nil {
		return nil
	}
	r, err := m.remoteLocked(ctx)
	if err == nil {
		err = m.call(ctx, func(ctx context.Context) error { return r.LoadDataset(ctx, m.pendingDS) })
	}
	if err != nil {
		return m.failed(err)
	}
	m.pendingDS = nil
	m.dsPending.Store(false)
	return nil
}

// remoteLocked returns the remote store, dialling it if needed; sendMu must be held.
func (m *Mirror) remoteLocked(ctx context.Context) (Store, error) {
	if m.remote != nil {
		return m.remote, nil
	}
	var r Store
	err := m.call(ctx, func(ctx context.Context) (err error) { r, err = m.dial(ctx); return err })
	if err != nil {
		return nil, err
	}
	m.remote = r
	return r, nil
}

func (m *Mirror) call(ctx context.Context, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	return f(ctx)
}

// failed records an outage (logging only the transition) and returns err.
func (m *Mirror) failed(err error) error {
	if !m.down.Swap(true) {
		m.cfg.Logger.Warn("mirror: remote store unreachable; keeping objects in the local outbox", "err", err)
	}
	return err
}

func (m *Mirror) recovered() {
	if m.down.Swap(false) {
		m.cfg.Logger.Info("mirror: remote store reachable", "pending", m.Pending())
	}
}

// send delivers the latest local copy of one outbox item.
func (m *Mirror) send(ctx context.Context, it outboxItem) error {
	m.sendMu.Lock()
	defer m.sendMu.Unlock()
	gen := m.ob.gen(it)
	if gen == 0 {
		return nil // delivered meanwhile
	}
	r, err := m.remoteLocked(ctx)
	if err != nil {
		return m.failed(err)
	}
	err = m.relay(ctx, r, it)
	if errors.Is(err, errLocalMissing) { // cannot happen unless the local files were edited: drop it
		m.cfg.Logger.Error("mirror: outbox names an object the local store lacks; dropped", "kind", it.Kind, "pk", it.PK)
		return m.ob.done(it, gen)
	}
	if isRefusal(err) {
		if !m.conflicted[it] {
			m.conflicted[it] = true
			m.cfg.Logger.Error("mirror: cannot deliver this object (other content under its id remotely, or an unknown kind); kept in the outbox", "kind", it.Kind, "pk", it.PK, "err", err)
		}
		return err
	}
	if err != nil {
		return m.failed(err)
	}
	m.recovered()
	return m.ob.done(it, gen)
}

func (m *Mirror) relay(ctx context.Context, r Store, it outboxItem) error {
	switch it.Kind {
	case episodeKindName:
		return relayOne(ctx, m, it.PK, m.local.Episode, r.SaveEpisode)
	case "AgentProfile":
		return relayOne(ctx, m, it.PK, m.local.Agent, r.SaveAgent)
	case "EnvironmentProfile":
		return relayOne(ctx, m, it.PK, m.local.Environment, r.SaveEnvironment)
	case "RelationshipProfile":
		return relayOne(ctx, m, it.PK, m.local.Relationship, r.SaveRelationship)
	case "EnvAgentComboStorage":
		return relayOne(ctx, m, it.PK, m.local.Task, r.SaveTask)
	case "EnvironmentList":
		return relayOne(ctx, m, it.PK, m.local.EnvironmentList, r.SaveEnvironmentList)
	case runConfigKindName:
		return relayOne(ctx, m, it.PK, m.local.TagConfig, r.BindTag)
	}
	return fmt.Errorf("%w: outbox kind %q", errUnknownKind, it.Kind)
}

// errLocalMissing: the outbox names an object the local store lacks. Only this drops an outbox
// item undelivered; a not-found from the remote must not.
var errLocalMissing = errors.New("not in the local store")

// errUnknownKind: an outbox line of a kind this binary cannot relay (written by a newer one). It
// stays queued for a binary that can, instead of being dropped.
var errUnknownKind = errors.New("unknown kind")

func relayOne[T any](ctx context.Context, m *Mirror, pk string, get func(context.Context, string) (T, error), put func(context.Context, T) error) error {
	v, err := get(ctx, pk)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", errLocalMissing, err)
	}
	if err != nil {
		return err
	}
	return m.call(ctx, func(ctx context.Context) error { return put(ctx, v) })
}

// forward queues it durably and, unless the remote is known to be down, sends it now. A failed
// send is not an error for the caller: the object is safe locally and queued.
func (m *Mirror) forward(ctx context.Context, it outboxItem) error {
	it.Dest = m.cfg.Destination
	if err := m.ob.add(it); err != nil {
		return fmt.Errorf("mirror outbox: %w", err)
	}
	if m.down.Load() {
		m.wake()
		return nil
	}
	if err := m.send(ctx, it); err != nil && !isRefusal(err) {
		m.wake()
	}
	return nil
}

// Close stops the retry goroutine and closes the remote and local stores. Undelivered objects
// stay in the outbox and are sent by the next Mirror on the same directory.
func (m *Mirror) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.stop)
		<-m.stopped
		m.sendMu.Lock()
		if m.remote != nil {
			err = m.remote.Close()
		}
		m.sendMu.Unlock()
		if e := m.ob.close(); err == nil {
			err = e
		}
		if e := m.local.Close(); err == nil {
			err = e
		}
	})
	return err
}

var _ Store = (*Mirror)(nil)
