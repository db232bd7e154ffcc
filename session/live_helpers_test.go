package session

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/llm/llmtest"
	"github.com/also-project/also/report"
	"github.com/also-project/also/sotopia"
)

// liveRig is an llmtest server playing every role of a live run (sotopiaScript) with a ledger
// of the usage it reported, by model id.
type liveRig struct {
	srv *llmtest.Server

	mu     sync.Mutex
	ledger map[string]llm.Usage
}

func newLiveRig(t *testing.T, cfg llmtest.Config) *liveRig {
	t.Helper()
	rig := &liveRig{ledger: map[string]llm.Usage{}}
	script := sotopiaScript{onReply: rig.account}
	cfg.Handler = script.handle
	rig.srv = llmtest.NewServer(t, cfg)
	return rig
}

// account adds a reply the server is about to send (the script runs before faults are drawn,
// so runs with faults must not rely on the ledger).
func (r *liveRig) account(req llmtest.Request, rep llmtest.Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.ledger[req.Model]
	u.Calls++
	u.PromptTokens += rep.PromptTokens
	u.CompletionTokens += rep.CompletionTokens
	u.CachedTokens += rep.CachedTokens
	r.ledger[req.Model] = u
}

func (r *liveRig) usage(model string) llm.Usage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ledger[model]
}

// testPrices are what the test runs pay per 1M tokens, by model id (see testPricesTOML).
var testPrices = map[string]llm.Price{
	"agent":    {Input: 3, Output: 15, Cached: 0.3},
	"judge":    {Input: 0.5, Output: 2},
	"terminal": {Input: 5, Output: 20, Cached: 1.25},
	"embed":    {Input: 0.13},
}

const testPricesTOML = `source = "session live tests"
date = "2026-11"

[models."custom/agent"]
input = 3.0
output = 15.0
cached = 0.3

[models."custom/judge"]
input = 0.5
output = 2.0

[models."custom/terminal"]
input = 5.0
output = 20.0
cached = 1.25

[models."custom/embed"]
input = 0.13
`

// expectedCost prices what the server reported for one model, by hand: uncached prompt tokens
// at the input price, cached ones at the cached price (the input price when it has none),
// completion tokens at the output price.
func expectedCost(model string, u llm.Usage) float64 {
	p := testPrices[model]
	cached := p.Cached
	if cached == 0 {
		cached = p.Input
	}
	return (float64(u.PromptTokens-u.CachedTokens)*p.Input + float64(u.CachedTokens)*cached +
		float64(u.CompletionTokens)*p.Output) / 1e6
}

// liveRun is a run whose four model roles are custom models on the rig's server.
func liveRun(t *testing.T, rig *liveRig, mutate func(*config.Run)) config.Run {
	t.Helper()
	dir := t.TempDir()
	prices := filepath.Join(dir, "prices.toml")
	if err := os.WriteFile(prices, []byte(testPricesTOML), 0o644); err != nil {
		t.Fatal(err)
	}
	url := rig.srv.URL()
	cfg := config.DefaultRun()
	cfg.Model = "custom/agent@" + url
	cfg.RewardEvalModel = "custom/judge@" + url
	cfg.TerminalEvalModel = "custom/terminal@" + url
	cfg.EmbeddingModel = "custom/embed@" + url
	cfg.MaxTurns = 6
	cfg.Seed = 3
	cfg.Prices = prices
	cfg.Store = filepath.Join(dir, "store")
	cfg.Out = filepath.Join(dir, "run")
	cfg.CacheDir = filepath.Join(dir, "llm-cache")
	cfg.LLMTimeout = config.Duration(10 * time.Second)
	cfg.LLMRetryDelay = config.Duration(time.Millisecond)
	// A small surrogate keeps the ALSO bandit fast under -race; it is still retrained each turn.
	cfg.Policy.ALSO.Hidden, cfg.Policy.ALSO.Epochs = 16, 5
	if mutate != nil {
		mutate(&cfg)
	}
	return cfg
}

// liveOptions reads keys only from env (never the real environment or a .env file).
func liveOptions(log io.Writer, env map[string]string) Options {
	return Options{Log: log, LLM: LLMOptions{DotEnv: "-", LookupEnv: func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}}}
}

func readEpisodes(t *testing.T, dir string) []*sotopia.EpisodeLog {
	t.Helper()
	eps, err := report.ReadEpisodes(filepath.Join(dir, "episodes.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// tokenOf is the utterance token of a recorded action ("" for actions without one).
func tokenOf(a sotopia.AgentAction) string { return utteranceToken.FindString(a.Argument) }

// normalisedReward is Sotopia-Eval's per-turn reward computed by hand: each dimension min-max
// normalised to [0,1] over its range, then the mean of the seven.
func normalisedReward(s sotopia.Scores) float64 {
	var sum float64
	for d, info := range sotopia.Dimensions {
		sum += (s[d] - info.Min) / (info.Max - info.Min)
	}
	return sum / float64(len(sotopia.Dimensions))
}

func closeTo(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-12*(1+max(a, -a, b, -b))
}

// taskSetup resolves an episode's task to the setup its agents saw.
func taskSetup(t *testing.T, ds *sotopia.Dataset, ep *sotopia.EpisodeLog) *sotopia.Setup {
	t.Helper()
	task, ok := ds.Task(ep.TaskID)
	if !ok {
		t.Fatalf("episode %s: unknown task %s", ep.PK, ep.TaskID)
	}
	env, agents, err := ds.Resolve(task)
	if err != nil {
		t.Fatal(err)
	}
	return &sotopia.Setup{Task: task, Env: env, Agents: agents}
}
