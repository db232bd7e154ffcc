package sotopia

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var leftoverPlaceholder = regexp.MustCompile(`\{(agent|history|turn_number|action_list|format_instructions|where|ill_formed_output|schema)\}`)

func TestActionPromptContents(t *testing.T) {
	history := "\nHere is the context of this interaction:\nScenario: x\nConversation Starts:\n\nTurn #0: Ann said: \"hi\"\n"
	p := ActionPrompt("Bo Li", history, 1, AllActionTypes)
	for _, want := range []string{
		"Imagine you are Bo Li, your task is to act/speak as Bo Li would, keeping in mind Bo Li's social goal.\n",
		"You can find Bo Li's goal (or background) in the 'Here is the context of the interaction' field.\n",
		"(e.g., do not repeat what other people has already said before).\n" + history + ".\n",
		"You are at Turn #1. Your available action types are\nnone speak non-verbal communication action leave.\n",
		"Your action should follow the given format:\n" + ActionFormatInstructions(),
	} {
		if !strings.Contains(p, want) {
			t.Errorf("action prompt lacks %q\n---\n%s", want, p)
		}
	}
	if !strings.HasSuffix(p, ActionFormatInstructions()) {
		t.Error("format instructions are not last")
	}
	if m := leftoverPlaceholder.FindString(p); m != "" {
		t.Errorf("unfilled placeholder %s", m)
	}
}

func TestActionPromptKeepsPlaceholdersInHistoryLiteral(t *testing.T) {
	history := `Turn #0: Ann said: "type {agent} or {turn_number} or {format_instructions}"`
	p := ActionPrompt("Bo", history, 2, []ActionType{ActionNone})
	if !strings.Contains(p, history+".\n") {
		t.Errorf("history was altered by substitution:\n%s", p)
	}
}

func TestActionPromptErasDifferOnlyInTwoSentences(t *testing.T) {
	b := ActionPrompt("Bo", "H", 3, AllActionTypes)
	old := ActionPromptFor(Era2023, "Bo", "H", 3, AllActionTypes)
	if b == old {
		t.Fatal("eras render the same prompt")
	}
	swapped := strings.Replace(old, strings.ReplaceAll(actionWhere2023, "{agent}", "Bo"), strings.ReplaceAll(actionWhereBenchmark, "{agent}", "Bo"), 1)
	if swapped != b {
		t.Errorf("eras differ beyond the two sentences:\n%s\n---\n%s", b, old)
	}
	if ActionPromptFor(EraBenchmark, "Bo", "H", 3, AllActionTypes) != b {
		t.Error("ActionPrompt is not the benchmark era")
	}
}

func TestActionPromptListsActionsInGivenOrder(t *testing.T) {
	p := ActionPrompt("Bo", "H", 4, []ActionType{ActionSpeak, ActionLeave, ActionNonVerbal, ActionAction, ActionNone})
	if !strings.Contains(p, "are\nspeak leave non-verbal communication action none.\n") {
		t.Errorf("action list not in the given order:\n%s", p)
	}
	if p := ActionPrompt("Bo", "H", 4, []ActionType{ActionNone}); !strings.Contains(p, "are\nnone.\n") {
		t.Errorf("single action list wrong:\n%s", p)
	}
}

func TestActionFormatInstructionsSchema(t *testing.T) {
	fi := ActionFormatInstructions()
	if !strings.HasPrefix(fi, "The output should be formatted as a JSON instance that conforms to the JSON schema below.\n\n") {
		t.Errorf("instructions do not start with LangChain's sentence: %q", fi[:60])
	}
	if !strings.Contains(fi, `The object {"properties": {"foo": ["bar", "baz"]}} is not well-formatted.`) {
		t.Error("instructions lack the foo/bar counter-example")
	}
	schema := schemaOf(t, fi)
	props := schema["properties"].(map[string]any)
	enum := props["action_type"].(map[string]any)["enum"].([]any)
	if got, want := fmt.Sprint(enum), fmt.Sprint(AllActionTypes); got != want {
		t.Errorf("enum %s, want %s", got, want)
	}
	if got := fmt.Sprint(schema["required"]); got != "[action_type argument]" {
		t.Errorf("required %s", got)
	}
	if _, ok := schema["title"]; ok {
		t.Error("LangChain drops the schema title; it is present")
	}
}

func TestReformatPrompt(t *testing.T) {
	bad := `{"action_type": "speak", "argument": "unterminated`
	p := ReformatPrompt(bad, ActionFormatInstructions())
	want := "\n    Given the string that can not be parsed by json parser, reformat it to a string that can be parsed by json parser.\n" +
		"    Original string: " + bad + "\n\n    Format instructions: " + ActionFormatInstructions() +
		"\n\n    Please only generate the JSON:\n    "
	if p != want {
		t.Errorf("reformat prompt:\n%q\nwant\n%q", p, want)
	}
	// Placeholder-like text in the bad output is not substituted.
	if p := ReformatPrompt("{format_instructions}", "FI"); !strings.Contains(p, "Original string: {format_instructions}\n") {
		t.Errorf("bad output was substituted: %q", p)
	}
}

func TestPyJSONMatchesPythonDumps(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{pyObject{{"b", 1}, {"a", []any{"x", 2}}}, `{"b": 1, "a": ["x", 2]}`},
		{"caf\u00e9 \U0001F600", `"caf\u00e9 \ud83d\ude00"`},
		{"tab\tnl\nquote\"back\\slash\x01del\x7f", `"tab\tnl\nquote\"back\\slash\u0001del\u007f"`},
		{"<naturalness> & 'x'", `"<naturalness> & 'x'"`}, // no HTML escaping, unlike encoding/json
		{pyObject{}, `{}`},
		{[]any{}, `[]`},
	}
	for _, c := range cases {
		if got := pyJSON(c.in); got != c.want {
			t.Errorf("pyJSON(%#v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestPydanticTitle(t *testing.T) {
	for in, want := range map[string]string{
		"financial_and_material_benefits": "Financial And Material Benefits",
		"goal":                            "Goal",
		"social_rules":                    "Social Rules",
	} {
		if got := pydanticTitle(in); got != want {
			t.Errorf("pydanticTitle(%q) = %q, want %q", in, got, want)
		}
	}
}
