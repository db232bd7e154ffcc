package sotopia

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// actionTypeAliases maps normalised spellings models use to Sotopia's five action types. Keys are
// lower case with '_' and '-' turned into spaces and runs of spaces collapsed (normalizeWords).
var actionTypeAliases = map[string]ActionType{
	"none": ActionNone, "no action": ActionNone, "nothing": ActionNone, "do nothing": ActionNone,
	"did nothing": ActionNone, "pass": ActionNone,

	"speak": ActionSpeak, "say": ActionSpeak, "said": ActionSpeak, "speech": ActionSpeak,
	"talk": ActionSpeak, "utterance": ActionSpeak,

	"non verbal communication": ActionNonVerbal, "nonverbal communication": ActionNonVerbal,
	"non verbal": ActionNonVerbal, "nonverbal": ActionNonVerbal,
	"non verbal communications": ActionNonVerbal, "nonverbal communications": ActionNonVerbal,
	"gesture": ActionNonVerbal,

	"action": ActionAction, "physical action": ActionAction, "act": ActionAction,

	"leave": ActionLeave, "left": ActionLeave, "leave the conversation": ActionLeave,
	"leave conversation": ActionLeave, "left the conversation": ActionLeave, "exit": ActionLeave,
}

// argumentKeys are the keys tried, in order, for the action's argument; models sometimes rename it.
var argumentKeys = []string{"argument", "arguments", "content", "text", "utterance"}

func normalizeWords(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("_", " ", "-", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// ParseActionType maps a model's spelling of an action type ("Speak", "non_verbal", "nonverbal
// communication", ...) to the ActionType, or explains why it cannot.
func ParseActionType(s string) (ActionType, error) {
	if t, ok := actionTypeAliases[normalizeWords(s)]; ok {
		return t, nil
	}
	return "", fmt.Errorf("unknown action_type %q (want one of %s)", s, joinActionTypes(AllActionTypes, ", "))
}

func joinActionTypes(ts []ActionType, sep string) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = string(t)
	}
	return strings.Join(parts, sep)
}

// ParseAction tolerantly parses an agent's output into an AgentAction: code fences, surrounding
// prose, the first JSON object carrying an action, case-insensitive action types and common
// variants, {"properties": {...}} and {"x": {"value": v}} wrappers (Sotopia's parser unwraps both),
// trailing commas. No JSON or an unknown action type is an error saying why.
func ParseAction(s string) (AgentAction, error) {
	var act AgentAction
	err := searchJSONObjects(s, func(obj map[string]any) error {
		a, err := actionFromObject(obj)
		if err == nil {
			act = a
		}
		return err
	})
	if err != nil {
		return AgentAction{}, fmt.Errorf("sotopia: parse action from %s: %w", snippet(s), err)
	}
	return act, nil
}

func actionFromObject(obj map[string]any) (AgentAction, error) {
	obj = unwrapActionObject(obj)
	rawType, ok := obj["action_type"]
	if !ok {
		return AgentAction{}, errors.New(`no "action_type" field`)
	}
	typeName, ok := unwrapValue(rawType).(string)
	if !ok {
		return AgentAction{}, fmt.Errorf("action_type is %s, want a string", describeJSON(rawType))
	}
	t, err := ParseActionType(typeName)
	if err != nil {
		return AgentAction{}, err
	}
	arg, found, err := actionArgument(obj)
	if err != nil {
		return AgentAction{}, err
	}
	if !found && t != ActionNone && t != ActionLeave {
		return AgentAction{}, fmt.Errorf("%s action has no argument", t)
	}
	return AgentAction{ActionType: t, Argument: arg}, nil
}

// unwrapActionObject peels the wrappers models put around an action: the JSON-schema echo
// {"properties": {...}} and a named wrapper such as {"action": {...}} or
// {"thought": "...", "AgentAction": {...}}.
func unwrapActionObject(obj map[string]any) map[string]any {
	for range 3 { // wrappers nest at most a couple deep; bounded so odd input cannot loop
		if _, ok := obj["action_type"]; ok {
			return obj
		}
		if inner, ok := obj["properties"].(map[string]any); ok {
			obj = inner
			continue
		}
		inner, ok := childWithKey(obj, "action_type")
		if !ok {
			inner, ok = singleChild(obj)
		}
		if !ok {
			return obj
		}
		obj = inner
	}
	return obj
}

// childWithKey returns the object-valued field of obj that has one of keys (normalised match); the
// smallest field name wins so the choice does not depend on map order.
func childWithKey(obj map[string]any, keys ...string) (map[string]any, bool) {
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if inner, ok := unwrapValue(obj[k]).(map[string]any); ok {
			if _, found := lookupKey(inner, keys...); found {
				return inner, true
			}
		}
	}
	return nil, false
}

// singleChild returns v from {"anything": v} when v is an object.
func singleChild(obj map[string]any) (map[string]any, bool) {
	if len(obj) != 1 {
		return nil, false
	}
	for _, v := range obj {
		inner, ok := unwrapValue(v).(map[string]any)
		return inner, ok
	}
	return nil, false
}

// unwrapValue turns {"value": v} (how some models fill a schema's fields) into v.
func unwrapValue(v any) any {
	for range 3 {
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return v
		}
		inner, ok := m["value"]
		if !ok {
			return v
		}
		v = inner
	}
	return v
}

func actionArgument(obj map[string]any) (arg string, found bool, err error) {
	for _, k := range argumentKeys {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		switch v := unwrapValue(raw).(type) {
		case nil:
			return "", true, nil
		case string:
			return v, true, nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true, nil
		case bool:
			return strconv.FormatBool(v), true, nil
		default:
			return "", false, fmt.Errorf("%s is %s, want a string", k, describeJSON(raw))
		}
	}
	return "", false, nil
}

// describeJSON names the JSON kind of a parsed value, for error messages.
func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// snippet quotes the start of a model output for an error message.
func snippet(s string) string {
	const max = 120
	if r := []rune(s); len(r) > max {
		return strconv.Quote(string(r[:max])) + "..."
	}
	return strconv.Quote(s)
}

// Prefixes of AgentAction.Render's natural-language forms.
const (
	renderedSpeakPrefix     = `said: "`
	renderedNonVerbalPrefix = "[non-verbal communication]"
	renderedActionPrefix    = "[action]"
	renderedLeave           = "left the conversation"
	renderedNone            = "did nothing"
)

// ParseRenderedAction parses AgentAction.Render's natural-language form back: `said: "..."`,
// `[non-verbal communication] ...`, `[action] ...`, `left the conversation`, `did nothing`. A
// single leading space (HEAD Sotopia prefixes one) is ignored. Parse(a.Render()) == a for every
// action of the five types (for none and leave the argument is not rendered, so it comes back "").
func ParseRenderedAction(s string) (AgentAction, error) {
	s = strings.TrimPrefix(s, " ")
	switch {
	case strings.HasPrefix(s, renderedSpeakPrefix):
		rest := s[len(renderedSpeakPrefix):]
		if !strings.HasSuffix(rest, `"`) {
			return AgentAction{}, fmt.Errorf("sotopia: rendered speech %s has no closing quote", snippet(s))
		}
		return AgentAction{ActionType: ActionSpeak, Argument: rest[:len(rest)-1]}, nil
	case strings.HasPrefix(s, renderedNonVerbalPrefix):
		return AgentAction{ActionType: ActionNonVerbal, Argument: afterTag(s, renderedNonVerbalPrefix)}, nil
	case strings.HasPrefix(s, renderedActionPrefix):
		return AgentAction{ActionType: ActionAction, Argument: afterTag(s, renderedActionPrefix)}, nil
	case s == renderedLeave:
		return AgentAction{ActionType: ActionLeave}, nil
	case s == renderedNone:
		return AgentAction{ActionType: ActionNone}, nil
	}
	return AgentAction{}, fmt.Errorf("sotopia: %s is not a rendered action (want said: \"...\", [non-verbal communication] ..., [action] ..., %s or %s)",
		snippet(s), renderedLeave, renderedNone)
}

// afterTag drops the tag and the one space Render puts after it.
func afterTag(s, tag string) string {
	return strings.TrimPrefix(s[len(tag):], " ")
}
