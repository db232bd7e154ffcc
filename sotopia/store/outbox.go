package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// outboxItem names one object that still has to reach the remote store.
type outboxItem struct {
	Kind string `json:"kind"`
	PK   string `json:"pk"`
}

type outboxLine struct {
	Op string `json:"op"` // "add" or "done"
	outboxItem
}

// outbox is the Mirror's durable to-do list: an append-only log of add/done lines in the local
// store's directory, so objects saved during a remote outage are still sent after a restart.
// Each add bumps the item's generation; done only clears the generation that was sent, so a save
// that lands while an older copy is in flight stays pending.
type outbox struct {
	mu      sync.Mutex
	log     *appendLog
	next    uint64
	pending map[outboxItem]uint64 // item -> generation (also its queue order)
}

func openOutbox(path string, warn func(string)) (*outbox, error) {
	o := &outbox{pending: map[outboxItem]uint64{}}
	var err error
	o.log, err = openLog(path, func(_ int64, line []byte) error {
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
	}, warn)
	if err != nil {
		return nil, err
	}
	if len(o.pending) == 0 && o.log.size > 0 {
		if err := o.log.reset(); err != nil {
			o.log.close()
			return nil, err
		}
	}
	return o, nil
}

// add records that it must be sent; durable (fsync) when it returns.
func (o *outbox) add(it outboxItem) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, err := marshal(outboxLine{"add", it})
	if err != nil {
		return err
	}
	if _, err := o.log.append(b); err != nil {
		return err
	}
	o.next++
	o.pending[it] = o.next
	return nil
}

// gen is the item's current generation, 0 if it is not pending.
func (o *outbox) gen(it outboxItem) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pending[it]
}

// done clears the item if gen is still its generation. Losing a done line in a crash only means
// one idempotent resend, so when the outbox empties the log is simply cut to zero.
func (o *outbox) done(it outboxItem, gen uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if gen == 0 || o.pending[it] != gen {
		return nil
	}
	delete(o.pending, it)
	if len(o.pending) == 0 {
		return o.log.reset()
	}
	b, err := marshal(outboxLine{"done", it})
	if err != nil {
		return err
	}
	_, err = o.log.append(b)
	return err
}

// items lists the pending items, oldest first.
func (o *outbox) items() []outboxItem {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]outboxItem, 0, len(o.pending))
	for it := range o.pending {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return o.pending[out[i]] < o.pending[out[j]] })
	return out
}

func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

func (o *outbox) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.log.close()
}
