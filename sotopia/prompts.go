package sotopia

import (
	"github.com/also-project/also/sotopia/pyjson"
	"strconv"
	"strings"
	"sync"
)

// The prompt wording below is Sotopia's (sotopia/generation_utils/generate.py and
// sotopia/envs/evaluators.py; MIT, Copyright 2023 Hao Zhu), checked against the prompts logged in
// the released 2023 episodes (golden_prompts_test.go).

// Action prompt sentences that changed between the 2023 release and the benchmark era: the
// benchmark-era agent is told its goal "(or background)" is in the context (lite mode has no
// background) and no longer that its secret is private.
const (
	actionWhereBenchmark = "You can find {agent}'s goal (or background) in the 'Here is the context of the interaction' field.\n" +
		"Note that {agent}'s goal is only visible to you."
	actionWhere2023 = "You can find {agent}'s background and goal in the 'Here is the context of the interaction' field.\n" +
		"Note that {agent}'s secret and goal is only visible to you."
)

// actionTemplate is agenerate_action's role-play template after Sotopia's format_docstring
// (indentation after newlines removed, trimmed); {where} is one of the two sentences above.
const actionTemplate = `Imagine you are {agent}, your task is to act/speak as {agent} would, keeping in mind {agent}'s social goal.
{where}
You should try your best to achieve {agent}'s goal in a way that align with their character traits.
Additionally, maintaining the conversation's naturalness and realism is essential (e.g., do not repeat what other people has already said before).
{history}.
You are at Turn #{turn_number}. Your available action types are
{action_list}.
Note: You can "leave" this conversation if 1. you have achieved your social goals, 2. this conversation makes you uncomfortable, 3. you find it uninteresting/you lose your patience, 4. or for other reasons you want to leave.

Please only generate a JSON string including the action type and the argument.
Your action should follow the given format:
{format_instructions}`

// reformatTemplate is format_bad_output's template. Sotopia sends it without de-indenting it (in
// every era, and so do the logged 2023 prompts), so the indentation is kept byte for byte.
const reformatTemplate = "\n    Given the string that can not be parsed by json parser, reformat it to a string that can be parsed by json parser.\n" +
	"    Original string: {ill_formed_output}\n\n" +
	"    Format instructions: {format_instructions}\n\n" +
	"    Please only generate the JSON:\n    "

// pydanticFormatInstructions is LangChain's PydanticOutputParser text (paper/benchmark era).
const pydanticFormatInstructions = "The output should be formatted as a JSON instance that conforms to the JSON schema below.\n\n" +
	`As an example, for the schema {"properties": {"foo": {"title": "Foo", "description": "a list of strings", "type": "array", "items": {"type": "string"}}}, "required": ["foo"]}` + "\n" +
	`the object {"foo": ["bar", "baz"]} is a well-formatted instance of the schema. The object {"properties": {"foo": ["bar", "baz"]}} is not well-formatted.` + "\n\n" +
	"Here is the output schema:\n```\n{schema}\n```"

// fillTemplate substitutes {name} placeholders in one pass, so text inserted for one placeholder
// (a history quoting "{agent}", say) is never substituted again. Sotopia's sequential
// str.replace would; LangChain's formatting (which produced the 2023 logs) would not.
func fillTemplate(template string, values map[string]string) string {
	pairs := make([]string, 0, 2*len(values))
	for k, v := range values {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(template)
}

// formatInstructions wraps a JSON schema in LangChain's Pydantic instructions.
func formatInstructions(schema string) string {
	return strings.Replace(pydanticFormatInstructions, "{schema}", schema, 1)
}

// ActionPrompt renders the benchmark-era agent action prompt (sotopia.md 4.2): role, the agent's
// history (context block and turns), turn number, available action types and the AgentAction
// format instructions.
func ActionPrompt(agentName, history string, turn int, actions []ActionType) string {
	return ActionPromptFor(EraBenchmark, agentName, history, turn, actions)
}

// ActionPromptFor is ActionPrompt in a given era's wording: EraALSO is the ALSO artifact's
// template (also_prompts.go), Era2023 reproduces the prompts of the released 2023 episodes; any
// other era gets the benchmark-era wording.
func ActionPromptFor(era Era, agentName, history string, turn int, actions []ActionType) string {
	if era == EraALSO {
		return alsoActionPrompt(agentName, history, turn, actions)
	}
	where := actionWhereBenchmark
	if era == Era2023 {
		where = actionWhere2023
	}
	template := strings.Replace(actionTemplate, "{where}", where, 1)
	return fillTemplate(template, map[string]string{
		"agent":               agentName,
		"history":             history,
		"turn_number":         strconv.Itoa(turn),
		"action_list":         joinActionTypes(actions, " "),
		"format_instructions": ActionFormatInstructions(),
	})
}

// ActionFormatInstructions is the format-instructions block for AgentAction: LangChain's Pydantic
// instructions around the (pydantic v1) JSON schema of Sotopia's AgentAction.
func ActionFormatInstructions() string { return actionFormatInstructions() }

// actionFormatInstructions renders the instructions once: they are constant, and every agent
// call embeds them in its prompt.
var actionFormatInstructions = sync.OnceValue(renderActionFormatInstructions)

func renderActionFormatInstructions() string {
	enum := make([]any, len(AllActionTypes))
	for i, t := range AllActionTypes {
		enum[i] = string(t)
	}
	schema := pyObject{
		{"description", "An interface for messages.\nThere is only one required method: to_natural_language"},
		{"properties", pyObject{
			{"action_type", pyObject{
				{"title", "Action Type"},
				{"description", "whether to speak at this turn or choose to not do anything"},
				{"enum", enum},
				{"type", "string"},
			}},
			{"argument", pyObject{
				{"title", "Argument"},
				{"description", "the utterance if choose to speak, the expression or gesture if choose non-verbal communication, or the physical action if choose action"},
				{"type", "string"},
			}},
		}},
		{"required", []any{"action_type", "argument"}},
	}
	return formatInstructions(pyJSON(schema))
}

// ReformatPrompt is the one fix-up call for unparsable output (Sotopia's format_bad_output): the
// bad output and the format instructions it should have followed.
func ReformatPrompt(badOutput, formatInstructions string) string {
	return fillTemplate(reformatTemplate, map[string]string{
		"ill_formed_output":   badOutput,
		"format_instructions": formatInstructions,
	})
}

// pyObject is a JSON object with ordered keys, so schemas come out in pydantic's field order.
type pyObject []pyField

type pyField struct {
	Key   string
	Value any
}

// pyJSON encodes like Python's json.dumps defaults (", " and ": " separators, ensure_ascii), which
// is how the schemas inside Sotopia's prompts were written. Values: pyObject, []any, string, int.
func pyJSON(v any) string {
	var b strings.Builder
	writePyJSON(&b, v)
	return b.String()
}

func writePyJSON(b *strings.Builder, v any) {
	switch v := v.(type) {
	case pyObject:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyjson.String(f.Key))
			b.WriteString(": ")
			writePyJSON(b, f.Value)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, e)
		}
		b.WriteByte(']')
	case string:
		b.WriteString(pyjson.String(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	default:
		panic("pyJSON: unsupported value") // only reachable by a programming error in this file
	}
}
