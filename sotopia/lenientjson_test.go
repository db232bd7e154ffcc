package sotopia

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func firstObject(s string) (map[string]any, error) {
	var got map[string]any
	err := searchJSONObjects(s, func(m map[string]any) error { got = m; return nil })
	return got, err
}

func TestLenientJSONRepairs(t *testing.T) {
	cases := []struct {
		name, in string
		want     map[string]any
	}{
		{"python literals", `{"a": True, "b": False, "c": None}`, map[string]any{"a": true, "b": false, "c": nil}},
		{"nested trailing commas", `{"a": [1, 2,], "b": {"c": 3,},}`, map[string]any{"a": []any{1.0, 2.0}, "b": map[string]any{"c": 3.0}}},
		{"mixed smart quotes", "{\u201ca\u201d: \u201cx\u201c, \u2018b\u2019: \u2018it\u2019s\u2019}", map[string]any{"a": "x", "b": "it\u2019s"}},
		{"inner quotes before comma prose", `{"a": "he said "no", and left", "b": 1}`, map[string]any{"a": `he said "no", and left`, "b": 1.0}},
		{"inner quotes before bare key", `{a: "x", b: "y"}`, map[string]any{"a": "x", "b": "y"}},
		{"plus sign number", `{"a": +7}`, map[string]any{"a": 7.0}},
		{"unknown escape kept", `{"a": "\q"}`, map[string]any{"a": `\q`}},
		{"unknown escape before multi-byte rune", `{"a": "\é"}`, map[string]any{"a": `\é`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := firstObject(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestLenientJSONErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a": 1`, "offset 7: unterminated object"},
		{`{"a" 1}`, `offset 5: want ':' after key "a"`},
		{`{"a": 1 "b": 2}`, `offset 8: want ',' or '}' after the value of "a"`},
		{`{"a": [1 2]}`, "want ',' or ']' in array"},
		{`{"a": 1.2.3}`, `bad number "1.2.3"`},
		{`{"a": undefined}`, `unexpected word "undefined"`},
		{`{"a": "open`, "offset 6: unterminated string"},
		{strings.Repeat("[", 10) + `{"a":` + strings.Repeat("[", 70), "nesting deeper than 64"},
		{"no braces", "no JSON object found"},
	}
	for _, c := range cases {
		_, err := firstObject(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func TestSearchJSONObjectsBoundsAttempts(t *testing.T) {
	// Thousands of '{' must not mean thousands of parses: only the first maxObjectStarts are tried.
	in := strings.Repeat("{x ", 5000) + `{"a": 1}`
	calls := 0
	err := searchJSONObjects(in, func(map[string]any) error { calls++; return nil })
	if err == nil || calls != 0 {
		t.Errorf("err %v, calls %d: an object past the attempt bound was used", err, calls)
	}
	// The first error the caller returned is the one reported.
	first := errors.New("first")
	err = searchJSONObjects(`{"a":1} {"b":2}`, func(m map[string]any) error {
		if _, ok := m["a"]; ok {
			return first
		}
		return errors.New("second")
	})
	if !errors.Is(err, first) {
		t.Errorf("got %v, want the first rejection", err)
	}
}
