package llm

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/also-project/also/llm/llmtest"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestPriceCost(t *testing.T) {
	p := Price{Input: 2.5, Output: 10, Cached: 1.25}
	// 600 uncached * 2.5 + 400 cached * 1.25 + 500 out * 10 = 7000 per 1M.
	if got := p.Cost(1000, 500, 400); !near(got, 0.007) {
		t.Errorf("cost %v, want 0.007", got)
	}
	// No cached price: cached tokens cost the input price.
	if got := (Price{Input: 1, Output: 2}).Cost(1000, 1000, 500); !near(got, 0.003) {
		t.Errorf("cost %v, want 0.003", got)
	}
}

func TestDefaultPricesAndLookup(t *testing.T) {
	tab, err := DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Source == "" || tab.Date == "" || len(tab.Models) < 5 {
		t.Errorf("default table lacks source, date or models: %+v", tab)
	}
	for name, want := range map[string]float64{
		"openai/gpt-4o":                      2.5,
		"openrouter/openai/gpt-4o":           2.5, // priced by its vendor/model id
		"openrouter/deepseek/deepseek-v3.2":  0.28,
		"openrouter/qwen/qwen3-embedding-8b": 0.01,
	} {
		r, err := ParseModel(name)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := tab.Lookup(r)
		if !ok || p.Input != want {
			t.Errorf("%s: %+v %v, want input %v", name, p, ok, want)
		}
	}
	r, _ := ParseModel("custom/local@http://127.0.0.1:8000/v1")
	if _, ok := tab.Lookup(r); ok {
		t.Error("a custom model is priced by default")
	}
}

func TestLoadPricesOverridesDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prices.toml")
	os.WriteFile(path, []byte(`date = "2026-03"
[models."openai/gpt-4o"]
input = 1.0
output = 2.0
[models."custom/local"]
input = 0.5
output = 0.5
`), 0o644)
	tab, err := LoadPrices(path)
	if err != nil {
		t.Fatal(err)
	}
	if p := tab.Models["openai/gpt-4o"]; p.Input != 1 || p.Cached != 0 {
		t.Errorf("override: %+v", p)
	}
	if _, ok := tab.Models["openai/gpt-4o-mini"]; !ok {
		t.Error("defaults lost")
	}
	r, _ := ParseModel("custom/local@http://127.0.0.1:8000/v1")
	if p, ok := tab.Lookup(r); !ok || p.Input != 0.5 {
		t.Errorf("custom price: %+v %v", p, ok)
	}
}

func TestParsePricesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"[models.\"a\"]\ninput = \n", "line 2"},
		{"[models.\"a\"]\ninput = -1\n", `models."a".input = -1`},
		{"[models.\"a\"]\nprompt = 1\n", "unknown keys models.a.prompt"},
	}
	for _, tt := range tests {
		_, err := ParsePrices([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePrices(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestMeterSumsUsageAndCostPerRole(t *testing.T) {
	rig := newRig(t, llmtest.Config{Handler: func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: "x", PromptTokens: 1000, CompletionTokens: 500, CachedTokens: 400}
	}}, nil)
	run := NewMeter(nil)
	ep1, ep2 := run.Child(), run.Child()
	agent := Metered(rig.model(t, "openai/gpt-4o"), ep1, RoleAgent)
	judge := Metered(rig.model(t, "openrouter/deepseek/deepseek-v3.2"), ep1, RoleJudge)
	emb := Metered(rig.model(t, "openrouter/qwen/qwen3-embedding-8b"), ep2, RoleEmbedder)
	ctx := context.Background()
	for range 2 {
		if _, err := agent.Chat(ctx, userReq("a")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := judge.Chat(ctx, userReq("j")); err != nil {
		t.Fatal(err)
	}
	if _, err := emb.Embed(ctx, EmbedRequest{Input: []string{"one", "two"}}); err != nil {
		t.Fatal(err)
	}
	a := ep1.Role(RoleAgent)
	if a.Calls != 2 || a.PromptTokens != 2000 || a.CompletionTokens != 1000 || a.CachedTokens != 800 || !near(a.CostUSD, 0.014) {
		t.Errorf("agent usage %+v", a)
	}
	// deepseek: 1000*0.28 + 500*0.40 = 480 per 1M (no cached price: input price).
	if j := ep1.Role(RoleJudge); j.Calls != 1 || !near(j.CostUSD, 0.00048) {
		t.Errorf("judge usage %+v", j)
	}
	if e := ep2.Role(RoleEmbedder); e.Calls != 1 || e.PromptTokens != 1000 || !near(e.CostUSD, 0.00001) {
		t.Errorf("embedder usage %+v", e)
	}
	total, byRole := run.Snapshot()
	if total.Calls != 4 || !near(total.CostUSD, 0.014+0.00048+0.00001) || len(byRole) != 3 {
		t.Errorf("run total %+v by role %v", total, byRole)
	}
	if e1 := ep1.Total(); e1.Calls != 3 {
		t.Errorf("episode 1 total %+v", e1)
	}
	if got := run.Roles(); strings.Join(got, ",") != "agent,embedder,judge" {
		t.Errorf("roles %v", got)
	}
}

func TestBudget(t *testing.T) {
	if _, err := NewBudget(-1); err == nil {
		t.Error("negative budget accepted")
	}
	b, err := NewBudget(0.01)
	if err != nil {
		t.Fatal(err)
	}
	run := NewMeter(b)
	ep := run.Child()
	var wg sync.WaitGroup
	for range 9 {
		wg.Add(1)
		go func() { defer wg.Done(); ep.Add(RoleAgent, Usage{Calls: 1, CostUSD: 0.001}) }()
	}
	wg.Wait()
	if b.Reached() || b.Err() != nil {
		t.Fatalf("reached at $%v", b.Spent())
	}
	select {
	case <-b.Done():
		t.Fatal("Done closed early")
	default:
	}
	ep.Add(RoleJudge, Usage{Calls: 1, CostUSD: 0.0015})
	if !b.Reached() || !errors.Is(b.Err(), ErrBudgetReached) || !strings.Contains(b.Err().Error(), "of $0.0100") {
		t.Errorf("after $%v: reached %v, err %v", b.Spent(), b.Reached(), b.Err())
	}
	<-b.Done()
	unlimited, _ := NewBudget(0)
	unlimited.Charge(1e9)
	if unlimited.Reached() {
		t.Error("unlimited budget reached")
	}
}
