package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/also-project/also/sotopia"
)

// Dir is the embedded store: one append-only JSONL file per kind in a directory (EpisodeLog.jsonl,
// AgentProfile.jsonl, ... named after Sotopia's classes, plus RunConfig.jsonl), indexes in memory.
// Records are never replaced: saving an id that is stored with other content fails with
// ErrConflict. Episodes stay on disk and are read back by offset; profiles (a few hundred) are
// kept in memory as JSON.
//
// Any number of processes may open one directory: every read first catches up with what other
// processes appended (complete records only), and appends are serialised by a short lock (see
// locks.go). A Dir opened with OpenDirReadOnly never writes, repairs or locks anything.
type Dir struct {
	path     string
	readOnly bool
	log      *slog.Logger

	wmu sync.Mutex // serialises this process's appends; the LOCK file serialises processes

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

// runConfigKindName is the file of tag bindings (not a Sotopia class).
const runConfigKindName = "RunConfig"

// DirOption configures OpenDir.
type DirOption func(*Dir)

// WithLogger sets where OpenDir reports recovered damage (default: text to stderr).
func WithLogger(l *slog.Logger) DirOption { return func(d *Dir) { d.log = l } }

// OpenDir opens (creating if needed) the store in dir for reading and writing. Damage a crash
// left at the end of a file (a half-written record) is cut off and reported; a final record that
// only lacks its newline is kept.
func OpenDir(dir string, opts ...DirOption) (*Dir, error) {
	if dir == "" {
		return nil, fmt.Errorf("open store: empty directory name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	d := newDir(dir, false, opts)
	if err := d.openLogs(); err != nil {
		d.closeFiles()
		return nil, err
	}
	unlock, err := d.lockWrites(context.Background())
	if err != nil {
		d.closeFiles()
		return nil, err
	}
	defer unlock()
	d.mu.Lock()
	err = d.catchUpAll(true)
	d.mu.Unlock()
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		d.closeFiles()
		return nil, err
	}
	return d, nil
}

// OpenDirReadOnly opens an existing store for reading only: a missing directory, or one that
// holds no store, is an error (nothing is created); no lock is taken, nothing is repaired (a
// half-written last record, perhaps a write in progress, is skipped), so it works while runs
// write and on a read-only file system.
func OpenDirReadOnly(dir string, opts ...DirOption) (*Dir, error) {
	if dir == "" {
		return nil, fmt.Errorf("open store: empty directory name")
	}
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store %s does not exist (check --store): %w", dir, ErrNotFound)
		}
		return nil, fmt.Errorf("open store: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("store %s is not a directory", dir)
	}
	d := newDir(dir, true, opts)
	if err := d.openLogs(); err != nil {
		d.closeFiles()
		return nil, err
	}
	if d.episodes.f == nil && d.tables["AgentProfile"].log.f == nil && d.tables[runConfigKindName].log.f == nil {
		d.closeFiles()
		return nil, fmt.Errorf("%s holds no also store (no %s.jsonl): check --store: %w", dir, episodeKindName, ErrNotFound)
	}
	d.mu.Lock()
	err = d.catchUpAll(false)
	d.mu.Unlock()
	if err != nil {
		d.closeFiles()
		return nil, err
	}
	return d, nil
}

func newDir(dir string, readOnly bool, opts []DirOption) *Dir {
	d := &Dir{path: dir, readOnly: readOnly, epIdx: map[string]epEntry{}, tables: map[string]*docTable{}}
	for _, o := range opts {
		o(d)
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return d
}

func (d *Dir) openLogs() error {
	var err error
	if d.episodes, err = openLogFile(filepath.Join(d.path, episodeKindName+".jsonl"), !d.readOnly); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	for _, name := range append(profileKindNames, runConfigKindName) {
		l, err := openLogFile(filepath.Join(d.path, name+".jsonl"), !d.readOnly)
		if err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		d.tables[name] = &docTable{log: l, docs: map[string][]byte{}}
	}
	return nil
}

func (d *Dir) warn(msg string) {
	d.warnings = append(d.warnings, msg)
	d.log.Warn("store: recovered", "detail", msg)
}

// Warnings returns what the writer repaired (damaged tails it cut off), for reports and tests.
func (d *Dir) Warnings() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return append([]string(nil), d.warnings...)
}

// Path is the store's directory.
func (d *Dir) Path() string { return d.path }

// ReadOnly reports whether d was opened with OpenDirReadOnly.
func (d *Dir) ReadOnly() bool { return d.readOnly }

// catchUpAll applies what every file gained since the last look; with repair (a writer holding
// the write lock) damaged tails are cut off. mu must be held.
func (d *Dir) catchUpAll(repair bool) error {
	if err := d.catchUpLog(d.episodes, d.applyEpisode, repair); err != nil {
		return err
	}
	for _, name := range sortedKeys(d.tables) {
		t := d.tables[name]
		if err := d.catchUpLog(t.log, t.apply(name), repair); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dir) catchUpLog(l *appendLog, apply func(int64, []byte) error, repair bool) error {
	tail, err := l.catchUp(apply)
	if err != nil || !repair {
		return err
	}
	return l.repair(tail, d.warn)
}

// apply indexes one profile line by pk (a run configuration by tag). Several records of one id
// can only come from older versions, which replaced profiles by appending: the last one counts,
// as it did for them. Tags were never rebound, so for them the first binding counts.
func (t *docTable) apply(kindName string) func(int64, []byte) error {
	return func(_ int64, line []byte) error {
		var head struct {
			PK  string `json:"pk"`
			Tag string `json:"tag"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return err
		}
		key := head.PK
		if kindName == runConfigKindName {
			key = head.Tag
		}
		if key == "" {
			return fmt.Errorf("record without its id")
		}
		if _, ok := t.docs[key]; !ok || kindName != runConfigKindName {
			t.docs[key] = line
		}
		return nil
	}
}

func (d *Dir) applyEpisode(off int64, line []byte) error {
	var h episodeHead
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

func (d *Dir) checkWritable(ctx context.Context) error {
	if d.readOnly {
		return fmt.Errorf("store %s is open read-only", d.path)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.checkOpen(ctx)
}

// refresh catches up with other processes' appends before a read.
func (d *Dir) refresh(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkOpen(ctx); err != nil {
		return err
	}
	return d.catchUpAll(false)
}

// withWriteLock runs f holding this process's append mutex and the store's write lock.
func (d *Dir) withWriteLock(ctx context.Context, f func() error) error {
	if err := d.checkWritable(ctx); err != nil {
		return err
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	unlock, err := d.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}

// appendTo appends what decide returns to l. It holds the write lock and has caught up with every
// other writer when it calls decide (with mu held), so decide sees every record stored so far.
func (d *Dir) appendTo(ctx context.Context, l *appendLog, apply func(int64, []byte) error, decide func() ([][]byte, error)) error {
	if err := d.checkWritable(ctx); err != nil {
		return err
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	unlock, err := d.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	d.mu.Lock()
	err = d.checkOpen(ctx)
	if err == nil {
		err = d.catchUpLog(l, apply, true)
	}
	var lines [][]byte
	if err == nil {
		lines, err = decide()
	}
	end, openTail := l.size, l.openTail
	d.mu.Unlock()
	if err != nil || len(lines) == 0 {
		return err
	}
	// Written without mu, so this process's readers do not wait for the fsync.
	if err := l.write(end, openTail, lines...); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.catchUpLog(l, apply, false)
}

// SaveEpisode appends the episode and fsyncs before returning. An episode already stored with
// the same content is not written again; with other content it is refused (ErrConflict).
func (d *Dir) SaveEpisode(ctx context.Context, ep *sotopia.EpisodeLog) error {
	n, err := normalizeEpisode(ep)
	if err != nil {
		return err
	}
	b, err := marshal(n)
	if err != nil {
		return fmt.Errorf("episode %s: %w", n.PK, err)
	}
	err = d.appendTo(ctx, d.episodes, d.applyEpisode, func() ([][]byte, error) {
		e, ok := d.epIdx[n.PK]
		if !ok {
			return [][]byte{b}, nil
		}
		old, err := d.episodes.readAt(e.off, e.n)
		if err != nil {
			return nil, err
		}
		return nil, sameEpisode("episode", n.PK, old, b)
	})
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("save episode %s: %w", n.PK, err)
	}
	return err
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
	if err := d.refresh(ctx); err != nil {
		return nil, err
	}
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
	if err := d.refresh(ctx); err != nil {
		return nil, err
	}
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
	if err := d.refresh(ctx); err != nil {
		return Stats{}, err
	}
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

// Close releases the files. Calls after Close return ErrClosed.
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
	return first
}
