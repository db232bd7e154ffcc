package session

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

// lockedBuffer collects warnings written by the mirror's goroutine and the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func outageRun(t *testing.T, episodes, batch int) config.Run {
	t.Helper()
	cfg := config.DefaultRun()
	cfg.Store = filepath.Join(t.TempDir(), "store")
	cfg.Out = filepath.Join(t.TempDir(), "run")
	cfg.Bandit, cfg.MaxEpisodes, cfg.BatchSize, cfg.MaxTurns, cfg.Tag = "exp3", episodes, batch, 8, "outage"
	return cfg
}

// outageOptions keep the retries short; timeout bounds each Redis call (go-redis alone retries a
// refused connection for about 1.7s).
func outageOptions(warn *lockedBuffer, url string, timeout time.Duration) StoreOptions {
	return StoreOptions{Warn: warn, Getenv: func(string) string { return url }, DialTimeout: timeout,
		Mirror: store.MirrorOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: timeout}}
}

// sameInRedis checks that Redis holds exactly the episodes of the local store, field for field.
func sameInRedis(t *testing.T, dir, url string, want int) {
	t.Helper()
	ctx := context.Background()
	local, err := store.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	mine, err := local.Episodes(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := store.OpenRedis(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	theirs, err := r.Episodes(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != want {
		t.Fatalf("local store has %d episodes, want %d", len(mine), want)
	}
	if len(theirs) != len(mine) {
		t.Fatalf("Redis has %d episodes, the local store %d: %v vs %v", len(theirs), len(mine), episodePKs(theirs), episodePKs(mine))
	}
	for i := range mine {
		if !reflect.DeepEqual(mine[i], theirs[i]) {
			t.Errorf("episode %s differs between the local store and Redis", mine[i].PK)
		}
	}
}

func episodePKs(eps []*sotopia.EpisodeLog) []string {
	var out []string
	for _, ep := range eps {
		out = append(out, ep.PK)
	}
	return out
}

// Redis stops after two episodes and returns after two more: the run never notices, the two
// episodes saved during the outage wait in the outbox, and at the end every episode is in Redis.
func TestRedisStoppedMidRunLosesNothing(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Persist: true, Password: "mid-run-pw"})
	cfg := outageRun(t, 6, 1)
	cfg.RedisURL = srv.URL()
	warn := &lockedBuffer{}
	st, err := OpenStoreWith(context.Background(), cfg, outageOptions(warn, "", 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	mirror, ok := st.(*mirroredStore)
	if !ok {
		t.Fatalf("with a Redis URL the run store is %T, want the mirrored store", st)
	}
	// The runner asks Stop before starting each episode (after the previous one is saved, with
	// batch size 1); the test goroutine, not the actor, stops and restarts the server.
	starts, resume := make(chan int), make(chan struct{})
	var n int
	opt := Options{Store: st, Stop: func() string {
		n++
		starts <- n
		<-resume
		return ""
	}}
	type result struct {
		out *Outcome
		err error
	}
	finished := make(chan result, 1)
	go func() {
		out, err := Execute(context.Background(), cfg, opt)
		finished <- result{out, err}
	}()
	pendingDuringOutage := -1
	var res result
	for running := true; running; {
		select {
		case k := <-starts:
			switch k {
			case 3:
				srv.Stop()
			case 5:
				pendingDuringOutage = mirror.Pending()
				srv.Start()
			}
			resume <- struct{}{}
		case res = <-finished:
			running = false
		case <-time.After(45 * time.Second):
			t.Fatal("run did not finish within 45s")
		}
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.out.Summary.Done != 6 {
		t.Fatalf("summary %+v, want 6 done", res.out.Summary)
	}
	if pendingDuringOutage < 2 {
		t.Fatalf("pending during the outage = %d, want >= 2 (the episodes saved while Redis was down)", pendingDuringOutage)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	logs := warn.String()
	if !strings.Contains(logs, "unreachable") {
		t.Errorf("the outage was not reported:\n%s", logs)
	}
	if strings.Contains(logs, "did not reach Redis") {
		t.Errorf("end-of-run warning although Redis was back:\n%s", logs)
	}
	if strings.Contains(logs, "mid-run-pw") {
		t.Errorf("password leaked into the warnings:\n%s", logs)
	}
	sameInRedis(t, cfg.Store, srv.URL(), 6)
}

// Redis goes away after the run started and stays away: the run completes locally, ends with a
// warning naming the count and `also db sync`, and SyncStore delivers everything once Redis is
// back.
func TestRedisGoneForTheRunCompletesLocally(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: "down-pw", Persist: true})
	cfg := outageRun(t, 3, 3)
	warn := &lockedBuffer{}
	opt := outageOptions(warn, srv.URL(), 300*time.Millisecond) // via REDIS_OM_URL this time
	st, err := OpenStoreWith(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	out, err := Execute(context.Background(), cfg, Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.Done != 3 {
		t.Fatalf("summary %+v, want 3 done", out.Summary)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	logs := warn.String()
	// Four objects: the three episodes and the tag's configuration binding.
	for _, want := range []string{"unreachable", "4 object(s) did not reach Redis", "also db sync --store " + cfg.Store, "xxxxx"} {
		if !strings.Contains(logs, want) {
			t.Errorf("warnings lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "down-pw") {
		t.Errorf("password leaked into the warnings:\n%s", logs)
	}

	srv.Start()
	opt = outageOptions(warn, srv.URL(), 2*time.Second)
	res, err := SyncStore(context.Background(), cfg.Store, srv.URL(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered != 4 || res.Pending != 0 || len(res.Elsewhere) != 0 {
		t.Fatalf("sync: %+v, want 4 delivered, 0 pending", res)
	}
	sameInRedis(t, cfg.Store, srv.URL(), 3)
	if res, err := SyncStore(context.Background(), cfg.Store, srv.URL(), opt); err != nil || res.Delivered != 0 || res.Pending != 0 {
		t.Fatalf("second sync: %+v, %v; want nothing to do", res, err)
	}
}

// Outbox entries remember their database: a sync to another database (same server, other DB
// index) delivers none of them and reports them; a sync to their own delivers them.
func TestSyncDeliversOnlyToTheEntriesDestination(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Persist: true})
	cfg := outageRun(t, 2, 2)
	db0 := srv.URL()
	db5 := strings.TrimSuffix(db0, "/0") + "/5"
	warn := &lockedBuffer{}
	st, err := OpenStoreWith(context.Background(), cfg, outageOptions(warn, db0, 300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := Execute(context.Background(), cfg, Options{Store: st}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	srv.Start()
	opt := outageOptions(warn, "", 2*time.Second)
	res, err := SyncStore(context.Background(), cfg.Store, db5, opt)
	// Three entries: the two episodes and the tag's configuration binding.
	if err != nil || res.Delivered != 0 || res.Elsewhere[db0] != 3 {
		t.Fatalf("sync to db 5: %+v, %v; want nothing delivered and 3 entries reported for %s", res, err, db0)
	}
	r5, err := store.OpenRedis(context.Background(), db5)
	if err != nil {
		t.Fatal(err)
	}
	defer r5.Close()
	if eps, _ := r5.Episodes(context.Background(), store.Query{}); len(eps) != 0 {
		t.Fatalf("db 5 received %d episodes meant for db 0", len(eps))
	}
	res, err = SyncStore(context.Background(), cfg.Store, db0, opt)
	if err != nil || res.Delivered != 3 || len(res.Elsewhere) != 0 {
		t.Fatalf("sync to db 0: %+v, %v; want 3 delivered", res, err)
	}
	sameInRedis(t, cfg.Store, db0, 2)
}

func TestSyncStoreWithRedisDownKeepsThePendingObjects(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	cfg := outageRun(t, 1, 1)
	warn := &lockedBuffer{}
	opt := outageOptions(warn, srv.URL(), 300*time.Millisecond)
	st, err := OpenStoreWith(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := Execute(context.Background(), cfg, Options{Store: st}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	res, err := SyncStore(context.Background(), cfg.Store, srv.URL(), opt)
	// The episode and the tag's configuration binding.
	if err == nil || !strings.Contains(err.Error(), "2 of 2 object(s) still pending") {
		t.Fatalf("sync with Redis down: %+v, %v; want an error saying 2 of 2 pending", res, err)
	}
	if _, err := SyncStore(context.Background(), cfg.Store, "", opt); err == nil || !strings.Contains(err.Error(), "REDIS_OM_URL") {
		t.Fatalf("sync without URL: %v", err)
	}
}

// Mistakes at start stop the run at open, without printing the password: only a connection lost
// during the run goes to the outbox.
func TestOpenStoreRejectsRedisConfigurationErrors(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: "right-pw"})
	down := storetest.StartRedis(t, storetest.RedisServerOptions{})
	down.Stop()
	for name, tc := range map[string]struct{ url, secret, want string }{
		"wrong password":  {srv.URLWithPassword("wrong-pw-42"), "wrong-pw-42", "authentication failed"},
		"bad port":        {"redis://:bad-port-pw@127.0.0.1:notaport/0", "bad-port-pw", "not valid"},
		"bad scheme":      {"http://:scheme-pw@127.0.0.1:6379", "scheme-pw", "not valid"},
		"bad db index":    {strings.TrimSuffix(srv.URL(), "/0") + "/99", "right-pw", "no database 99"},
		"db not a number": {strings.TrimSuffix(srv.URL(), "/0") + "/x", "right-pw", "not valid"},
		"nothing there":   {strings.Replace(down.URL(), "redis://", "redis://:down-pw@", 1), "down-pw", "is redis-server running there"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := outageRun(t, 1, 1)
			cfg.RedisURL = tc.url
			warn := &lockedBuffer{}
			st, err := OpenStoreWith(context.Background(), cfg, outageOptions(warn, "", 2*time.Second))
			if err == nil {
				st.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error()+warn.String(), tc.secret) {
				t.Fatalf("error %q (warnings %q): want %q and no password", err, warn.String(), tc.want)
			}
			// Nothing was created for a run that never started.
			if _, err := os.Stat(cfg.Store); !os.IsNotExist(err) {
				t.Fatalf("a refused open left the store directory behind: %v", err)
			}
		})
	}
}

func TestOpenStoreWithoutURLIsTheEmbeddedStore(t *testing.T) {
	cfg := outageRun(t, 1, 1)
	st, err := OpenStoreWith(context.Background(), cfg, StoreOptions{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := st.(*store.Dir); !ok {
		t.Fatalf("store is %T, want *store.Dir", st)
	}
}
