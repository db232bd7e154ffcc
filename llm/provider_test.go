package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/also-project/also/llm/llmtest"
)

// The artifact's pin goes out as exactly the JSON object agenerate sends; a request without
// preferences carries no "provider" field at all.
func TestProviderPreferencesAreSentExactly(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, nil)
	m := rig.model(t, "openrouter/deepseek/deepseek-v3.2")
	pin := ArtifactDeepSeekPin()
	with := userReq("pinned")
	with.Provider = &pin
	if _, err := m.Chat(context.Background(), with); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Chat(context.Background(), userReq("free")); err != nil {
		t.Fatal(err)
	}
	emb := EmbedRequest{Input: []string{"x"}, Provider: &pin}
	if _, err := m.Embed(context.Background(), emb); err != nil {
		t.Fatal(err)
	}
	reqs := rig.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	const want = `{"order":["siliconflow"],"quantizations":["fp8"],"preferred_min_throughput":{"p90":100}}`
	for _, i := range []int{0, 2} {
		if got := compactJSON(t, reqs[i].Provider); got != want {
			t.Errorf("request %d provider %s, want %s", i, got, want)
		}
	}
	if reqs[1].Provider != nil || strings.Contains(string(reqs[1].Body), `"provider"`) {
		t.Errorf("request without preferences sent %s", reqs[1].Body)
	}
	// The rest of the body is what it would be without them.
	if reqs[0].Model != "deepseek/deepseek-v3.2" || len(reqs[0].Messages) != 1 || *reqs[0].Temperature != 0 {
		t.Errorf("body changed: %s", reqs[0].Body)
	}
}

func TestProviderPreferencesOnlyForOpenRouter(t *testing.T) {
	rig := newRig(t, llmtest.Config{}, nil)
	pin := ArtifactDeepSeekPin()
	req := userReq("x")
	req.Provider = &pin
	_, err := rig.model(t, "openai/gpt-4o").Chat(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "provider preferences are OpenRouter's") {
		t.Fatalf("openai model with preferences: %v", err)
	}
	if rig.srv.Count() != 0 {
		t.Fatal("a refused request reached the server")
	}
}

// Recorded answers are keyed on the preferences: a replay with other preferences misses.
func TestProviderPreferencesSplitTheCache(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewCache(dir, CacheRecord)
	if err != nil {
		t.Fatal(err)
	}
	rig := newRig(t, llmtest.Config{}, func(c *RouterConfig) { c.Cache = rec })
	pin := ArtifactDeepSeekPin()
	req := userReq("cached")
	req.Provider = &pin
	if _, err := rig.model(t, "openrouter/deepseek/deepseek-v3.2").Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	replay, err := NewCache(dir, CacheReplay)
	if err != nil {
		t.Fatal(err)
	}
	rig2 := newRig(t, llmtest.Config{}, func(c *RouterConfig) { c.Cache = replay })
	m := rig2.model(t, "openrouter/deepseek/deepseek-v3.2")
	if _, err := m.Chat(context.Background(), req); err != nil {
		t.Fatalf("same preferences: %v", err)
	}
	if _, err := m.Chat(context.Background(), userReq("cached")); err == nil {
		t.Fatal("a request without the preferences replayed the pinned answer")
	}
}

func TestProviderPreferencesValidate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	yes := true
	good := ProviderPreferences{Order: []string{"siliconflow", "deepinfra/fp8"}, Only: []string{"a"}, Ignore: []string{"b"},
		AllowFallbacks: &yes, RequireParameters: &yes, DataCollection: "deny", ZDR: &yes,
		Quantizations: []string{"fp8", "bf16"}, Sort: "throughput",
		PreferredMinThroughput: &Percentiles{P50: f(10), P90: f(100)}, PreferredMaxLatency: &Percentiles{P99: f(3)},
		MaxPrice: &MaxPrice{Prompt: f(1), Completion: f(2)}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		p    ProviderPreferences
		want string
	}{
		"empty":        {ProviderPreferences{}, "sets no preference"},
		"blank":        {ProviderPreferences{Order: []string{""}}, "order ="},
		"twice":        {ProviderPreferences{Order: []string{"a", "a"}}, `"a" is listed twice`},
		"inner space":  {ProviderPreferences{Only: []string{"silicon flow"}}, "only ="},
		"quantization": {ProviderPreferences{Quantizations: []string{"fp9"}}, `quantizations = ["fp9"]`},
		"only+ignore":  {ProviderPreferences{Only: []string{"a"}, Ignore: []string{"a"}}, "also in only"},
		"data":         {ProviderPreferences{DataCollection: "maybe"}, "data_collection"},
		"sort":         {ProviderPreferences{Sort: "cheapest"}, "sort"},
		"throughput":   {ProviderPreferences{PreferredMinThroughput: &Percentiles{P90: f(0)}}, "preferred_min_throughput.p90 = 0"},
		"no pct":       {ProviderPreferences{PreferredMaxLatency: &Percentiles{}}, "preferred_max_latency: sets none"},
		"price":        {ProviderPreferences{MaxPrice: &MaxPrice{Prompt: f(-1)}}, "max_price.prompt = -1"},
	}
	for name, c := range cases {
		err := c.p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// The TOML shape run files use decodes to the same object the artifact sends.
func TestProviderPreferencesTOML(t *testing.T) {
	var p ProviderPreferences
	src := "order = [\"siliconflow\"]\nquantizations = [\"fp8\"]\npreferred_min_throughput = { p90 = 100 }\n"
	if _, err := toml.Decode(src, &p); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(p)
	want, _ := json.Marshal(ArtifactDeepSeekPin())
	if string(got) != string(want) {
		t.Fatalf("%s, want %s", got, want)
	}
}

// compactJSON is the object as sent, with insignificant whitespace removed (key order kept).
func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return b.String()
}
