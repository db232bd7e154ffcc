package sotopia

import (
	"strings"
	"testing"
)

func TestParseActionAcceptsWhatModelsWrite(t *testing.T) {
	speak := func(arg string) AgentAction { return AgentAction{ActionType: ActionSpeak, Argument: arg} }
	cases := []struct {
		name, in string
		want     AgentAction
	}{
		{"plain", `{"action_type": "speak", "argument": "Hi Ethan, how are things?"}`, speak("Hi Ethan, how are things?")},
		{"code fence", "```json\n{\"action_type\": \"speak\", \"argument\": \"Hello\"}\n```", speak("Hello")},
		{"prose around", "Sure! Here is my action:\n{\"action_type\":\"speak\",\"argument\":\"Hello\"}\nHope that helps.", speak("Hello")},
		{"upper case type", `{"action_type": "SPEAK", "argument": "x"}`, speak("x")},
		{"non-verbal short", `{"action_type": "non-verbal", "argument": "smiles"}`, AgentAction{ActionNonVerbal, "smiles"}},
		{"nonverbal communication", `{"action_type": "nonverbal communication", "argument": "nods"}`, AgentAction{ActionNonVerbal, "nods"}},
		{"snake case", `{"action_type": "Non_Verbal_Communication", "argument": "waves"}`, AgentAction{ActionNonVerbal, "waves"}},
		{"physical action", `{"action_type": "physical action", "argument": "hands over the keys"}`, AgentAction{ActionAction, "hands over the keys"}},
		{"leave without argument", `{"action_type": "Leave"}`, AgentAction{ActionType: ActionLeave}},
		{"none with null argument", `{"action_type": "none", "argument": null}`, AgentAction{ActionType: ActionNone}},
		{"schema echo wrapper", `{"properties": {"action_type": "speak", "argument": "x"}}`, speak("x")},
		{"value wrappers", `{"action_type": {"value": "speak"}, "argument": {"value": "x"}}`, speak("x")},
		{"named wrapper", `{"action": {"action_type": "leave", "argument": ""}}`, AgentAction{ActionType: ActionLeave}},
		{"wrapper beside a thought", `{"thought": "be brief", "AgentAction": {"action_type": "speak", "argument": "x"}}`, speak("x")},
		{"trailing commas", `{"action_type": "speak", "argument": "x",}`, speak("x")},
		{"smart quotes", "{\u201caction_type\u201d: \u201cspeak\u201d, \u201cargument\u201d: \u201cIt\u2019s fine\u201d}", speak("It\u2019s fine")},
		{"unescaped inner quotes", `{"action_type": "speak", "argument": "He said "hi" to me"}`, speak(`He said "hi" to me`)},
		{"python quotes", `{'action_type': 'speak', 'argument': "It's late"}`, speak("It's late")},
		{"raw newline in string", "{\"action_type\": \"speak\", \"argument\": \"line one\nline two\"}", speak("line one\nline two")},
		{"escaped unicode", `{"action_type": "speak", "argument": "caf\u00e9 \ud83d\ude00"}`, speak("café 😀")},
		{"braces in prose first", `I {think} so: {"action_type": "speak", "argument": "ok"}`, speak("ok")},
		{"first object is not an action", `{"thought": "be nice"} then {"action_type": "speak", "argument": "ok"}`, speak("ok")},
		{"argument renamed", `{"action_type": "speak", "content": "hey"}`, speak("hey")},
		{"numeric argument", `{"action_type": "speak", "argument": 15}`, speak("15")},
		{"bare keys", `{action_type: "speak", argument: "x"}`, speak("x")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseAction(c.in)
			if err != nil {
				t.Fatalf("ParseAction(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Errorf("ParseAction(%q) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
}

func TestParseActionErrorsSayWhy(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "no JSON object found"},
		{"prose only", "I will just smile at her.", "no JSON object found"},
		{"unknown type", `{"action_type": "dance", "argument": "x"}`, `unknown action_type "dance"`},
		{"no type", `{"argument": "x"}`, `no "action_type" field`},
		{"type not a string", `{"action_type": 3, "argument": "x"}`, "action_type is a number, want a string"},
		{"speak without argument", `{"action_type": "speak"}`, "speak action has no argument"},
		{"argument is an object", `{"action_type": "speak", "argument": {"a": 1, "b": 2}}`, "argument is an object"},
		{"truncated", `{"action_type": "speak", "argument": "Hel`, "unterminated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAction(c.in)
			if err == nil {
				t.Fatalf("ParseAction(%q) accepted", c.in)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestParseActionErrorListsValidTypes(t *testing.T) {
	_, err := ParseAction(`{"action_type": "shout", "argument": "x"}`)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, a := range AllActionTypes {
		if !strings.Contains(err.Error(), string(a)) {
			t.Errorf("error %q does not list %q", err, a)
		}
	}
}

func TestParseRenderedActionRoundTrips(t *testing.T) {
	for _, a := range []AgentAction{
		{ActionSpeak, `Hi "Ethan", how are things?`},
		{ActionSpeak, ""},
		{ActionNonVerbal, "nods"},
		{ActionNonVerbal, " leading space kept"},
		{ActionAction, "hands over the keys"},
		{ActionLeave, ""},
		{ActionNone, ""},
	} {
		got, err := ParseRenderedAction(a.Render())
		if err != nil {
			t.Fatalf("%q: %v", a.Render(), err)
		}
		if got != a {
			t.Errorf("ParseRenderedAction(%q) = %+v, want %+v", a.Render(), got, a)
		}
	}
}

func TestParseRenderedActionForms(t *testing.T) {
	cases := []struct {
		in   string
		want AgentAction
	}{
		{` said: "hi"`, AgentAction{ActionSpeak, "hi"}}, // HEAD prefixes one space
		{"[action]", AgentAction{ActionType: ActionAction}},
		{"[non-verbal communication] nodding", AgentAction{ActionNonVerbal, "nodding"}},
	}
	for _, c := range cases {
		got, err := ParseRenderedAction(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseRenderedAction(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{`said: "no closing quote`, "waved", "", "Left the conversation", "[gesture] waves"} {
		if a, err := ParseRenderedAction(bad); err == nil {
			t.Errorf("ParseRenderedAction(%q) accepted as %+v", bad, a)
		}
	}
}

func TestParseActionTypeVariants(t *testing.T) {
	for in, want := range map[string]ActionType{
		"none": ActionNone, " None ": ActionNone, "no_action": ActionNone,
		"speak": ActionSpeak, "Say": ActionSpeak,
		"non-verbal communication": ActionNonVerbal, "NON VERBAL": ActionNonVerbal, "nonverbal": ActionNonVerbal,
		"action": ActionAction, "Physical-Action": ActionAction,
		"leave": ActionLeave, "LEFT": ActionLeave, "leave the conversation": ActionLeave,
	} {
		got, err := ParseActionType(in)
		if err != nil || got != want {
			t.Errorf("ParseActionType(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, t0 := range AllActionTypes {
		if got, err := ParseActionType(string(t0)); err != nil || got != t0 {
			t.Errorf("canonical %q: %q, %v", t0, got, err)
		}
	}
}
