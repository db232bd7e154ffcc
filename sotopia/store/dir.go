package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/also-project/also/sotopia"
)

// Dir is the embedded store: one append-only JSONL file per kind in a directory (EpisodeLog.jsonl,
// AgentProfile.jsonl, ... named after Sotopia's classes), indexes in memory rebuilt on open. A
// later line for the same pk replaces the earlier one. Episodes stay on disk and are read back by
// offset; profiles (a few hundred) are kept in memory as JSON. Safe for concurrent use; a LOCK
// file keeps other processes out.
type Dir struct {
	path string
	log  *slog.Logger
	lock *os.File

	wmu sync.Mutex // serialises appends and their fsyncs, so readers never wait for a disk flush

	mu       sync.RWMutex // guards everything below
	closed   bool
	episodes *appendLog
	epIdx    map[string]epEntry
	tables   map[string]*docTable
	warnings []string
}

type epEntry struct {
	off                    int64
	n                      int
	tag, env, task, status string
}

type docTable struct {
	log  *appendLog
	docs map[string][]byte
}

// DirOption configures OpenDir.
type DirOption func(*Dir)

// WithLogger sets where OpenDir reports recovered damage (default: text to stderr).
func WithLogger(l *slog.Logger) DirOption { return func(d *Dir) { d.log = l } }

// OpenDir opens (creating if needed) the store in dir. It fails if another process holds the
// store, naming that process's pid.
func OpenDir(dir string, opts ...DirOption) (*Dir, error) {
	if dir == "" {
		return nil, fmt.Errorf("open store: empty directory name")
	}
	d := &Dir{path: dir, epIdx: map[string]epEntry{}, tables: map[string]*docTable{}}
	for _, o := range opts {
		o(d)
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	d.lock = lock
	if err := d.load(); err != nil {
		d.closeFiles()
		return nil, err
	}
	return d, nil
}

func (d *Dir) warn(msg string) {
	d.warnings = append(d.warnings, msg)
	d.log.Warn("store: recovered", "detail", msg)
}

// Warnings returns what OpenDir recovered from (damaged tails it cut off), for reports and tests.
func (d *Dir) Warnings() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return append([]string(nil), d.warnings...)
}

// Path is the store's directory.
func (d *Dir) Path() string { return d.path }

func (d *Dir) load() error {
	var err error
	d.episodes, err = openLog(filepath.Join(d.path, episodeKindName+".jsonl"), d.applyEpisode, d.warn)
	if err != nil {
		return err
	}
	for _, name := range profileKindNames {
		t := &docTable{docs: map[string][]byte{}}
		t.log, err = openLog(filepath.Join(d.path, name+".jsonl"), func(_ int64, line []byte) error {
			var head struct {
				PK string `json:"pk"`
			}
			if err := json.Unmarshal(line, &head); err != nil {
				return err
			}
			if head.PK == "" {
				return fmt.Errorf("record without pk")
			}
			t.docs[head.PK] = line
			return nil
		}, d.warn)
		if err != nil {
			return err
		}
		d.tables[name] = t
	}
	return syncDir(d.path)
}

func (d *Dir) applyEpisode(off int64, line []byte) error {
	var h struct {
		PK          string `json:"pk"`
		Environment string `json:"environment"`
		Tag         string `json:"tag"`
		TaskID      string `json:"task_id"`
		Status      string `json:"status"`
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return err
	}
	if h.PK == "" {
		return fmt.Errorf("record without pk")
	}
	if h.Status == "" {
		h.Status = sotopia.StatusDone
	}
	d.epIdx[h.PK] = epEntry{off: off, n: len(line), tag: h.Tag, env: h.Environment, task: h.TaskID, status: h.Status}
	return nil
}

// checkOpen must be called with mu held (either mode).
func (d *Dir) checkOpen(ctx context.Context) error {
	if d.closed {
		return ErrClosed
	}
	return ctx.Err()
}

// SaveEpisode appends the episode and fsyncs before returning.
func (d *Dir) SaveEpisode(ctx context.Context, ep *sotopia.EpisodeLog) error {
	n, err := normalizeEpisode(ep)
	if err != nil {
		return err
	}
	b, err := marshal(n)
	if err != nil {
		return fmt.Errorf("episode %s: %w", n.PK, err)
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.mu.RLock()
	err = d.checkOpen(ctx)
	d.mu.RUnlock()
	if err != nil {
		return err
	}
	offs, err := d.episodes.append(b)
	if err != nil {
		return fmt.Errorf("save episode %s: %w", n.PK, err)
	}
	d.mu.Lock()
	d.epIdx[n.PK] = epEntry{off: offs[0], n: len(b), tag: n.Tag, env: n.Environment, task: n.TaskID, status: n.Status}
	d.mu.Unlock()
	return nil
}

// readEpisode must be called with mu read-locked.
func (d *Dir) readEpisode(pk string, e epEntry) (*sotopia.EpisodeLog, error) {
	b, err := d.episodes.readAt(e.off, e.n)
	if err != nil {
		return nil, err
	}
	var ep sotopia.EpisodeLog
	if err := json.Unmarshal(b, &ep); err != nil {
		return nil, fmt.Errorf("episode %s in %s: %w", pk, d.episodes.path, err)
	}
	fromSotopia(&ep)
	return &ep, nil
}

// Episode reads one episode by pk.
func (d *Dir) Episode(ctx context.Context, pk string) (*sotopia.EpisodeLog, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.checkOpen(ctx); err != nil {
		return nil, err
	}
	e, ok := d.epIdx[pk]
	if !ok {
		return nil, fmt.Errorf("episode %q: %w", pk, ErrNotFound)
	}
	return d.readEpisode(pk, e)
}

// Episodes returns the matching episodes sorted by pk.
func (d *Dir) Episodes(ctx context.Context, q Query) ([]*sotopia.EpisodeLog, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.checkOpen(ctx); err != nil {
		return nil, err
	}
	var pks []string
	for pk, e := range d.epIdx {
		if (q.Tag == "" || q.Tag == e.tag) && (q.EnvID == "" || q.EnvID == e.env) &&
			(q.TaskID == "" || q.TaskID == e.task) && (q.Status == "" || q.Status == e.status) {
			pks = append(pks, pk)
		}
	}
	sort.Strings(pks)
	out := make([]*sotopia.EpisodeLog, 0, len(pks))
	for _, pk := range pks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ep, err := d.readEpisode(pk, d.epIdx[pk])
		if err != nil {
			return nil, err
		}
		out = append(out, ep)
	}
	return out, nil
}

// Tags lists the distinct episode tags, sorted (an untagged episode contributes "").
func (d *Dir) Tags(ctx context.Context) ([]string, error) {
	st, err := d.Stats(ctx)
	if err != nil {
		return nil, err
	}
	return sortedKeys(st.ByTag), nil
}

// Stats counts episodes by status, in total and per tag.
func (d *Dir) Stats(ctx context.Context) (Stats, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.checkOpen(ctx); err != nil {
		return Stats{}, err
	}
	st := Stats{ByTag: map[string]Counts{}}
	for _, e := range d.epIdx {
		st.count(e.tag, e.status, 1)
	}
	return st, nil
}

// Ping reports whether the store is usable (open, and no earlier write left it in doubt).
func (d *Dir) Ping(ctx context.Context) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.checkOpen(ctx); err != nil {
		return err
	}
	if d.episodes.broken != nil {
		return d.episodes.broken
	}
	for _, t := range d.tables {
		if t.log.broken != nil {
			return t.log.broken
		}
	}
	return nil
}

// Close releases the files and the lock. Calls after Close return ErrClosed.
func (d *Dir) Close() error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.closeFiles()
}

func (d *Dir) closeFiles() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if d.episodes != nil {
		keep(d.episodes.close())
	}
	for _, t := range d.tables {
		keep(t.log.close())
	}
	if d.lock != nil {
		keep(unlockDir(d.lock))
	}
	return first
}
