package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia/store"
)

// Redis outages during a run (issue 5.5). With a Redis URL a run writes through a store.Mirror:
// every episode is first saved (fsynced) in the embedded store at --store, then sent to Redis. If
// Redis goes away mid-run the run goes on: episodes wait in the store's outbox, each entry naming
// its destination database, and a background loop delivers them when Redis answers again. When
// the run ends we try one last flush; whatever is still pending is reported with its count and the
// `also db sync` command that delivers it. Losing a finished episode to a network blip costs real
// API money, so the run never stops for Redis once it has started; the local store is the source
// of truth (a resume reads it, not Redis). At start Redis must answer: a malformed URL, a wrong
// password, a database number the server lacks or a server that is not there are mistakes to fix
// before spending anything, not outages to wait out.

// StoreOptions tune OpenStoreWith and SyncStore. Zero values take the defaults.
type StoreOptions struct {
	// Warn receives outage notices and the end-of-run warning (default os.Stderr).
	Warn io.Writer
	// Getenv reads REDIS_OM_URL when the configuration has no Redis URL (default os.Getenv).
	Getenv func(string) string
	// DialTimeout bounds the first connection attempt at open (default 5s).
	DialTimeout time.Duration
	// FlushTimeout bounds the final flush when the store is closed (default 30s).
	FlushTimeout time.Duration
	// Mirror passes retry settings to the mirror; its Logger defaults to Warn.
	Mirror store.MirrorOptions
}

func (o StoreOptions) withDefaults() StoreOptions {
	if o.Warn == nil {
		o.Warn = os.Stderr
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 30 * time.Second
	}
	if o.Mirror.Logger == nil {
		o.Mirror.Logger = slog.New(slog.NewTextHandler(o.Warn, nil))
	}
	return o
}

// RedisURLFor is the Redis URL a run uses: the configured one, else REDIS_OM_URL, else "" (the
// embedded store alone).
func RedisURLFor(cfg config.Run, getenv func(string) string) string {
	if cfg.RedisURL != "" {
		return cfg.RedisURL
	}
	return getenv("REDIS_OM_URL")
}

// OpenStore opens the run's store: the embedded store at cfg.Store, mirrored to Redis when a URL
// is configured (flag or Sotopia's REDIS_OM_URL). Warnings go to stderr.
func OpenStore(ctx context.Context, cfg config.Run) (store.Store, error) {
	return OpenStoreWith(ctx, cfg, StoreOptions{})
}

// OpenStoreWith is OpenStore with explicit options. With Redis, the returned store's Close tries
// a last flush and warns about what is still pending (see the comment at the top of this file).
func OpenStoreWith(ctx context.Context, cfg config.Run, opt StoreOptions) (store.Store, error) {
	opt = opt.withDefaults()
	url := RedisURLFor(cfg, opt.Getenv)
	var first *store.Redis
	if url != "" {
		var err error
		if first, err = firstDial(ctx, url, opt.DialTimeout); err != nil {
			return nil, err
		}
	}
	local, err := store.OpenDir(cfg.Store, store.WithLogger(opt.Mirror.Logger))
	if err != nil {
		if first != nil {
			first.Close()
		}
		return nil, err
	}
	if url == "" {
		return local, nil
	}
	mopt := opt.Mirror
	mopt.Destination = first.Destination()
	m, err := store.NewMirror(local, handOver(first, url), mopt)
	if err != nil {
		first.Close()
		local.Close()
		return nil, err
	}
	reportElsewhere(opt.Warn, m, cfg.Store)
	return &mirroredStore{Mirror: m, dir: cfg.Store, url: store.RedactURL(url), warn: opt.Warn, flushTimeout: opt.FlushTimeout}, nil
}

// reportElsewhere warns about outbox entries this run will not deliver: they belong to another
// Redis database (or, from older versions, name none).
func reportElsewhere(w io.Writer, m *store.Mirror, dir string) {
	for dest, n := range m.Elsewhere() {
		if dest == "" {
			fmt.Fprintf(w, "also: warning: %d object(s) in the outbox of %s name no destination (queued by an older also); deliver them with `also db sync --store %s --include-unaddressed` and the Redis URL they were meant for\n", n, dir, dir)
			continue
		}
		fmt.Fprintf(w, "also: warning: %d object(s) in the outbox of %s wait for %s, not this run's Redis; deliver them with `also db sync --store %s --redis-url %s`\n", n, dir, dest, dir, dest)
	}
}

// firstDial connects once; every failure at start (bad URL, authentication, missing database,
// server not there) is an error, worded by OpenRedis without the password.
func firstDial(ctx context.Context, url string, timeout time.Duration) (*store.Redis, error) {
	if _, err := store.RedisDestination(url); err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return store.OpenRedis(dctx, url)
}

// handOver returns a dial function that first hands out the connection made at open, then dials.
func handOver(first *store.Redis, url string) func(context.Context) (store.Store, error) {
	var mu sync.Mutex
	return func(ctx context.Context) (store.Store, error) {
		mu.Lock()
		f := first
		first = nil
		mu.Unlock()
		if f != nil {
			return f, nil
		}
		return store.OpenRedis(ctx, url)
	}
}

// mirroredStore is the run's store with Redis: a Mirror whose Close flushes once more and says
// what is left.
type mirroredStore struct {
	*store.Mirror
	dir, url     string // url is redacted
	warn         io.Writer
	flushTimeout time.Duration
}

// Close tries to deliver everything still pending, warns about what is left, and closes.
// Undelivered objects stay in the outbox for the next run or `also db sync`.
func (s *mirroredStore) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.flushTimeout)
	err := s.Flush(ctx)
	cancel()
	if n := s.Pending(); n > 0 {
		reason := ""
		if err != nil {
			reason = fmt.Sprintf(" (%v)", err)
		}
		fmt.Fprintf(s.warn, "also: warning: %d object(s) did not reach Redis %s%s. They are safe in %s (queued in %s); "+
			"deliver them with `also db sync --store %s` and the same --redis-url or REDIS_OM_URL (the next run on this store also sends them).\n",
			n, s.url, reason, s.dir, filepath.Join(s.dir, "outbox.jsonl"), s.dir)
	}
	return s.Mirror.Close()
}

// SyncResult is what SyncStore did.
type SyncResult struct {
	Delivered int // objects that reached Redis
	Pending   int // objects still waiting in the outbox
	// Elsewhere counts the entries left for other destinations ("" for entries naming none).
	Elsewhere map[string]int
}

// SyncStore delivers the outbox of the embedded store in dir to Redis (`also db sync`): only the
// entries queued for that database (and, with opt.Mirror.DeliverUnaddressed, those that name
// none); entries for other databases stay and are counted in Elsewhere. Runs may be writing the
// store meanwhile. It fails if anything for this database is left pending.
func SyncStore(ctx context.Context, dir, url string, opt StoreOptions) (SyncResult, error) {
	opt = opt.withDefaults()
	if url == "" {
		return SyncResult{}, errors.New("db sync: no Redis URL: pass --redis-url or set REDIS_OM_URL")
	}
	dest, err := store.RedisDestination(url)
	if err != nil {
		return SyncResult{}, err
	}
	opt.Mirror.Destination = dest
	if _, err := os.Stat(dir); err != nil {
		return SyncResult{}, fmt.Errorf("db sync: store %s: %w", dir, err)
	}
	local, err := store.OpenDir(dir, store.WithLogger(opt.Mirror.Logger))
	if err != nil {
		return SyncResult{}, err
	}
	// The mirror starts delivering at once; the gate holds its first dial until the pending
	// count has been read, so Delivered is exact.
	gate := make(chan struct{})
	dial := func(ctx context.Context) (store.Store, error) {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return store.OpenRedis(ctx, url)
	}
	m, err := store.NewMirror(local, dial, opt.Mirror)
	if err != nil {
		local.Close()
		return SyncResult{}, err
	}
	before := m.Pending()
	elsewhere := m.Elsewhere()
	close(gate)
	if before == 0 {
		return SyncResult{Elsewhere: elsewhere}, m.Close()
	}
	fctx, cancel := context.WithTimeout(ctx, opt.FlushTimeout)
	ferr := m.Flush(fctx)
	cancel()
	res := SyncResult{Pending: m.Pending(), Elsewhere: elsewhere}
	res.Delivered = before - res.Pending
	cerr := m.Close()
	if res.Pending > 0 {
		if ferr == nil {
			ferr = errors.New("not all objects were accepted")
		}
		return res, fmt.Errorf("db sync: %d of %d object(s) still pending for Redis %s: %w", res.Pending, before, store.RedactURL(url), ferr)
	}
	return res, cerr
}
