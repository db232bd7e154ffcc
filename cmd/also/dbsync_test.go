package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// `also run --redis-url` with nothing listening is a mistake, not an outage: the run stops before
// anything is made, exits non-zero, says why and never prints the password.
func TestRunWithRedisDownAtStartFails(t *testing.T) {
	dir := noRedisEnv(t)
	const pw = "start-secret"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw})
	srv.Stop()
	for name, url := range map[string]string{
		"server down":  srv.URL(),
		"bad db index": strings.TrimSuffix(srv.URL(), "/0") + "/9999",
	} {
		t.Run(name, func(t *testing.T) {
			if name == "bad db index" {
				srv.Start()
				defer srv.Stop()
			}
			_, stderr, err := runCLI(t, "run", "--bandit-type", "exp3", "--max-episodes", "1", "--max-turns", "4", "--tag", "offline",
				"--store", dir, "--out", filepath.Join(t.TempDir(), "run"), "--redis-url", url, "-q")
			if err == nil || strings.Contains(err.Error()+stderr, pw) || !strings.Contains(err.Error(), "redis") {
				t.Fatalf("run with Redis %s: %v (stderr %q); want a Redis error without the password", name, err, stderr)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("the refused run made a store: %v", err)
			}
		})
	}
}

// Redis goes away mid-run: what it missed waits in the outbox, each entry naming its database.
// `also db sync` to another database delivers nothing and lists them; to their own, all of them.
func TestDBSyncDeliversOnlyToTheEntriesDatabase(t *testing.T) {
	dir := noRedisEnv(t)
	const pw = "sync-secret"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw, Persist: true})
	local, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	dest, _ := store.RedisDestination(srv.URL())
	m, err := store.NewMirror(local, func(ctx context.Context) (store.Store, error) { return store.OpenRedis(ctx, srv.URL()) },
		store.MirrorOptions{Destination: dest, Timeout: 300 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	ctx := context.Background()
	for _, pk := range []string{"01JSYNC1", "01JSYNC2"} {
		if err := m.SaveEpisode(ctx, storetest.Episode(pk, "offline", "E", "T", sotopia.StatusDone)); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()
	srv.Start()
	other := strings.TrimSuffix(srv.URL(), "/0") + "/3"
	out, stderr, err := runCLI(t, "db", "sync", "--store", dir, "--redis-url", other)
	if err != nil || !strings.Contains(out, "nothing pending") || !strings.Contains(stderr, "left 2 object(s) queued for "+dest) || strings.Contains(out+stderr, pw) {
		t.Fatalf("sync to db 3: %v\nstdout %s\nstderr %s", err, out, stderr)
	}
	synced := mustCLI(t, "db", "sync", "--store", dir, "--redis-url", srv.URL())
	if !strings.Contains(synced, "delivered 2 object(s) from "+dir+" to Redis redis://:xxxxx@"+srv.Addr()) || strings.Contains(synced, pw) {
		t.Fatalf("sync output:\n%s", synced)
	}
	if again := mustCLI(t, "db", "sync", "--store", dir, "--redis-url", srv.URL()); !strings.Contains(again, "nothing pending") {
		t.Fatalf("second sync:\n%s", again)
	}
	for url, want := range map[string]int{srv.URL(): 2, other: 0} {
		r, err := store.OpenRedis(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		eps, err := r.Episodes(ctx, store.Query{Tag: "offline"})
		r.Close()
		if err != nil || len(eps) != want {
			t.Fatalf("%s holds %d episodes (%v), want %d", store.RedactURL(url), len(eps), err, want)
		}
	}
}
