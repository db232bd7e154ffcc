package sotopia

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a small tolerant JSON reader for LLM output (the role json_repair plays in Sotopia).
// It is a superset of JSON: every valid JSON object parses to what encoding/json gives (checked by
// FuzzLenientJSON). On top it accepts what models commonly get wrong: trailing commas, single- and
// smart-quoted strings, raw control characters and unescaped inner double quotes inside strings,
// bare identifier keys and Python's True/False/None. Values come back as map[string]any, []any,
// string, float64, bool or nil.

const (
	// maxJSONDepth bounds nesting so hostile input cannot grow the stack without limit.
	maxJSONDepth = 64
	// maxObjectStarts bounds how many '{' a search tries, keeping the search linear in practice.
	maxObjectStarts = 64
)

// searchJSONObjects tries to parse a JSON object at each '{' of s, in order, and hands every object
// that parses to use. The first object use accepts wins. If none is accepted it returns the first
// error use gave, or, when nothing parsed at all, why the first attempt failed.
func searchJSONObjects(s string, use func(map[string]any) error) error {
	var firstUseErr, firstParseErr error
	tries := 0
	for i := 0; i < len(s) && tries < maxObjectStarts; {
		j := strings.IndexByte(s[i:], '{')
		if j < 0 {
			break
		}
		start := i + j
		tries++
		p := &lenientParser{src: s, pos: start}
		obj, err := p.object(0)
		if err != nil {
			if firstParseErr == nil {
				firstParseErr = err
			}
			i = start + 1
			continue
		}
		if err := use(obj); err == nil {
			return nil
		} else if firstUseErr == nil {
			firstUseErr = err
		}
		i = p.pos // objects nested in a rejected object are not tried on their own
	}
	switch {
	case firstUseErr != nil:
		return firstUseErr
	case firstParseErr != nil:
		return fmt.Errorf("no parsable JSON object: %w", firstParseErr)
	}
	return errors.New("no JSON object found")
}

type lenientParser struct {
	src string
	pos int
}

func (p *lenientParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *lenientParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peekRune returns the rune at the current position (utf8.RuneError, 0 at the end).
func (p *lenientParser) peekRune() (rune, int) {
	if p.pos >= len(p.src) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRuneInString(p.src[p.pos:])
}

func (p *lenientParser) value(depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, p.errorf("nesting deeper than %d", maxJSONDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of input, want a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	}
	if r, _ := p.peekRune(); isQuote(r) {
		return p.str()
	}
	word := p.word()
	switch word {
	case "true", "True":
		return true, nil
	case "false", "False":
		return false, nil
	case "null", "None":
		return nil, nil
	case "":
		r, _ := p.peekRune()
		return nil, p.errorf("unexpected %q, want a value", r)
	}
	return nil, p.errorf("unexpected word %q, want a value", word)
}

// object parses {...}; p.pos must be at '{'.
func (p *lenientParser) object(depth int) (map[string]any, error) {
	p.pos++ // '{'
	obj := map[string]any{}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated object")
		}
		if p.src[p.pos] == '}' { // also accepts a trailing comma before '}'
			p.pos++
			return obj, nil
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.errorf("want ':' after key %q", key)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj[key] = v
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated object")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return obj, nil
		default:
			return nil, p.errorf("want ',' or '}' after the value of %q", key)
		}
	}
}

func (p *lenientParser) key() (string, error) {
	if r, _ := p.peekRune(); isQuote(r) {
		return p.str()
	}
	if w := p.word(); w != "" {
		return w, nil
	}
	r, _ := p.peekRune()
	return "", p.errorf("unexpected %q, want an object key", r)
}

// array parses [...]; p.pos must be at '['.
func (p *lenientParser) array(depth int) ([]any, error) {
	p.pos++ // '['
	arr := []any{}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated array")
		}
		if p.src[p.pos] == ']' { // also accepts a trailing comma before ']'
			p.pos++
			return arr, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errorf("unterminated array")
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.errorf("want ',' or ']' in array")
		}
	}
}

// word reads a bare identifier ([A-Za-z_][A-Za-z0-9_-]*): a literal or an unquoted key.
func (p *lenientParser) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(p.pos > start && (c == '-' || (c >= '0' && c <= '9'))) {
			p.pos++
			continue
		}
		break
	}
	return p.src[start:p.pos]
}

func (p *lenientParser) number() (float64, error) {
	start := p.pos
	for p.pos < len(p.src) && strings.IndexByte("+-.0123456789eE", p.src[p.pos]) >= 0 {
		p.pos++
	}
	lit := p.src[start:p.pos]
	f, err := strconv.ParseFloat(strings.TrimPrefix(lit, "+"), 64)
	if err != nil {
		p.pos = start
		return 0, p.errorf("bad number %q", lit)
	}
	return f, nil
}
