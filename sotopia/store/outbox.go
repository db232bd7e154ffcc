package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/also-project/also/internal/atomicfile"
)

// outboxItem names one object that still has to reach a remote store, and which one.
type outboxItem struct {
	Kind string `json:"kind"`
	PK   string `json:"pk"`
	// Dest is the remote (RedisDestination's form: no password). Outboxes written before
	// destinations were recorded have none; only `also db sync` delivers those, when asked to.
	Dest string `json:"dest,omitempty"`
}

type outboxLine struct {
	Op string `json:"op"` // "add" or "done"
	outboxItem
}

// outbox is the Mirror's durable to-do list: an append-only log of add/done lines in the local
// store's directory, so objects saved during a remote outage are still sent after a restart.
// Several processes (runs with different tags) may share it: every change is made under the
// store's write lock after catching up with the file, and an emptied outbox is replaced by a new
// empty file (never cut in place), which the other processes notice and reread.
// Each add bumps the item's generation; done only clears the generation that was sent.
type outbox struct {
	dir  *Dir
	path string
	warn func(string)

	mu      sync.Mutex
	log     *appendLog
	next    uint64
	pending map[outboxItem]uint64 // item -> generation (also its queue order)
}

func openOutbox(d *Dir, warn func(string)) (*outbox, error) {
	o := &outbox{dir: d, path: filepath.Join(d.Path(), "outbox.jsonl"), warn: warn}
	err := o.locked(context.Background(), func() error { return nil })
	if err != nil {
		o.close()
		return nil, err
	}
	return o, nil
}

func (o *outbox) apply(_ int64, line []byte) error {
	var l outboxLine
	if err := json.Unmarshal(line, &l); err != nil {
		return err
	}
	switch l.Op {
	case "add":
		o.next++
		o.pending[l.outboxItem] = o.next
	case "done":
		delete(o.pending, l.outboxItem)
	default:
		return fmt.Errorf("outbox op %q", l.Op)
	}
	return nil
}

// catchUp rereads the file if another process replaced it, then applies what it gained. With
// repair (under the write lock) a crashed writer's torn tail is cut off. o.mu must be held.
func (o *outbox) catchUp(repair bool) error {
	if o.log != nil {
		st, err := os.Stat(o.path)
		cur, ferr := o.log.f.Stat()
		if errors.Is(err, fs.ErrNotExist) || (err == nil && ferr == nil && !os.SameFile(st, cur)) {
			o.log.close()
			o.log = nil
		}
	}
	if o.log == nil {
		l, err := openLogFile(o.path, true)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		o.log, o.next, o.pending = l, 0, map[outboxItem]uint64{}
	}
	tail, err := o.log.catchUp(o.apply)
	if err != nil || !repair {
		return err
	}
	return o.log.repair(tail, o.warn)
}

// locked runs f under the store's write lock and o.mu, caught up and repaired.
func (o *outbox) locked(ctx context.Context, f func() error) error {
	return o.dir.withWriteLock(ctx, func() error {
		o.mu.Lock()
		defer o.mu.Unlock()
		if err := o.catchUp(true); err != nil {
			return err
		}
		return f()
	})
}

func (o *outbox) appendLine(l outboxLine) error {
	b, err := marshal(l)
	if err != nil {
		return err
	}
	if err := o.log.write(o.log.size, o.log.openTail, b); err != nil {
		return err
	}
	_, err = o.log.catchUp(o.apply)
	return err
}

// add records that it must be sent; durable (fsync) when it returns.
func (o *outbox) add(it outboxItem) error {
	return o.locked(context.Background(), func() error { return o.appendLine(outboxLine{"add", it}) })
}

// gen is the item's current generation, 0 if it is not pending.
func (o *outbox) gen(it outboxItem) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pending[it]
}

// done clears the item if gen is still its generation. Losing a done line in a crash only means
// one resend, which changes nothing (records are never replaced), so when the outbox empties it
// is replaced by an empty file.
func (o *outbox) done(it outboxItem, gen uint64) error {
	return o.locked(context.Background(), func() error {
		if gen == 0 || o.pending[it] != gen {
			return nil
		}
		if len(o.pending) == 1 {
			return o.replaceEmpty()
		}
		return o.appendLine(outboxLine{"done", it})
	})
}

func (o *outbox) replaceEmpty() error {
	if err := atomicfile.WriteFile(o.path, nil, 0o644); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return o.catchUp(false) // notices the new file
}

// items lists the pending items that keep returns true for, oldest first.
func (o *outbox) items(keep func(outboxItem) bool) []outboxItem {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.catchUp(false) // best effort: on error the last known state is still right for this process
	out := make([]outboxItem, 0, len(o.pending))
	for it := range o.pending {
		if keep(it) {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool { return o.pending[out[i]] < o.pending[out[j]] })
	return out
}

func (o *outbox) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.log == nil {
		return nil
	}
	return o.log.close()
}
