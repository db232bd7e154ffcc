package sotopia

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Evaluation is a parsed judge verdict: each seat's seven raw scores, Sotopia's comments text
// (sotopia.md 3.3: "Agent 1 comments:\n<key>: <reasoning>\n..."), and the reasoning per seat and
// dimension the comments were built from.
type Evaluation struct {
	Scores    [Seats]Scores
	Comments  string
	Reasoning [Seats][NumDimensions]string
}

// ParseEvaluation parses a judge output into per-seat raw scores and Sotopia's comments. It accepts
// the paper/benchmark-era shape {"agent_1_evaluation": {"goal": ["why", 7], ...}, ...} and HEAD's
// {"evaluations": {"agent_1": {"goal": {"reasoning": "...", "score": 7}, ...}, ...}}, inside code
// fences or prose, with schema/value wrappers, trailing commas, smart quotes, and scores written as
// strings or integral floats. A pair with several reasoning strings before the score (seen in real
// GPT-4 output) has them joined with a space. A missing dimension, a non-integral or out-of-range
// score is an error naming the agent, the dimension and the value: never a silent zero.
func ParseEvaluation(s string) (Evaluation, error) {
	var ev Evaluation
	err := searchJSONObjects(s, func(obj map[string]any) error {
		e, err := evaluationFromObject(obj)
		if err == nil {
			ev = e
		}
		return err
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("sotopia: parse evaluation from %s: %w", snippet(s), err)
	}
	return ev, nil
}

func evaluationFromObject(obj map[string]any) (Evaluation, error) {
	seats, err := seatEvaluations(obj)
	if err != nil {
		return Evaluation{}, err
	}
	var ev Evaluation
	var comments strings.Builder
	for seat, m := range seats {
		fmt.Fprintf(&comments, "Agent %d comments:\n", seat+1)
		for d := range NumDimensions {
			info := Dimensions[d]
			raw, ok := lookupKey(m, info.Key, strings.ToLower(info.Abbrev))
			if !ok {
				return Evaluation{}, fmt.Errorf("agent %d: missing dimension %q", seat+1, info.Key)
			}
			reason, score, err := dimensionValue(raw)
			if err != nil {
				return Evaluation{}, fmt.Errorf("agent %d %s: %w", seat+1, info.Key, err)
			}
			if score != math.Trunc(score) {
				return Evaluation{}, fmt.Errorf("agent %d %s: score %v is not an integer", seat+1, info.Key, score)
			}
			if score < info.Min || score > info.Max {
				return Evaluation{}, fmt.Errorf("agent %d %s: score %v outside [%v, %v]", seat+1, info.Key, score, info.Min, info.Max)
			}
			if score == 0 {
				score = 0 // "-0" is stored as 0, so equal verdicts encode equally
			}
			ev.Scores[seat][d] = score
			ev.Reasoning[seat][d] = reason
			comments.WriteString(info.Key + ": " + reason + "\n")
		}
		if err := ev.Scores[seat].Validate(); err != nil {
			return Evaluation{}, fmt.Errorf("agent %d: %w", seat+1, err)
		}
	}
	ev.Comments = comments.String()
	return ev, nil
}

// seatEvaluations finds each seat's dimension object in either judge output shape, peeling
// {"properties": ...}, {"value": ...} and named wrappers on the way.
func seatEvaluations(obj map[string]any) ([Seats]map[string]any, error) {
	var seats [Seats]map[string]any
	for range 4 { // wrappers nest at most a few deep; bounded so odd input cannot loop
		if _, ok := lookupKey(obj, "agent_1_evaluation"); ok {
			return collectSeats(obj, "agent_%d_evaluation")
		}
		if inner, ok := lookupKey(obj, "evaluations"); ok {
			m, ok := unwrapValue(inner).(map[string]any)
			if !ok {
				return seats, fmt.Errorf("evaluations is %s, want an object", describeJSON(inner))
			}
			return collectSeats(m, "agent_%d")
		}
		if _, ok := lookupKey(obj, "agent_1"); ok {
			return collectSeats(obj, "agent_%d")
		}
		next, ok := obj["properties"].(map[string]any)
		if !ok {
			next, ok = childWithKey(obj, "agent_1_evaluation", "evaluations", "agent_1")
		}
		if !ok {
			next, ok = singleChild(obj)
		}
		if !ok {
			break
		}
		obj = next
	}
	return seats, errors.New(`no "agent_1_evaluation" or "evaluations" field`)
}

func collectSeats(obj map[string]any, keyFormat string) ([Seats]map[string]any, error) {
	var seats [Seats]map[string]any
	for seat := range Seats {
		key := fmt.Sprintf(keyFormat, seat+1)
		raw, ok := lookupKey(obj, key)
		if !ok {
			return seats, fmt.Errorf("missing %q", key)
		}
		m, ok := unwrapValue(raw).(map[string]any)
		if !ok {
			return seats, fmt.Errorf("%s is %s, want an object", key, describeJSON(raw))
		}
		if inner, ok := m["properties"].(map[string]any); ok && len(m) == 1 {
			m = inner
		}
		seats[seat] = m
	}
	return seats, nil
}

// lookupKey finds a key exactly, else by normalised spelling ("Social Rules", "social-rules" and
// "SOCIAL_RULES" all find social_rules); among several such keys the smallest wins, so the result
// does not depend on map order.
func lookupKey(m map[string]any, names ...string) (any, bool) {
	for _, n := range names {
		if v, ok := m[n]; ok {
			return v, true
		}
	}
	var matches []string
	for k := range m {
		nk := normalizeKey(k)
		for _, n := range names {
			if nk == n {
				matches = append(matches, k)
				break
			}
		}
	}
	if len(matches) == 0 {
		return nil, false
	}
	sort.Strings(matches)
	return m[matches[0]], true
}

func normalizeKey(k string) string {
	return strings.ReplaceAll(normalizeWords(k), " ", "_")
}

// dimensionValue reads one dimension: [reasoning, score], {"reasoning": ..., "score": ...} or a bare
// score.
func dimensionValue(raw any) (reason string, score float64, err error) {
	switch v := unwrapValue(raw).(type) {
	case []any:
		return pairValue(v)
	case map[string]any:
		rawScore, ok := lookupKey(v, "score")
		if !ok {
			return "", 0, errors.New(`no "score" field`)
		}
		score, ok := scoreValue(unwrapValue(rawScore))
		if !ok {
			return "", 0, fmt.Errorf("score is %s, want a number", describeValue(rawScore))
		}
		if rawReason, ok := lookupKey(v, "reasoning", "reason", "explanation"); ok {
			if reason, ok = unwrapValue(rawReason).(string); !ok {
				return "", 0, fmt.Errorf("reasoning is %s, want a string", describeJSON(rawReason))
			}
		}
		return reason, score, nil
	default:
		if score, ok := scoreValue(v); ok {
			return "", score, nil
		}
		return "", 0, fmt.Errorf("value is %s, want [reasoning, score]", describeValue(raw))
	}
}

// pairValue reads [reasoning, score]. Extra reasoning strings before the score are joined; a
// reversed [score, reasoning] pair is accepted when the score is a JSON number.
func pairValue(items []any) (string, float64, error) {
	if len(items) == 0 {
		return "", 0, errors.New("empty array, want [reasoning, score]")
	}
	if score, ok := scoreValue(items[len(items)-1]); ok {
		if reasons, ok := allStrings(items[:len(items)-1]); ok {
			return strings.Join(reasons, " "), score, nil
		}
	}
	if score, ok := items[0].(float64); ok {
		if reasons, ok := allStrings(items[1:]); ok {
			return strings.Join(reasons, " "), score, nil
		}
	}
	return "", 0, fmt.Errorf("%s is not [reasoning, score]", compactJSON(items))
}

// compactJSON shows a parsed value in an error message, shortened.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return describeJSON(v)
	}
	if r := []rune(string(b)); len(r) > 120 {
		return string(r[:120]) + "..."
	}
	return string(b)
}

func allStrings(items []any) ([]string, bool) {
	out := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// scoreValue accepts a JSON number or a string holding one ("7", " 7.0 ").
func scoreValue(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

// describeValue is describeJSON plus the value itself for scalars, for error messages.
func describeValue(v any) string {
	switch v := v.(type) {
	case string:
		return "the string " + snippet(v)
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "the boolean " + strconv.FormatBool(v)
	}
	return describeJSON(v)
}
