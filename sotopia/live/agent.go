package live

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/also-project/also/llm"
	"github.com/also-project/also/sotopia"
)

// ActError is an agent output that could not be used: the first answer (Stage "parse") and, if
// the fix-up answer failed too, that one (Stage "reformat"; the agent then did `none`); or a
// misdelivered observation (Stage "observe").
type ActError struct {
	Turn   int    `json:"turn"`
	Stage  string `json:"stage"`
	Err    string `json:"error"`
	Output string `json:"output"`
}

// maxRecordedOutput bounds the model output kept in an ActError.
const maxRecordedOutput = 500

// Agent is Sotopia's LLM agent (sotopia.md 2.5) for one seat: it keeps its observations and,
// each time it acts, renders its history with the current strategy injected into its own copy
// of its background only, sends the era's action prompt (ActionPromptFor), parses the JSON action
// and, if that fails, makes one fix-up call (ReformatPromptFor) before falling back to `none`.
type Agent struct {
	seat        int
	setup       *sotopia.Setup
	model       llm.Model
	reformat    llm.Model
	temperature float64
	maxTokens   int
	seed        int64
	// provider goes with the action call only: the fix-up call carries none (artifact).
	provider *llm.ProviderPreferences

	mu      sync.Mutex
	inbox   []sotopia.Observation
	armText string
	// context caches the turn-0 context rendered for contextArm (rendering parses the bios).
	context, contextArm string
	answered            map[int]sotopia.AgentAction
	errs                []ActError
}

// Observe implements sotopia.Agent: the observation joins the inbox (once, even if redelivered).
// One meant for the other seat is refused and recorded in Errors (Observe cannot fail).
func (a *Agent) Observe(obs sotopia.Observation) {
	if obs.Seat != a.seat {
		a.recordError(obs.Turn, "observe", fmt.Errorf("observation for seat %d delivered to seat %d", obs.Seat, a.seat), "")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.receiveLocked(obs)
}

// SetStrategy implements sotopia.Agent: arm.Text replaces this seat's background in its own
// context from the next action on.
func (a *Agent) SetStrategy(arm sotopia.ArmChoice) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.armText = arm.Text
}

// Errors returns the unusable outputs so far (for the episode log).
func (a *Agent) Errors() []ActError {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]ActError(nil), a.errs...)
}

// ActionNote implements sotopia.ActionNoter: the unusable outputs of a turn, one per stage.
func (a *Agent) ActionNote(turn int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var notes []string
	for _, e := range a.errs {
		if e.Turn == turn && e.Stage != "observe" {
			notes = append(notes, e.Stage+": "+e.Err)
		}
	}
	return strings.Join(notes, "; ")
}

// History is what the agent's next prompt carries as {history}: its turn-0 context, re-rendered
// with the current strategy, then the later observations' texts.
func (a *Agent) History() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.historyLocked()
}

// Act implements sotopia.Agent. API failures (after the llm layer's retries) are errors; an
// unusable answer is not: it ends as `none` with the reason in Errors. Asking again for a turn
// already answered returns the same action without a call.
func (a *Agent) Act(ctx context.Context, obs sotopia.Observation) (sotopia.AgentAction, error) {
	if obs.Seat != a.seat {
		return sotopia.AgentAction{}, fmt.Errorf("live agent of seat %d got an observation for seat %d", a.seat, obs.Seat)
	}
	a.mu.Lock()
	a.receiveLocked(obs)
	if act, ok := a.answered[obs.Turn]; ok {
		a.mu.Unlock()
		return act, nil
	}
	actions := obs.AvailableActions
	if len(actions) == 0 {
		actions = sotopia.AllActionTypes
	}
	name := a.setup.Agents[a.seat].Name()
	prompt := sotopia.ActionPromptFor(a.setup.Era, name, a.historyLocked(), obs.Turn, actions)
	a.mu.Unlock()

	act, err := a.decide(ctx, obs.Turn, prompt, actions)
	if err != nil {
		return sotopia.AgentAction{}, fmt.Errorf("live agent %s (seat %d) turn %d: %w", name, a.seat, obs.Turn, err)
	}
	a.mu.Lock()
	a.answered[obs.Turn] = act
	a.mu.Unlock()
	return act, nil
}

// decide makes the action call and, if needed, the fix-up call.
func (a *Agent) decide(ctx context.Context, turn int, prompt string, actions []sotopia.ActionType) (sotopia.AgentAction, error) {
	req := a.request(prompt, a.temperature)
	req.Provider = a.provider
	resp, err := a.model.Chat(ctx, req)
	if err != nil {
		return sotopia.AgentAction{}, err
	}
	act, perr := parseAllowed(resp.Content, actions)
	if perr == nil {
		return act, nil
	}
	a.recordError(turn, "parse", perr, resp.Content)
	fix, err := a.reformat.Chat(ctx, a.fixUpRequest(resp.Content))
	if err != nil {
		return sotopia.AgentAction{}, fmt.Errorf("fix-up call: %w", err)
	}
	act, perr = parseAllowed(fix.Content, actions)
	if perr == nil {
		return act, nil
	}
	a.recordError(turn, "reformat", perr, fix.Content)
	return sotopia.AgentAction{ActionType: sotopia.ActionNone}, nil
}

func (a *Agent) request(prompt string, temperature float64) llm.ChatRequest {
	return llm.ChatRequest{
		Messages:    []llm.Message{llm.User(prompt)},
		Temperature: llm.Float(temperature),
		MaxTokens:   a.maxTokens,
		Seed:        llm.Int64(a.seed),
	}
}

// fixUpRequest is the one reformatting call for an unparsable answer. The artifact (era also)
// sends the fence-stripped answer with response_format json_object and neither temperature nor
// max_tokens; the Sotopia eras send the answer as it came at temperature 0, since it only
// reformats.
func (a *Agent) fixUpRequest(badOutput string) llm.ChatRequest {
	era := a.setup.Era
	if era != sotopia.EraALSO {
		return a.request(sotopia.ReformatPromptFor(era, badOutput, sotopia.ActionFormatInstructionsFor(era)), 0)
	}
	prompt := sotopia.ReformatPromptFor(era, sotopia.CleanJSONResponse(badOutput), sotopia.ActionFormatInstructionsFor(era))
	return llm.ChatRequest{
		Messages:       []llm.Message{llm.User(prompt)},
		ResponseFormat: &llm.ResponseFormat{Type: "json_object"},
		Seed:           llm.Int64(a.seed),
	}
}

// parseAllowed parses an action and checks its type is one the seat may take now.
func parseAllowed(out string, actions []sotopia.ActionType) (sotopia.AgentAction, error) {
	act, err := sotopia.ParseAction(out)
	if err != nil {
		return act, err
	}
	for _, t := range actions {
		if t == act.ActionType {
			return act, nil
		}
	}
	names := make([]string, len(actions))
	for i, t := range actions {
		names[i] = string(t)
	}
	return sotopia.AgentAction{}, fmt.Errorf("action type %q is not available now (want one of %s)", act.ActionType, strings.Join(names, ", "))
}

func (a *Agent) recordError(turn int, stage string, err error, output string) {
	if r := []rune(output); len(r) > maxRecordedOutput {
		output = string(r[:maxRecordedOutput]) + "..."
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, ActError{Turn: turn, Stage: stage, Err: err.Error(), Output: output})
}

// receiveLocked appends obs unless an observation of that turn is already in the inbox (a
// retried Act or a redelivered Observe).
func (a *Agent) receiveLocked(obs sotopia.Observation) {
	for _, have := range a.inbox {
		if have.Turn == obs.Turn {
			return
		}
	}
	a.inbox = append(a.inbox, obs)
}

// historyLocked joins the inbox texts; the turn-0 context is re-rendered with the strategy
// (Setup.ContextFor), and added first if the context observation never arrived.
func (a *Agent) historyLocked() string {
	if a.context == "" || a.contextArm != a.armText {
		a.context, a.contextArm = a.setup.ContextFor(a.seat, a.armText), a.armText
	}
	ctx := a.context
	parts := make([]string, 0, len(a.inbox)+1)
	sawContext := false
	for _, o := range a.inbox {
		if o.Turn == 0 {
			parts = append(parts, ctx)
			sawContext = true
			continue
		}
		parts = append(parts, o.Text)
	}
	if !sawContext {
		parts = append([]string{ctx}, parts...)
	}
	return strings.Join(parts, "\n")
}
