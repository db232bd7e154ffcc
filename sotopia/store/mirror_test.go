package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// syncBuffer is a log sink safe for the Mirror's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newMirror(t *testing.T, dir string, srv *storetest.RedisServer, logs *syncBuffer) *store.Mirror {
	t.Helper()
	m, err := store.NewMirror(openDir(t, dir), func(ctx context.Context) (store.Store, error) {
		return store.OpenRedis(ctx, srv.URL())
	}, store.MirrorOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func waitPending(t *testing.T, m *store.Mirror, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for m.Pending() != want {
		if time.Now().After(deadline) {
			t.Fatalf("pending = %d after 15s, want %d", m.Pending(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// remoteEpisodes reads what actually reached Redis, with a client of its own.
func remoteEpisodes(t *testing.T, srv *storetest.RedisServer) []*sotopia.EpisodeLog {
	t.Helper()
	r, err := store.OpenRedis(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	eps, err := r.Episodes(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

func mirrorEpisode(i int, tag string) *sotopia.EpisodeLog {
	return storetest.Episode(fmt.Sprintf("01JM%03d", i), tag, "E", "T", sotopia.StatusDone)
}

// Redis dies mid-run and comes back: every save still succeeds at once (durable locally), the
// outbox holds what Redis missed, and after the restart everything reaches Redis.
func TestMirrorSurvivesRedisOutage(t *testing.T) {
	ctx := context.Background()
	const pw = "mirror-pass-9f2"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw, Persist: true})
	logs := &syncBuffer{}
	m := newMirror(t, t.TempDir(), srv, logs)
	defer m.Close()
	if err := m.LoadDataset(ctx, sotopia.MustEmbedded()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := m.SaveEpisode(ctx, mirrorEpisode(i, "before")); err != nil {
			t.Fatal(err)
		}
	}
	waitPending(t, m, 0)
	if got := len(remoteEpisodes(t, srv)); got != 5 {
		t.Fatalf("Redis has %d episodes before the outage, want 5", got)
	}

	srv.Kill()
	start := time.Now()
	for i := 5; i < 15; i++ {
		if err := m.SaveEpisode(ctx, mirrorEpisode(i, "during")); err != nil {
			t.Fatalf("save during outage: %v", err)
		}
	}
	if err := m.SaveEpisode(ctx, mirrorEpisode(0, "before")); err != nil { // an identical re-save during the outage
		t.Fatal(err)
	}
	if err := m.SaveEpisode(ctx, mirrorEpisode(0, "resaved")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("other content under a stored pk during the outage: %v, want ErrConflict", err)
	}
	agent, _ := m.Agent(ctx, "01H5TNE5PC2DP6RKG0KNQ4D5GE")
	agent.Secret = "changed during the outage"
	if err := m.SaveAgent(ctx, agent); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("changed agent during the outage: %v, want ErrConflict", err)
	}
	agent.PK = "01JNEWAGENTDURINGOUTAGE"
	if err := m.SaveAgent(ctx, agent); err != nil {
		t.Fatal(err)
	}
	t.Logf("12 saves during the outage took %v", time.Since(start))
	if got := m.Pending(); got != 12 {
		t.Fatalf("pending during outage = %d, want 12 (11 episodes + 1 agent)", got)
	}

	srv.Start()
	waitPending(t, m, 0)
	local, err := m.Episodes(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	remote := remoteEpisodes(t, srv)
	if len(local) != 15 || !reflect.DeepEqual(remote, local) {
		t.Fatalf("after recovery Redis has %d episodes, local %d (or they differ)", len(remote), len(local))
	}
	r, err := store.OpenRedis(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if a, err := r.Agent(ctx, agent.PK); err != nil || a.Secret != agent.Secret {
		t.Fatalf("agent saved during the outage: %+v, %v", a, err)
	}
	if ep, _ := r.Episode(ctx, "01JM000"); ep.Tag != "before" {
		t.Fatalf("refused re-save during the outage: Redis has tag %q, want the original, before", ep.Tag)
	}
	out := logs.String()
	if !strings.Contains(out, "unreachable") || !strings.Contains(out, "reachable") {
		t.Errorf("outage and recovery not logged:\n%s", out)
	}
	if strings.Contains(out, pw) {
		t.Fatalf("log leaks the Redis password:\n%s", out)
	}
}

// Objects queued while Redis is down survive a restart of our process and are delivered later.
func TestMirrorOutboxSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Persist: true})
	srv.Kill()
	dir := t.TempDir()
	logs := &syncBuffer{}
	m := newMirror(t, dir, srv, logs)
	for i := 0; i < 3; i++ {
		if err := m.SaveEpisode(ctx, mirrorEpisode(i, "queued")); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SaveTask(ctx, sotopia.Task{PK: "01JTASKQ", EnvID: "E", AgentIDs: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	if got := m.Pending(); got != 4 {
		t.Fatalf("pending = %d, want 4", got)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = newMirror(t, dir, srv, logs)
	defer m.Close()
	if got := m.Pending(); got != 4 {
		t.Fatalf("pending after restart = %d, want 4", got)
	}
	srv.Start()
	waitPending(t, m, 0)
	if got := remoteEpisodes(t, srv); len(got) != 3 {
		t.Fatalf("Redis has %d episodes, want 3", len(got))
	}
}

// The Mirror keeps the store contract too (no overwrite, tag bindings and locks included), with
// every save forwarded to a real Redis.
func TestMirrorContract(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	logs := &syncBuffer{}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T) store.Store {
			if err := rawClient(t, srv).FlushDB(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			return newMirror(t, t.TempDir(), srv, logs)
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			m := s.(*store.Mirror)
			dir := m.Local().Path()
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			return newMirror(t, dir, srv, logs)
		},
	})
}

// A tag bound in the remote to another configuration refuses the binding before anything is
// bound locally.
func TestMirrorBindTagChecksTheRemoteFirst(t *testing.T) {
	ctx := context.Background()
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	r, err := store.OpenRedis(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.BindTag(ctx, store.RunConfig{Tag: "shared", Fingerprint: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	m := newMirror(t, t.TempDir(), srv, &syncBuffer{})
	defer m.Close()
	if err := m.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	waitPending(t, m, 0) // the first dial has happened
	err = m.BindTag(ctx, store.RunConfig{Tag: "shared", Fingerprint: "mine"})
	if !errors.Is(err, store.ErrTagBound) {
		t.Fatalf("BindTag of a tag the remote binds elsewhere: %v, want ErrTagBound", err)
	}
	if _, err := m.TagConfig(ctx, "shared"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused binding was stored locally: %v", err)
	}
}

// An outbox line of a kind this binary cannot relay (from a newer one) is refused and kept,
// never dropped as if the local object were gone.
func TestMirrorKeepsAnOutboxItemOfUnknownKind(t *testing.T) {
	ctx := context.Background()
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	dir := t.TempDir()
	line := `{"op":"add","kind":"FutureKind","pk":"01JFUTURE"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "outbox.jsonl"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	m := newMirror(t, dir, srv, logs)
	err := m.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), `outbox kind "FutureKind"`) {
		t.Fatalf("Flush err = %v, want a refusal naming the kind", err)
	}
	if got := m.Pending(); got != 1 {
		t.Fatalf("pending = %d, want 1 (kept)", got)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = newMirror(t, dir, srv, logs)
	defer m.Close()
	if got := m.Pending(); got != 1 {
		t.Fatalf("pending after restart = %d, want 1", got)
	}
}
