package session

import (
	"fmt"
	"sort"
	"strings"

	"github.com/also-project/also/config"
	"github.com/also-project/also/llm"
	"github.com/also-project/also/policy"
	"github.com/also-project/also/sotopia"
	"github.com/also-project/also/sotopia/store"
)

// Roles of a plan's rows: who makes the calls.
const (
	PlanAgent         = "agent"
	PlanTurnJudge     = "per-turn judge"
	PlanTerminalJudge = "terminal judge"
	PlanEmbedder      = "embedder"
	PlanOptimiser     = "optimiser"
)

// planNone is the model of a role that makes no call in this run.
const planNone = "none"

// PlanAssumptions are what a plan cannot know before the models answer. Token counts of the
// prompts come from the real rendered prompts of each task; these fill in the dialogue itself.
type PlanAssumptions struct {
	// UtteranceTokens is the length of each agent utterance: every turn adds one to the agents'
	// histories, the judge's transcript and the dialogue embedded for context.
	UtteranceTokens int `json:"utterance_tokens"`
	// JudgeCompletionTokens is one Sotopia-Eval answer: 2 agents x 7 dimensions, each a
	// reasoning string and a score, in JSON.
	JudgeCompletionTokens int `json:"judge_completion_tokens"`
}

// DefaultPlanAssumptions: a Sotopia utterance of a few sentences (60 tokens) and a judge answer
// of 14 short reasonings (1000 tokens). Agent completions are the action JSON around the
// utterance (UtteranceTokens + the JSON's own tokens).
func DefaultPlanAssumptions() PlanAssumptions {
	return PlanAssumptions{UtteranceTokens: 60, JudgeCompletionTokens: 1000}
}

// PlanRow is one role's calls to one model.
type PlanRow struct {
	Role             string  `json:"role"`
	Model            string  `json:"model"`
	Calls            int64   `json:"calls"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
	// Priced is false when the price table has no entry for the model (counted as $0).
	Priced bool `json:"priced"`
}

// Plan is what `also run` would do with a configuration, computed without spending anything:
// no network, no API key, no store write, no run folder.
type Plan struct {
	Config config.Run `json:"config"`
	World  string     `json:"world"` // "sim" or "live"
	// Tasks are the episodes to run, after subset, tasks, max_episodes and resume.
	Tasks []string `json:"tasks"`
	// Skipped counts tasks already done under the tag (resume).
	Skipped int `json:"skipped"`
	// StepsPerEpisode is the environment steps of an episode that runs to max_turns (the era's
	// rule); episodes that end early (an agent leaves, the dialogue stalls) make fewer calls.
	StepsPerEpisode int             `json:"steps_per_episode"`
	Rows            []PlanRow       `json:"rows"`
	Total           PlanRow         `json:"total"`
	KeyVars         []string        `json:"key_vars,omitempty"`
	Notes           []string        `json:"notes,omitempty"`
	Assumptions     PlanAssumptions `json:"assumptions"`
}

// PlanRun validates cfg and estimates its LLM calls, tokens and dollars per role. Counts are
// exact for episodes that run to max_turns with one utterance per step, without retries and
// without fix-up calls for unparsable agent output (not counted); tokens are estimated from
// each task's real prompts (llm.EstimateTokens) with the dialogue growing by
// a.UtteranceTokens per step. A zero a takes DefaultPlanAssumptions.
func PlanRun(cfg config.Run, a PlanAssumptions) (*Plan, error) {
	if a == (PlanAssumptions{}) {
		a = DefaultPlanAssumptions()
	}
	if a.UtteranceTokens < 1 || a.JudgeCompletionTokens < 1 {
		return nil, fmt.Errorf("plan assumptions %+v: token counts must be positive", a)
	}
	if cfg.Tag == "" {
		cfg.Tag = cfg.DefaultTag()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ds, err := sotopia.Embedded()
	if err != nil {
		return nil, err
	}
	tasks, err := planTasks(ds, cfg, false)
	if err != nil {
		return nil, err
	}
	p := &Plan{Config: cfg, World: "sim", Assumptions: a}
	if cfg.Resume {
		done, err := store.DoneTasks(cfg.Store, cfg.Tag)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		var rest []sotopia.Task
		for _, t := range tasks {
			if done[t.PK] {
				p.Skipped++
				continue
			}
			rest = append(rest, t)
		}
		tasks = rest
	}
	for _, t := range tasks {
		p.Tasks = append(p.Tasks, t.PK)
	}
	strategies, err := sotopia.Strategies(cfg.StrategyVersion)
	if err != nil {
		return nil, err
	}
	optimised, _ := cfg.Optimised()
	models := liveModels{seats: [2]string{llm.SimModel, llm.SimModel}, rewardJudge: llm.SimModel,
		finalJudge: llm.SimModel, embedder: llm.SimModel, perTurn: optimised[0] || optimised[1]}
	if models.perTurn && policy.NeedsOptimiser(cfg.Bandit) {
		models.optimizer = llm.SimModel
	}
	if !cfg.IsSim() {
		p.World = "live"
		if models, err = resolveLiveModels(cfg); err != nil {
			return nil, err
		}
		p.Notes = append(p.Notes, models.notes...)
		p.Notes = append(p.Notes, unusedProviderNotes(cfg, models)...)
	}

	tally := newPlanTally()
	// Every role has a row, in call order; one that is never called says so.
	for seat := range sotopia.Seats {
		if models.agents[seat].IsLLM() {
			tally.add(PlanAgent, models.seats[seat], 0, 0, 0)
		}
		for _, stage := range models.stages[seat] {
			tally.add(PlanAgent, stage, 0, 0, 0)
		}
	}
	turnJudge, embedder := models.rewardJudge, models.embedder
	if !models.perTurn {
		turnJudge, embedder = planNone, planNone
	}
	tally.add(PlanTurnJudge, turnJudge, 0, 0, 0)
	tally.add(PlanTerminalJudge, models.finalJudge, 0, 0, 0)
	tally.add(PlanEmbedder, embedder, 0, 0, 0)
	// The dialogue is embedded after a turn only for a policy that reads it (actors.Spec).
	pol := cfg.Policy
	pol.ALSO.UseContext = cfg.UseContext
	embedsDialogue := cfg.UseContext && policy.ReadsContext(cfg.Bandit, pol)
	for _, t := range tasks {
		env, agents, err := ds.Resolve(t)
		if err != nil {
			return nil, err
		}
		setup := &sotopia.Setup{Task: t, Env: env, Agents: agents, Era: sotopia.Era(cfg.Era), MaxTurns: cfg.MaxTurns}
		steps, err := planEpisode(setup, strategies, optimised, embedsDialogue, sotopia.JudgePrompts(cfg.JudgePrompt), models, a, tally)
		if err != nil {
			return nil, fmt.Errorf("plan task %s: %w", t.PK, err)
		}
		p.StepsPerEpisode = steps
		planOptimiser(cfg, setup, strategies, optimised, steps, models, tally)
	}
	if p.StepsPerEpisode == 0 {
		p.StepsPerEpisode = cfg.MaxTurns
	}
	// The prompt optimisers' LLM (opro, evoprompt-*, promptbreeder), or none.
	optimiser := models.optimizer
	if optimiser == "" {
		optimiser = planNone
	}
	tally.add(PlanOptimiser, optimiser, 0, 0, 0)
	if err := p.price(cfg, tally); err != nil {
		return nil, err
	}
	if p.World == "live" {
		p.KeyVars = keyVars(models)
	}
	return p, nil
}

// planEpisode plays one episode to its end with synthetic utterances of the assumed length
// through the real Env, rendering every prompt the live world would send, and adds each call
// to the tally. It returns the number of steps.
func planEpisode(setup *sotopia.Setup, strategies []sotopia.Strategy, optimised [sotopia.Seats]bool, useContext bool,
	judge sotopia.JudgePrompts, m liveModels, a PlanAssumptions, t *planTally) (int, error) {
	env, err := sotopia.NewEnv(setup)
	if err != nil {
		return 0, err
	}
	env.Reset()
	anyOptimised := optimised[0] || optimised[1]
	// Arms: embedded once per episode, per optimised seat; from its second action on, an
	// optimised seat's background is some arm's text: the pool's mean extra length.
	var armChars, armTexts int
	var armExtra [sotopia.Seats]int
	for seat := range sotopia.Seats {
		if !optimised[seat] {
			continue
		}
		bg := setup.OwnBackground(seat)
		for _, s := range strategies {
			text := sotopia.ArmText(bg, s)
			armChars += len(text)
			armTexts++
			armExtra[seat] += len(text) - len(bg)
		}
		armExtra[seat] /= max(1, len(strategies))
	}
	if anyOptimised && armTexts > 0 {
		// The live embedder sends at most 64 texts per request.
		requests := (armTexts + 63) / 64
		t.add(PlanEmbedder, m.embedder, int64(requests), int64(llm.EstimateTokens(armChars)), 0)
	}
	utterance := strings.TrimSpace(strings.Repeat("word ", a.UtteranceTokens*4/5))
	action := sotopia.AgentAction{ActionType: sotopia.ActionSpeak, Argument: utterance}
	actionJSON := fmt.Sprintf(`{"action_type": "speak", "argument": %q}`, utterance)
	var context [sotopia.Seats]string
	for seat := range sotopia.Seats {
		context[seat] = setup.ContextFor(seat, "")
	}
	acted := [sotopia.Seats]int{}
	// Templates are filled by plain substitution, so a prompt is as long as its template with an
	// empty history plus the history: only the histories are built, not every prompt.
	turnJudgeBase, episodeJudgeBase := len(sotopia.TurnJudgePrompt(judge, "")), len(sotopia.EpisodeJudgePrompt(judge, ""))
	var histChars [sotopia.Seats]int
	steps := 0
	for !env.Done() {
		seat := env.Acting()
		empty := sotopia.ActionPromptFor(setup.Era, setup.Agents[seat].Name(), "", env.Turn(), sotopia.AllActionTypes)
		chars := len(empty) + len(context[seat]) + histChars[seat]
		if optimised[seat] && acted[seat] > 0 {
			chars += armExtra[seat]
		}
		if model := m.seatModel(seat, env.Turn()); model != "" {
			t.add(PlanAgent, model, 1, int64(llm.EstimateTokens(chars)), int64(llm.EstimateTokens(len(actionJSON))))
		}
		acted[seat]++
		next, done, _, err := env.Step(seat, action)
		if err != nil {
			return 0, err
		}
		steps++
		for s := range sotopia.Seats {
			histChars[s] += len("\n") + len(next[s].Text) // joined to the history by "\n"
		}
		history := len(env.JudgeHistory())
		switch {
		case done:
			t.add(PlanTerminalJudge, m.finalJudge, 1, int64(llm.EstimateTokens(episodeJudgeBase+history)), int64(a.JudgeCompletionTokens))
		case anyOptimised:
			t.add(PlanTurnJudge, m.rewardJudge, 1, int64(llm.EstimateTokens(turnJudgeBase+history)), int64(a.JudgeCompletionTokens))
			if useContext {
				t.add(PlanEmbedder, m.embedder, 1, int64(llm.EstimateTokens(len(env.DialogueText()))), 0)
			}
		}
	}
	return steps, nil
}

// planTally sums calls and tokens by (role, model), keeping first-seen order.
type planTally struct {
	rows  []PlanRow
	index map[[2]string]int
}

func newPlanTally() *planTally { return &planTally{index: map[[2]string]int{}} }

func (t *planTally) add(role, model string, calls, prompt, completion int64) {
	k := [2]string{role, model}
	i, ok := t.index[k]
	if !ok {
		i = len(t.rows)
		t.index[k] = i
		t.rows = append(t.rows, PlanRow{Role: role, Model: model})
	}
	r := &t.rows[i]
	r.Calls += calls
	r.PromptTokens += prompt
	r.CompletionTokens += completion
}

// roleOrder sorts rows the way a run's calls happen.
var roleOrder = map[string]int{PlanAgent: 0, PlanTurnJudge: 1, PlanTerminalJudge: 2, PlanEmbedder: 3, PlanOptimiser: 4}

// price costs each row from the run's price table (the built-in one, or --prices over it).
func (p *Plan) price(cfg config.Run, t *planTally) error {
	table, err := llm.DefaultPrices()
	if cfg.Prices != "" {
		table, err = llm.LoadPrices(cfg.Prices)
	}
	if err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	rows := t.rows
	if p.World == "sim" {
		// The simulated world calls no model: the rows keep their shape with zero calls.
		for i := range rows {
			rows[i].Calls, rows[i].PromptTokens, rows[i].CompletionTokens = 0, 0, 0
		}
	}
	unpriced := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		if r.Model == llm.SimModel || r.Model == planNone {
			r.Priced = true
			continue
		}
		rt, err := llm.ParseModel(r.Model)
		if err != nil {
			return err
		}
		price, ok := table.Lookup(rt)
		r.Priced = ok
		if !ok && r.Calls > 0 {
			unpriced[r.Model] = true
		}
		r.CostUSD = price.Cost(r.PromptTokens, r.CompletionTokens, 0)
	}
	sort.SliceStable(rows, func(i, j int) bool { return roleOrder[rows[i].Role] < roleOrder[rows[j].Role] })
	p.Rows = rows
	p.Total = PlanRow{Role: "total", Priced: len(unpriced) == 0}
	for _, r := range rows {
		p.Total.Calls += r.Calls
		p.Total.PromptTokens += r.PromptTokens
		p.Total.CompletionTokens += r.CompletionTokens
		p.Total.CostUSD += r.CostUSD
	}
	names := make([]string, 0, len(unpriced))
	for m := range unpriced {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, m := range names {
		p.Notes = append(p.Notes, fmt.Sprintf("warning: %s has no price in the table: its calls count as $0 here (add it with --prices FILE)", m))
	}
	return nil
}

// keyVars lists the environment variables holding the keys the run's models need.
func keyVars(m liveModels) []string {
	seen := map[string]bool{}
	var out []string
	for _, name := range m.called() {
		rt, err := llm.ParseModel(name)
		if err != nil || seen[rt.KeyVar] {
			continue
		}
		seen[rt.KeyVar] = true
		v := rt.KeyVar
		if rt.DefaultKey != "" {
			v += " (optional)"
		}
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
