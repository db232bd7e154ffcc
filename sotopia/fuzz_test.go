package sotopia

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets: the parsers must never panic, and whatever they accept must be well-formed and
// survive a round trip through its canonical encoding. Seeds run as ordinary tests; fuzz with e.g.
// go test ./sotopia/ -run '^$' -fuzz FuzzParseEvaluation -fuzztime 30s

var actionSeeds = []string{
	`{"action_type": "speak", "argument": "Hi Ethan, how are things?"}`,
	"```json\n{\"action_type\": \"non-verbal communication\", \"argument\": \"nods\"}\n```",
	`Sure: {"properties": {"action_type": {"value": "Leave"}, "argument": ""},}`,
	"{\u201caction_type\u201d: \u201cspeak\u201d, \u201cargument\u201d: \u201cIt\u2019s \"fine\"\u201d}",
	`{'action_type': 'action', 'argument': "hands over the keys", }`,
	`{"action": {"action_type": "none"}}`,
	`{"action_type": "speak", "argument": "He said "hi", and left"}`,
	`{"action_type": "dance"}`,
	`{"action_type": "speak", "argument": "\ud83d\ude00 \udc00 \u00"}`,
	`{{{{{{{{[[[[[["`,
	"",
}

func FuzzParseAction(f *testing.F) {
	for _, s := range actionSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAction(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !validActionTypeForTest(a.ActionType) {
			t.Fatalf("accepted unknown action type %q", a.ActionType)
		}
		if !utf8.ValidString(a.Argument) {
			t.Fatalf("argument is not valid UTF-8: %q", a.Argument)
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseAction(string(b))
		if err != nil || again != a {
			t.Fatalf("canonical JSON %s parses as %+v, %v; want %+v", b, again, err, a)
		}
		rendered, err := ParseRenderedAction(a.Render())
		want := a
		if a.ActionType == ActionNone || a.ActionType == ActionLeave {
			want.Argument = "" // not rendered
		}
		if err != nil || rendered != want {
			t.Fatalf("rendered %q parses as %+v, %v; want %+v", a.Render(), rendered, err, want)
		}
	})
}

func validActionTypeForTest(t ActionType) bool {
	for _, a := range AllActionTypes {
		if a == t {
			return true
		}
	}
	return false
}

func FuzzParseRenderedAction(f *testing.F) {
	for _, s := range []string{`said: "hi"`, "[non-verbal communication] nods", "[action] x", "left the conversation", "did nothing", ` said: "`, "[action]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseRenderedAction(s)
		if err != nil {
			return
		}
		again, err := ParseRenderedAction(a.Render())
		if err != nil || again != a {
			t.Fatalf("%q -> %+v renders %q -> %+v, %v", s, a, a.Render(), again, err)
		}
	})
}

func FuzzParseEvaluation(f *testing.F) {
	paper := paperJudgeOutput(sampleScores)
	for _, s := range []string{
		paper,
		"```json\n" + paper + "\n```",
		`{"evaluations": {"agent_1": {` + headDims(sampleScores[0]) + `}, "agent_2": {` + headDims(sampleScores[1]) + `}}}`,
		strings.NewReplacer(`", 10]`, `", "10.0"]`, `]}`, `],}`).Replace(paper),
		strings.NewReplacer(`"`, "\u201c").Replace(paper),
		strings.Replace(paper, `", 4]`, `", 40]`, 1),
		strings.Replace(paper, `", 4]`, `", 4.5]`, 1),
		strings.Replace(paper, `"goal"`, `"goals"`, 1),
		`{"agent_1_evaluation": {"goal": ["a", "b", 7]}}`,
		`{"evaluations": [1, 2]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ev, err := ParseEvaluation(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var comments strings.Builder
		for seat, sc := range ev.Scores {
			if err := sc.Validate(); err != nil {
				t.Fatalf("accepted out-of-range scores: seat %d: %v", seat, err)
			}
			fmt.Fprintf(&comments, "Agent %d comments:\n", seat+1)
			for d, v := range sc {
				if v != math.Trunc(v) {
					t.Fatalf("accepted non-integral score %v", v)
				}
				comments.WriteString(Dimensions[d].Key + ": " + ev.Reasoning[seat][d] + "\n")
			}
		}
		if ev.Comments != comments.String() {
			t.Fatalf("comments %q do not match reasoning", ev.Comments)
		}
		for _, shape := range []string{"paper", "head"} {
			again, err := ParseEvaluation(judgeOutputJSON(shape, ev.Scores, ev.Reasoning))
			if err != nil || again != ev {
				t.Fatalf("%s re-encoding parses as %+v, %v; want %+v", shape, again, err, ev)
			}
		}
	})
}

// FuzzLenientJSON checks the tolerant reader only ever yields valid UTF-8 text, and is a superset
// of JSON: on any valid JSON object it returns exactly what encoding/json returns.
func FuzzLenientJSON(f *testing.F) {
	for _, s := range []string{
		`{"a": [1, -2.5e3, true, false, null, "x\"y\\z\u00e9\ud83d\ude00"], "b": {"c": {}}, "a": 0}`,
		`  {"k" : "v" , "l":[ ] }  `,
		`{"s": "\udc00\ud800x"}`,
		`{"n": -0, "e": 1E+2}`,
		`{"a": "\é \u12 \ud800\u0041"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if obj, err := firstObject(s); err == nil {
			requireValidUTF8(t, obj)
		}
		var want any
		if !utf8.ValidString(s) || json.Unmarshal([]byte(s), &want) != nil {
			return
		}
		if _, ok := want.(map[string]any); !ok {
			return
		}
		p := &lenientParser{src: s, pos: strings.IndexByte(s, '{')}
		got, err := p.object(0)
		if err != nil {
			if strings.Contains(err.Error(), "nesting deeper") {
				return // valid but deeper than the reader accepts, by design
			}
			t.Fatalf("valid JSON rejected: %v", err)
		}
		if !reflect.DeepEqual(any(got), want) {
			t.Fatalf("lenient %#v, encoding/json %#v", got, want)
		}
	})
}

func requireValidUTF8(t *testing.T, v any) {
	t.Helper()
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			t.Fatalf("invalid UTF-8 %q", v)
		}
	case []any:
		for _, e := range v {
			requireValidUTF8(t, e)
		}
	case map[string]any:
		for k, e := range v {
			requireValidUTF8(t, k)
			requireValidUTF8(t, e)
		}
	}
}
