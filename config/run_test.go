package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
