package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/also-project/also/llm"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "run.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultRunIsValid(t *testing.T) {
	if err := DefaultRun().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRunReadsEveryTable(t *testing.T) {
	p := writeFile(t, `subset = "hard"
bandit_type = "exp3"
max_turns = 12
[policy]
eta = 10.0
[policy.also]
score_decay = 0.8
[sim]
opponent = "adaptive"
dim = 512
`)
	r, err := LoadRun(p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subset != "hard" || r.Bandit != "exp3" || r.MaxTurns != 12 || r.Policy.Eta != 10 ||
		r.Policy.ALSO.ScoreDecay != 0.8 || r.Sim.Opponent != "adaptive" || r.Sim.Dim != 512 {
		t.Fatalf("loaded %+v", r)
	}
	if r.BatchSize != DefaultRun().BatchSize {
		t.Error("unset keys lost their defaults")
	}
}

func TestLoadRunErrorsNameFileLineAndKey(t *testing.T) {
	cases := []struct{ body, want string }{
		{"subset = \"hard\"\nmax_turnz = 3\n", ":2: unknown key \"max_turnz\""},
		{"subset = \"hard\"\n\nmax_turns = 0\n", ":3: max_turns = 0"},
		{"[policy]\neta = -1.0\n", ":2: eta = -1"},
		{"subset = \n", ":1:"},
		{"max_turns = \"ten\"\n", "max_turns"},
	}
	for _, c := range cases {
		_, err := LoadRun(writeFile(t, c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.body, err, c.want)
		}
	}
}

func TestSeatModelsAndSim(t *testing.T) {
	r := DefaultRun()
	if !r.IsSim() || r.SeatModel(1) != "sim" {
		t.Fatal("default is not the sim world")
	}
	r.P2Model = "custom/x@http://127.0.0.1:1/v1"
	if r.IsSim() || r.SeatModel(0) != "sim" || r.SeatModel(1) != r.P2Model {
		t.Fatal("seat models wrong")
	}
	if _, err := (Run{Optimize: "p3"}).Optimised(); err == nil {
		t.Fatal("bad optimize accepted")
	}
}

func TestLLMLimitsPerProvider(t *testing.T) {
	r, err := LoadRun(writeFile(t, "llm_rpm = 60.0\n[llm_limits.openrouter]\nmax_concurrent = 16\nrequests_per_minute = 120.0\ntokens_per_minute = 200000.0\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := r.LLMLimits["openrouter"]
	if r.LLMRPM != 60 || l.MaxConcurrent != 16 || l.RequestsPerMinute != 120 || l.TokensPerMinute != 200000 {
		t.Fatalf("limits %+v, rpm %v", l, r.LLMRPM)
	}
	_, err = LoadRun(writeFile(t, "[llm_limits.anthropic]\nmax_concurrent = 1\n"))
	if err == nil || !strings.Contains(err.Error(), "llm_limits.anthropic: unknown provider") {
		t.Fatalf("unknown provider: %v", err)
	}
	_, err = LoadRun(writeFile(t, "llm_tpm = -1.0\n"))
	if err == nil || !strings.Contains(err.Error(), ":1: llm_tpm") {
		t.Fatalf("negative tpm: %v", err)
	}
}

// The policy keys that reproduce the artifact's runner options, read from a run file and
// validated against the rest of the run with the line of the key at fault.
func TestPolicyRunnerKeys(t *testing.T) {
	r, err := LoadRun(writeFile(t, `bandit_type = "instinct"
[policy]
update_interval = 2
alternate_optimization = true
ucb_context_embedding = true
[policy.also]
eta_schedule = "divide-sqrt"
`))
	if err != nil {
		t.Fatal(err)
	}
	if p := r.Policy; p.UpdateInterval != 2 || !p.AlternateOptimization || !p.UCBContext || p.ALSO.EtaSchedule != "divide-sqrt" {
		t.Fatalf("loaded %+v", p)
	}
	cases := []struct{ body, want string }{
		{"optimize = \"p1\"\n[policy]\nalternate_optimization = true\n", ":3: alternate_optimization = true: needs optimize = both"},
		{"context_embedding = false\n[policy]\nucb_context_embedding = true\n", ":3: ucb_context_embedding = true: needs context_embedding = true"},
		{"bandit_type = \"exp3\"\n[policy]\nupdate_interval = 3\n", ":3: update_interval = 3: only also, instinct, neural_ucb retrain a network; exp3"},
		{"[policy]\nupdate_interval = 0\n", ":2: update_interval = 0"},
		{"[policy.also]\neta_schedule = \"dynamic\"\n", ":2: eta_schedule = dynamic: must be one of constant, divide-sqrt, multiply-sqrt"},
		{"[policy.also]\ndynamic_eta = true\n", "unknown key \"policy.also.dynamic_eta\""},
		{"[policy.also]\ndynamic_eta_divide = true\n", "unknown key \"policy.also.dynamic_eta_divide\""},
		{"[policy.also]\ncontext_embedding = false\n", "unknown key \"policy.also.context_embedding\""},
	}
	for _, c := range cases {
		_, err := LoadRun(writeFile(t, c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.body, err, c.want)
		}
	}
	ok := DefaultRun()
	ok.Bandit, ok.Policy.UpdateInterval = "neural_ucb", 5
	if err := ok.Validate(); err != nil {
		t.Errorf("update_interval with a retrained bandit: %v", err)
	}
	ok.Bandit, ok.Optimize = "exp3", "none" // no policy: the interval is moot
	if err := ok.Validate(); err != nil {
		t.Errorf("update_interval without optimised seats: %v", err)
	}
}

const deepseekPin = `model = "openrouter/deepseek/deepseek-v3.2"
[openrouter_provider."openrouter/deepseek/deepseek-v3.2"]
order = ["siliconflow"]
quantizations = ["fp8"]
preferred_min_throughput = { p90 = 100 }
`

func TestOpenRouterProviderPreferences(t *testing.T) {
	r, err := LoadRun(writeFile(t, deepseekPin))
	if err != nil {
		t.Fatal(err)
	}
	p := r.ProviderFor("openrouter/deepseek/deepseek-v3.2")
	if p == nil || len(p.Order) != 1 || p.Order[0] != "siliconflow" || p.Quantizations[0] != "fp8" ||
		*p.PreferredMinThroughput.P90 != 100 || p.PreferredMinThroughput.P50 != nil {
		t.Fatalf("preferences %+v", p)
	}
	if r.ProviderFor("openrouter/openai/gpt-4o") != nil {
		t.Fatal("preferences for a model that has none")
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `"openrouter_provider":{"openrouter/deepseek/deepseek-v3.2":{"order":["siliconflow"],"quantizations":["fp8"],"preferred_min_throughput":{"p90":100}}}`
	if !strings.Contains(string(b), want) {
		t.Fatalf("run.json lacks the preferences: %s", b)
	}
	if d, _ := json.Marshal(DefaultRun()); strings.Contains(string(d), "openrouter_provider") {
		t.Fatal("default run writes provider preferences")
	}
}

func TestOpenRouterProviderErrorsNameFileLineAndKey(t *testing.T) {
	const head = "model = \"openrouter/deepseek/deepseek-v3.2\"\n[openrouter_provider.\"openrouter/deepseek/deepseek-v3.2\"]\n"
	cases := []struct{ body, want string }{
		{head + "order = [\"siliconflow\"]\nquantisations = [\"fp8\"]\n", `:4: unknown key "openrouter_provider.\"openrouter/deepseek/deepseek-v3.2\".quantisations"`},
		{head + "order = [\"siliconflow\"]\nquantizations = [\"fp9\"]\n", `:4: openrouter_provider."openrouter/deepseek/deepseek-v3.2".quantizations = ["fp9"]`},
		{head + "sort = \"cheap\"\n", `:3: openrouter_provider."openrouter/deepseek/deepseek-v3.2".sort = "cheap"`},
		{head + "order = [\"a\"]\npreferred_min_throughput = { p90 = -1 }\n", `:4: openrouter_provider."openrouter/deepseek/deepseek-v3.2".preferred_min_throughput.p90 = -1`},
		{head + "order = [\"a\"]\npreferred_min_throughput = { p95 = 1 }\n", `:4: unknown key`},
		{head + "order = \"siliconflow\"\n", "order"},
		{head, `:2: openrouter_provider."openrouter/deepseek/deepseek-v3.2": sets no preference`},
		{"model = \"openai/gpt-4o\"\n[openrouter_provider.\"openai/gpt-4o\"]\norder = [\"a\"]\n", `:2: openrouter_provider."openai/gpt-4o": provider preferences are OpenRouter's; openai/gpt-4o is served by openai`},
		{"model = \"openai/gpt-4o\"\n[openrouter_provider.\"deepseek-v3.2\"]\norder = [\"a\"]\n", `:2: openrouter_provider."deepseek-v3.2": model "deepseek-v3.2" has no provider prefix`},
		{"[openrouter_provider.\"openrouter/deepseek/deepseek-v3.2\"]\norder = [\"a\"]\n", "openrouter_provider: every model is sim"},
	}
	for _, c := range cases {
		_, err := LoadRun(writeFile(t, c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.body, err, c.want)
		}
	}
}

// The table-level error is told apart by its identity, not by its text: it stays reachable with
// errors.Is through the file's line and key, and a field error is not it.
func TestEmptyProviderTableIsErrNoPreference(t *testing.T) {
	const head = "model = \"openrouter/deepseek/deepseek-v3.2\"\n[openrouter_provider.\"openrouter/deepseek/deepseek-v3.2\"]\n"
	_, err := LoadRun(writeFile(t, head))
	if !errors.Is(err, llm.ErrNoPreference) {
		t.Errorf("empty table: %v, want llm.ErrNoPreference", err)
	}
	_, err = LoadRun(writeFile(t, head+"sort = \"cheap\"\n"))
	if err == nil || errors.Is(err, llm.ErrNoPreference) {
		t.Errorf("bad sort: %v, want a field error", err)
	}
}
