package sotopia

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The ALSO artifact's own prompts (github.com/Babylonehy/ALSO, MIT; provenance and checksums in
// data/also-prompts/README.md). They are the defaults because the paper's learning signal (the
// per-turn judge's scores) and its reported ratings (the terminal judge's) were produced with them.

//go:embed data/also-prompts/*.txt
var alsoPromptFS embed.FS

func alsoPromptFile(name string) string {
	b, err := alsoPromptFS.ReadFile("data/also-prompts/" + name)
	if err != nil {
		panic("sotopia: embedded ALSO prompt missing: " + name) // only a broken build gets here
	}
	return string(b)
}

// Templates as the artifact sends them: agenerate runs format_docstring on the template before
// substituting, so that is done once here. format_bad_output goes through str.format only.
var (
	alsoActionTemplate       = sotopiaDocstring(alsoPromptFile("agent_action.txt"))
	alsoTurnJudgeTemplate    = sotopiaDocstring(alsoPromptFile("per_turn_judge.txt"))
	alsoEpisodeJudgeTemplate = sotopiaDocstring(alsoPromptFile("terminal_judge.txt"))
	alsoReformatTemplate     = alsoPromptFile("format_bad_output.txt")

	// The artifact's format instructions: json.dumps of the pydantic v2 schema, no wrapper text.
	alsoActionFormatInstructions = alsoPromptFile("format_instructions_agent_action.txt")
	alsoJudgeFormatInstructions  = alsoPromptFile("format_instructions_sotopia_dimensions.txt")
)

// EraALSO is the ALSO artifact's Sotopia: benchmark-era rendering and termination, with the
// artifact's agent prompt, format instructions and fix-up prompt. It is the default of `also run`.
const EraALSO Era = "also"

// Eras lists the valid eras, the default first.
var Eras = []Era{EraALSO, EraBenchmark, Era2023}

// ParseEra checks an era name ("" is not one).
func ParseEra(s string) (Era, error) {
	for _, e := range Eras {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown era %q (want also, benchmark or 2023)", s)
}

// replaceInOrder is agenerate's substitution: one str.replace per placeholder, in the order given,
// so text inserted for an earlier placeholder that looks like a later one is replaced too.
func replaceInOrder(template string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		template = strings.ReplaceAll(template, "{"+pairs[i]+"}", pairs[i+1])
	}
	return template
}

// alsoActionPrompt fills agent_action.txt in agenerate_action's order. The artifact builds the
// action list from a Python set, so its order varies between processes; here it is the order
// given (the environment offers AllActionTypes: none speak non-verbal communication action leave).
func alsoActionPrompt(agentName, history string, turn int, actions []ActionType) string {
	return replaceInOrder(alsoActionTemplate,
		"agent", agentName,
		"turn_number", strconv.Itoa(turn),
		"history", history,
		"action_list", joinActionTypes(actions, " "),
		"format_instructions", alsoActionFormatInstructions)
}

// ActionFormatInstructionsFor is the AgentAction format instructions of an era: the artifact's raw
// schema for EraALSO, LangChain's wrapped pydantic-v1 schema otherwise.
func ActionFormatInstructionsFor(era Era) string {
	if era == EraALSO {
		return alsoActionFormatInstructions
	}
	return ActionFormatInstructions()
}

// ReformatPromptFor is the fix-up prompt of an era for an unparsable output (already
// fence-stripped, see CleanJSONResponse) and the format instructions it should have followed.
// Both templates are sent as str.format leaves them: indentation and trailing spaces included.
func ReformatPromptFor(era Era, badOutput, formatInstructions string) string {
	template := reformatTemplate
	if era == EraALSO {
		template = alsoReformatTemplate
	}
	return fillTemplate(template, map[string]string{
		"ill_formed_output":   badOutput,
		"format_instructions": formatInstructions,
	})
}

var fencedJSON = regexp.MustCompile("(?s)^```(?:json)?\\s*\\n?(.*?)\\n?```$")

// CleanJSONResponse is the artifact's clean_json_response: the reply trimmed and, if it is one
// whole ``` or ```json fence, the fence's content trimmed. The artifact parses this text and
// hands it to the fix-up call as the ill-formed output.
func CleanJSONResponse(s string) string {
	s = strings.TrimSpace(s)
	if m := fencedJSON.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1])
	}
	return s
}

// JudgePrompts selects the judges' prompts: the ALSO artifact's (default) or Sotopia's stock one.
type JudgePrompts string

const (
	// JudgePromptsALSO: the artifact's per-turn (RewardInTurnEvaluator) and terminal
	// (TerminalEvaluator) templates with the raw SotopiaDimensions schema.
	JudgePromptsALSO JudgePrompts = "also"
	// JudgePromptsSotopia: Sotopia's stock ReachGoalLLMEvaluator prompt for both judges, with
	// LangChain's wrapped schema (comparable with Sotopia's leaderboard).
	JudgePromptsSotopia JudgePrompts = "sotopia"
)

// ParseJudgePrompts checks a judge-prompt name.
func ParseJudgePrompts(s string) (JudgePrompts, error) {
	switch p := JudgePrompts(s); p {
	case JudgePromptsALSO, JudgePromptsSotopia:
		return p, nil
	}
	return "", fmt.Errorf("unknown judge prompt %q (want also or sotopia)", s)
}

// JudgeFormatInstructionsFor is the schema text the judges are shown: the raw
// EvaluationForTwoAgents[SotopiaDimensions] schema for the artifact's prompts, LangChain's wrapped
// EvaluationBySocialDimensions schema for Sotopia's.
func JudgeFormatInstructionsFor(p JudgePrompts) string {
	if p == JudgePromptsSotopia {
		return JudgeFormatInstructions()
	}
	return alsoJudgeFormatInstructions
}

// TurnJudgePrompt is the per-turn judge's prompt for an environment-view history.
func TurnJudgePrompt(p JudgePrompts, history string) string {
	if p == JudgePromptsSotopia {
		return JudgePrompt(history)
	}
	return replaceInOrder(alsoTurnJudgeTemplate, "history", history, "format_instructions", JudgeFormatInstructionsFor(p))
}

// EpisodeJudgePrompt is the terminal judge's prompt for an environment-view history.
func EpisodeJudgePrompt(p JudgePrompts, history string) string {
	if p == JudgePromptsSotopia {
		return JudgePrompt(history)
	}
	return replaceInOrder(alsoEpisodeJudgeTemplate, "history", history, "format_instructions", JudgeFormatInstructionsFor(p))
}
