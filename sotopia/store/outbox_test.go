package store

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func all(outboxItem) bool { return true }

func TestOutbox(t *testing.T) {
	d, err := OpenDir(t.TempDir(), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	path := filepath.Join(d.Path(), "outbox.jsonl")
	noWarn := func(msg string) { t.Errorf("unexpected warning: %s", msg) }
	o, err := openOutbox(d, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := outboxItem{"EpisodeLog", "A", "redis://h:1/0"}, outboxItem{"EpisodeLog", "B", "redis://h:1/0"}, outboxItem{"AgentProfile", "C", "redis://h:1/2"}
	for _, it := range []outboxItem{a, b, c} {
		if err := o.add(it); err != nil {
			t.Fatal(err)
		}
	}
	sentA := o.gen(a)
	o.add(a) // queued again while the older copy is in flight
	o.done(a, sentA)
	if !reflect.DeepEqual(o.items(all), []outboxItem{b, c, a}) {
		t.Fatalf("items = %v: a stale done must not clear the newer add, and order is oldest first", o.items(all))
	}
	db2 := func(it outboxItem) bool { return it.Dest == "redis://h:1/2" }
	if got := o.items(db2); !reflect.DeepEqual(got, []outboxItem{c}) {
		t.Fatalf("items for db 2 = %v, want only C", got)
	}

	// A second process's outbox on the same store sees the same entries and its changes.
	other, err := openOutbox(d, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	other.done(b, other.gen(b))
	if !reflect.DeepEqual(o.items(all), []outboxItem{c, a}) {
		t.Fatalf("after the other outbox delivered B: %v", o.items(all))
	}
	other.close()
	o.close()

	// A torn tail from a crash is dropped; the rest replays.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"op":"add","kind":"Epi`)
	f.Close()
	var warned int
	o, err = openOutbox(d, func(string) { warned++ })
	if err != nil {
		t.Fatal(err)
	}
	if warned != 1 || !reflect.DeepEqual(o.items(all), []outboxItem{c, a}) {
		t.Fatalf("after reopen: items %v, %d warnings", o.items(all), warned)
	}
	other, _ = openOutbox(d, noWarn)
	o.done(c, o.gen(c))
	o.done(a, o.gen(a))
	if st, _ := os.Stat(path); st.Size() != 0 || len(o.items(all)) != 0 {
		t.Fatalf("empty outbox left %d bytes, %d items", st.Size(), len(o.items(all)))
	}
	// The other process notices the outbox was replaced and keeps working on the new file.
	if len(other.items(all)) != 0 {
		t.Fatalf("other outbox still lists %v after the file was emptied", other.items(all))
	}
	if err := other.add(b); err != nil || !reflect.DeepEqual(o.items(all), []outboxItem{b}) {
		t.Fatalf("add after replacement: %v, items %v", err, o.items(all))
	}
	other.close()
	o.close()
}
