package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// `also run --redis-url` with Redis down completes in the embedded store; `also db sync` then
// delivers every episode once Redis is back, without ever printing the password.
func TestRunWithRedisDownThenDBSync(t *testing.T) {
	dir := noRedisEnv(t)
	const pw = "sync-secret"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw})
	srv.Stop()
	out := mustCLI(t, "run", "--bandit-type", "exp3", "--max-episodes", "2", "--max-turns", "6", "--tag", "offline",
		"--store", dir, "--out", filepath.Join(t.TempDir(), "run"), "--redis-url", srv.URL(), "-q")
	if !strings.Contains(out, "tag offline: 2 episodes, 2 done") {
		t.Fatalf("run output:\n%s", out)
	}
	if !hasRow(mustCLI(t, "db", "stats", "--store", dir), "offline", "2", "2", "0") {
		t.Fatal("the local store lacks the run's episodes")
	}
	srv.Start()
	synced := mustCLI(t, "db", "sync", "--store", dir, "--redis-url", srv.URL())
	if !strings.Contains(synced, "delivered 2 object(s) from "+dir+" to Redis redis://:xxxxx@"+srv.Addr()) || strings.Contains(synced, pw) {
		t.Fatalf("sync output:\n%s", synced)
	}
	if again := mustCLI(t, "db", "sync", "--store", dir, "--redis-url", srv.URL()); !strings.Contains(again, "nothing pending") {
		t.Fatalf("second sync:\n%s", again)
	}
	r, err := store.OpenRedis(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	eps, err := r.Episodes(context.Background(), store.Query{Tag: "offline", Status: "done"})
	if err != nil || len(eps) != 2 {
		t.Fatalf("Redis holds %d done episodes under offline (%v), want 2", len(eps), err)
	}
}
