package store

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	noWarn := func(msg string) { t.Errorf("unexpected warning: %s", msg) }
	o, err := openOutbox(path, noWarn)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := outboxItem{"EpisodeLog", "A"}, outboxItem{"EpisodeLog", "B"}, outboxItem{"AgentProfile", "C"}
	for _, it := range []outboxItem{a, b, c} {
		if err := o.add(it); err != nil {
			t.Fatal(err)
		}
	}
	sentA := o.gen(a)
	o.add(a) // a newer save of A lands while the older copy is in flight
	o.done(a, sentA)
	if !reflect.DeepEqual(o.items(), []outboxItem{b, c, a}) {
		t.Fatalf("items = %v: a stale done must not clear the newer save, and order is oldest first", o.items())
	}
	o.done(b, o.gen(b))
	o.close()

	// A torn tail from a crash is dropped; the rest replays.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"op":"add","kind":"Epi`)
	f.Close()
	var warned int
	o, err = openOutbox(path, func(string) { warned++ })
	if err != nil {
		t.Fatal(err)
	}
	if warned != 1 || !reflect.DeepEqual(o.items(), []outboxItem{c, a}) {
		t.Fatalf("after reopen: items %v, %d warnings", o.items(), warned)
	}
	o.done(c, o.gen(c))
	o.done(a, o.gen(a))
	if st, _ := os.Stat(path); st.Size() != 0 || o.len() != 0 {
		t.Fatalf("empty outbox left %d bytes, %d items", st.Size(), o.len())
	}
	o.close()
}
