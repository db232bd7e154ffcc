package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
	"github.com/also-project/also/sotopia/store/storetest"
	"github.com/redis/go-redis/v9"
)

func redisHarness(srv *storetest.RedisServer, opts ...store.RedisOption) storetest.Harness {
	open := func(t *testing.T) *store.Redis {
		t.Helper()
		r, err := store.OpenRedis(context.Background(), srv.URL(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return storetest.Harness{
		Open: func(t *testing.T) store.Store {
			r := open(t)
			raw := rawClient(t, srv)
			if err := raw.FlushDB(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			return r
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t)
		},
	}
}

// rawClient talks to the test server directly, bypassing the store.
func rawClient(t *testing.T, srv *storetest.RedisServer) *redis.Client {
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.Protocol, opt.DisableIdentity = 2, true
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisPlainContract(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	r, err := store.OpenRedis(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if r.Mode() != store.RedisPlain {
		t.Fatalf("Debian's redis-server detected as %v, want plain", r.Mode())
	}
	r.Close()
	storetest.Run(t, redisHarness(srv))
}

func TestRedisPasswordContract(t *testing.T) {
	const pw = "s3cr3t-p@ss/word"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw})
	storetest.Run(t, redisHarness(srv))
}

// The JSON (Redis Stack) code path against a real server: redis-server has no RedisJSON module
// here, so jsonShim rewrites JSON.SET/JSON.GET into SET/GET on the wire. It checks the store's own
// logic in JSON mode (probe, scan-and-filter queries, NX loading), not RedisJSON itself.
func TestRedisJSONModeContract(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	r, err := store.OpenRedis(context.Background(), srv.URL(), store.WithRedisHook(jsonShim{}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Mode() != store.RedisJSON {
		t.Fatalf("mode with a JSON.GET-answering server = %v, want json", r.Mode())
	}
	r.Close()
	storetest.Run(t, redisHarness(srv, store.WithRedisHook(jsonShim{})))
}

func TestRedisWrongPasswordNeverLeaks(t *testing.T) {
	const pw, wrong = "right-horse-battery", "wr0ng-Secret-123"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw})
	for name, url := range map[string]string{
		"wrong password": srv.URLWithPassword(wrong),
		"no password":    srv.URLWithPassword(""),
	} {
		_, err := store.OpenRedis(context.Background(), url)
		if err == nil {
			t.Fatalf("%s: connected", name)
		}
		msg := err.Error()
		if strings.Contains(msg, wrong) || strings.Contains(msg, pw) {
			t.Fatalf("%s: error leaks a password: %s", name, msg)
		}
		if !strings.Contains(msg, "authentication failed") || !strings.Contains(msg, srv.Addr()) {
			t.Fatalf("%s: error does not say what is wrong and where: %s", name, msg)
		}
		t.Logf("%s: %s", name, msg)
	}
	r, err := store.OpenRedis(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if strings.Contains(r.URL(), pw) || !strings.Contains(r.URL(), "xxxxx") {
		t.Fatalf("URL() = %s, want the password redacted", r.URL())
	}
}

func TestOpenRedisBadURL(t *testing.T) {
	for _, u := range []string{"redis://:hunter2@127.0.0.1:notaport/0", "http://:hunter2@127.0.0.1:6379", "redis://:hunter2@127.0.0.1:1/0"} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond) // port 1: refused
		_, err := store.OpenRedis(ctx, u)
		cancel()
		if err == nil {
			t.Fatalf("%s: no error", u)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%s: error leaks the password: %v", u, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"redis://:pass@host:6379/0":          "redis://:xxxxx@host:6379/0",
		"redis://user:pass@host:6379":        "redis://user:xxxxx@host:6379",
		"redis://user@host:6379":             "redis://user@host:6379",
		"redis://host:6379":                  "redis://host:6379",
		"redis://:p%40ss@host/1":             "redis://:xxxxx@host/1",
		"rediss://host/0?password=abc&db=1":  "rediss://host/0?db=1&password=xxxxx",
		"redis://:pa ss%zz@host:1":           "redis://xxxxx@host:1",
		"not a url :secret@host":             "xxxxx@host",
		"redis://:pw@h:1/0?client_name=also": "redis://:xxxxx@h:1/0?client_name=also",
	} {
		if got := store.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedisURLFromFlagOrEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "REDIS_OM_URL" {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct{ flag, env, want string }{
		{"redis://flag:1", "redis://env:2", "redis://flag:1"},
		{"", "redis://env:2", "redis://env:2"},
		{"", "", store.DefaultRedisURL},
	} {
		if got := store.RedisURL(c.flag, env(c.env)); got != c.want {
			t.Errorf("RedisURL(%q, env %q) = %q, want %q", c.flag, c.env, got, c.want)
		}
	}
}

// The bytes in Redis are what redis-om/Pydantic reads: Sotopia's key, field names and shapes.
func TestRedisSotopiaLayout(t *testing.T) {
	ctx := context.Background()
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	r, err := store.OpenRedis(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ep := storetest.Episode("01JLAYOUT", "exp", "01H7VFHNV13MHN97GAH73E3KM8", "T1", sotopia.StatusDone)
	if err := r.SaveEpisode(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if err := r.LoadDataset(ctx, sotopia.MustEmbedded()); err != nil {
		t.Fatal(err)
	}
	raw := rawClient(t, srv)
	doc, err := raw.Get(ctx, ":sotopia.database.logs.EpisodeLog:01JLAYOUT").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pk", "environment", "agents", "tag", "models", "messages", "reasoning", "rewards", "rewards_prompt"} {
		if _, ok := m[f]; !ok {
			t.Errorf("EpisodeLog document lacks Sotopia field %q", f)
		}
	}
	rewards := m["rewards"].([]any)
	tuple, ok := rewards[0].([]any)
	if !ok || len(tuple) != 2 || rewards[1] != 0.0 {
		t.Errorf("rewards = %v, want [[overall, {dims}], 0.0]", rewards)
	}
	if dims := tuple[1].(map[string]any); dims["goal"] != 7.0 || dims["overall_score"] == nil {
		t.Errorf("reward dims = %v", dims)
	}
	if msg := m["messages"].([]any)[0].([]any)[0].([]any); len(msg) != 3 || msg[0] != "Environment" {
		t.Errorf("messages[0][0] = %v, want a [sender, receiver, text] triple", msg)
	}
	for _, k := range []string{"idx:EpisodeLog:tag:exp", "idx:EpisodeLog:environment:01H7VFHNV13MHN97GAH73E3KM8",
		"idx:EpisodeLog:task:T1", "idx:EpisodeLog:status:done"} {
		if ok, _ := raw.SIsMember(ctx, k, "01JLAYOUT").Result(); !ok {
			t.Errorf("index set %s lacks the episode", k)
		}
	}
	for _, k := range []string{
		":sotopia.database.persistent_profile.AgentProfile:01H5TNE5PC2DP6RKG0KNQ4D5GE",
		":sotopia.database.persistent_profile.EnvironmentProfile:01H7VFHNV13MHN97GAH73E3KM8",
		":sotopia.database.env_agent_combo_storage.EnvAgentComboStorage:" + sotopia.MustEmbedded().Tasks[0].PK,
		":sotopia.database.persistent_profile.RelationshipProfile:" + sotopia.MustEmbedded().Relationships[0].PK,
		":sotopia.database.persistent_profile.EnvironmentList:01HAK34YPB1H1RWXQDASDKHSNS",
	} {
		if n, _ := raw.Exists(ctx, k).Result(); n != 1 {
			t.Errorf("key %s missing", k)
		}
	}
	agent, _ := raw.Get(ctx, ":sotopia.database.persistent_profile.AgentProfile:01H5TNE5PC2DP6RKG0KNQ4D5GE").Result()
	if !strings.Contains(agent, `"first_name":"Samuel"`) || !strings.Contains(agent, `"pk":"01H5TNE5PC2DP6RKG0KNQ4D5GE"`) {
		t.Errorf("agent document = %s", agent)
	}
}

// An episode written by Sotopia (tag null, no also fields, extra HEAD fields, a failed judge's bare
// 0.0) reads back as a done episode.
func TestRedisReadsSotopiaDocument(t *testing.T) {
	ctx := context.Background()
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{})
	r, err := store.OpenRedis(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	doc := `{"pk": "01H8XWN5V57J20F3JG7WWQKDAC", "environment": "01H7VFHNSAKNYEHV7B1VA8R3J2",
	  "agents": ["01H5TNE5PC2DP6RKG0KNQ4D5GE", "01H5TNE5PBXGRD41HXQC1ZXHVN"], "tag": null,
	  "models": ["gpt-4", "gpt-4", "gpt-3.5-turbo"], "agent_classes": ["LLMAgent", "LLMAgent"],
	  "messages": [[["Environment", "Samuel Anderson", "ctx"], ["Samuel Anderson", "Environment", "said: \"hi\""]]],
	  "reasoning": "r", "rewards": [[3.0, {"believability": 10.0, "relationship": 4.0, "knowledge": 0.0, "secret": 0.0,
	  "social_rules": 0.0, "financial_and_material_benefits": -3.0, "goal": 10.0, "overall_score": 3.0}], 0.0],
	  "rewards_prompt": ""}`
	raw := rawClient(t, srv)
	raw.Set(ctx, store.KeyPrefixEpisodeLog+"01H8XWN5V57J20F3JG7WWQKDAC", doc, 0)
	ep, err := r.Episode(ctx, "01H8XWN5V57J20F3JG7WWQKDAC")
	if err != nil {
		t.Fatal(err)
	}
	want := sotopia.NewSeatReward(sotopia.Scores{10, 4, 0, 0, 0, -3, 10})
	if ep.Status != sotopia.StatusDone || ep.Tag != "" || !reflect.DeepEqual(ep.Rewards, []sotopia.SeatReward{want, {}}) ||
		ep.Messages[0][1].Text != `said: "hi"` {
		t.Fatalf("read %+v", ep)
	}
}

// Configuration mistakes fail at open with an error that says what is wrong, never the password:
// a database number the server lacks, and a port nothing listens on.
func TestOpenRedisConfigurationErrorsAreClear(t *testing.T) {
	const pw = "cfg-err-pw"
	srv := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw})
	down := storetest.StartRedis(t, storetest.RedisServerOptions{Password: pw})
	down.Stop()
	for name, tc := range map[string]struct{ url, want string }{
		"bad db index": {strings.TrimSuffix(srv.URL(), "/0") + "/99", "no database 99"},
		"wrong port":   {down.URL(), "is redis-server running there"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := store.OpenRedis(ctx, tc.url)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), pw) {
			t.Fatalf("%s: %v; want an error saying %q without the password", name, err, tc.want)
		}
	}
	dest, err := store.RedisDestination("redis://alice:" + pw + "@example.org:6380/3")
	if err != nil || dest != "redis://alice@example.org:6380/3" {
		t.Fatalf("RedisDestination = %q, %v", dest, err)
	}
}
