package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia/store"
)

// Redis outages during a run (issue 5.5). With a Redis URL a run writes through a store.Mirror:
// every episode is first saved (fsynced) in the embedded store at --store, then sent to Redis. If
// Redis is down - at start or mid-run - the run goes on: episodes wait in the store's outbox and
// a background loop delivers them when Redis answers again. When the run ends we try one last
// flush; whatever is still pending is reported with its count and the `also db sync` command that
// delivers it. Losing a finished episode to a network blip costs real API money, so the run never
// stops for Redis; the local store is the source of truth (a resume reads it, not Redis). Only
// mistakes that waiting cannot fix - a malformed URL, a wrong password - stop the run at start.

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
	local, err := store.OpenDir(cfg.Store, store.WithLogger(opt.Mirror.Logger))
	if err != nil {
		return nil, err
	}
	if url == "" {
		return local, nil
	}
	first, down, err := firstDial(ctx, url, opt.DialTimeout)
	if err != nil {
		local.Close()
		return nil, err
	}
	safe := store.RedactURL(url)
	if down != nil {
		fmt.Fprintf(opt.Warn, "also: warning: Redis is unreachable (%v); episodes are stored in %s and will be sent to Redis when it answers\n",
			down, cfg.Store)
	}
	m, err := store.NewMirror(local, handOver(first, url), opt.Mirror)
	if err != nil {
		if first != nil {
			first.Close()
		}
		local.Close()
		return nil, err
	}
	return &mirroredStore{Mirror: m, dir: cfg.Store, url: safe, warn: opt.Warn, flushTimeout: opt.FlushTimeout}, nil
}

// firstDial connects once. When Redis is merely unreachable it returns the reason as down - the
// run goes on without it - and err only for what retrying cannot fix.
func firstDial(ctx context.Context, url string, timeout time.Duration) (r *store.Redis, down, err error) {
	if _, err := redis.ParseURL(url); err != nil {
		// The parser's message may quote the URL, password included: name the problem without it.
		return nil, nil, fmt.Errorf("redis URL %s is not valid: want redis://[user[:password]@]host:port[/db]", store.RedactURL(url))
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err = store.OpenRedis(dctx, url)
	switch {
	case err == nil:
		return r, nil, nil
	case strings.Contains(err.Error(), "authentication failed"):
		// OpenRedis words a refused password this way (and keeps the password out of the message).
		return nil, nil, err
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	}
	return nil, err, nil
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
}

// SyncStore delivers the outbox of the embedded store in dir to Redis (`also db sync`). The store
// must not be in use by a run (its lock says so). It fails if anything is left pending.
func SyncStore(ctx context.Context, dir, url string, opt StoreOptions) (SyncResult, error) {
	opt = opt.withDefaults()
	if url == "" {
		return SyncResult{}, errors.New("db sync: no Redis URL: pass --redis-url or set REDIS_OM_URL")
	}
	if _, err := redis.ParseURL(url); err != nil {
		return SyncResult{}, fmt.Errorf("redis URL %s is not valid: want redis://[user[:password]@]host:port[/db]", store.RedactURL(url))
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
	close(gate)
	if before == 0 {
		return SyncResult{}, m.Close()
	}
	fctx, cancel := context.WithTimeout(ctx, opt.FlushTimeout)
	ferr := m.Flush(fctx)
	cancel()
	res := SyncResult{Pending: m.Pending()}
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
