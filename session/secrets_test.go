package session

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
)

const (
	secretKey       = "sk-test-S3CRET-also-7f3a9c2e5b8d14e6"
	secretRedisPass = "hunter2-redis-S3CRET"
)

// The API key (read from a .env file) and a Redis password reach neither the run folder, the
// store, the record cache, nor the log, the table or the store's warnings; nor the errors of a
// server that rejects the key and quotes it back.
func TestLiveRunKeepsSecretsOut(t *testing.T) {
	rig := newLiveRig(t, llmtest.Config{APIKey: secretKey})
	dotenv := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(dotenv, []byte(llm.CustomKeyVar+"="+secretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	redisSrv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: secretRedisPass})
	cfg := liveRun(t, rig, func(c *config.Run) {
		c.MaxEpisodes, c.MaxTurns, c.LLMCache = 3, 3, "record"
		c.RedisURL = redisSrv.URL()
	})
	var log, warn, table bytes.Buffer
	opt := Options{Log: &log, LLM: LLMOptions{DotEnv: dotenv, LookupEnv: func(string) (string, bool) { return "", false }}}
	st, err := OpenStoreWith(context.Background(), cfg, StoreOptions{Warn: &warn, DialTimeout: 2 * time.Second, FlushTimeout: 200 * time.Millisecond,
		Mirror: store.MirrorOptions{Timeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	// Redis goes away once the run started: the run goes on with the embedded store and warns.
	redisSrv.Stop()
	opt.Store = st
	out, err := Execute(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Log(err)
	}
	if out.Summary.Done != 3 {
		t.Fatalf("summary %+v\n%s", out.Summary, log.String())
	}
	if reqs := rig.srv.Requests(); len(reqs) == 0 || reqs[0].Authorization != "Bearer "+secretKey {
		t.Fatal("the requests did not carry the key from the .env file: the test proves nothing")
	}
	report.WriteTable(&table, out.Summary)
	if !strings.Contains(warn.String(), "Redis") {
		t.Fatalf("no Redis warning: the password had no chance to leak:\n%s", warn.String())
	}

	// A server that rejects the key and quotes it in its error message: the endpoint check
	// before the first episode refuses the run, naming the endpoint and never the key.
	reject := func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Status: 401, ErrorMessage: "Incorrect API key provided: " + strings.TrimPrefix(r.Authorization, "Bearer ")}
	}
	rejecting := llmtest.NewServer(t, llmtest.Config{Handler: reject, Probe: reject})
	bad := cfg
	bad.RedisURL, bad.LLMCache, bad.MaxEpisodes = "", "off", 1
	bad.Out, bad.Store = filepath.Join(t.TempDir(), "run401"), filepath.Join(t.TempDir(), "store401")
	url := rejecting.URL()
	bad.Model, bad.RewardEvalModel = "custom/agent@"+url, "custom/judge@"+url
	bad.TerminalEvalModel, bad.EmbeddingModel = "custom/terminal@"+url, "custom/embed@"+url
	opt.Store = nil
	_, err = Execute(context.Background(), bad, opt)
	var ee *EndpointError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "HTTP 401 Unauthorized") || !strings.Contains(err.Error(), "Incorrect API key provided") ||
		!strings.Contains(err.Error(), "custom/agent@"+url) {
		t.Fatalf("rejected key: error %v, want the endpoint check naming custom/agent and the 401", err)
	}
	if len(rejecting.Requests()) != 0 || len(rejecting.Probes()) != 1 {
		t.Fatalf("%d requests and %d checks reached the rejecting server; want only the first check", len(rejecting.Requests()), len(rejecting.Probes()))
	}
	for _, dir := range []string{bad.Out, bad.Store} {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists after the run was refused at start (%v)", dir, err)
		}
	}
	table.WriteString(err.Error())

	texts := map[string][]byte{"log": log.Bytes(), "store warnings": warn.Bytes(), "table": table.Bytes()}
	for _, dir := range []string{cfg.Out, cfg.Store, cfg.CacheDir} {
		n := 0
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			texts[path] = b
			n++
			return err
		})
		if err != nil || n == 0 {
			t.Fatalf("%s: %d files, %v", dir, n, err)
		}
	}
	for where, b := range texts {
		for _, secret := range []string{secretKey, secretRedisPass} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains a secret", where)
			}
		}
	}
}
