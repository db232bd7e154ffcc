package pyjson

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Package pyjson renders JSON byte for byte as Python's json.dumps does with its defaults: Sotopia's
// exports and the schemas inside its prompts were written that way.
//
// The functions render JSON byte for byte as Python's json.dumps does with its defaults
// (", " and ": " separators, ensure_ascii, float repr), which is how Sotopia writes its JSONL
// exports. Objects keep the order the caller gives, as Python keeps dict order.

// Member is one object member: a key and its already rendered value.
type Member struct{ Key, Value string }

// M is a member: a key and its already rendered value.
func M(key, value string) Member { return Member{Key: key, Value: value} }

func Object(members ...Member) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(String(m.Key))
		b.WriteString(": ")
		b.WriteString(m.Value)
	}
	b.WriteByte('}')
	return b.String()
}

func List(items []string) string { return "[" + strings.Join(items, ", ") + "]" }

func Strings(ss []string) string {
	items := make([]string, len(ss))
	for i, s := range ss {
		items[i] = String(s)
	}
	return List(items)
}

const hexDigits = "0123456789abcdef"

func String(s string) string {
	var b bytes.Buffer
	u := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hexDigits[(r>>shift)&0xf])
		}
	}
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r <= 0x7e:
			b.WriteByte(byte(r))
		case r > 0xffff:
			r -= 0x10000
			u(0xd800 + (r>>10)&0x3ff)
			u(0xdc00 + r&0x3ff)
		default: // control characters, DEL and all non-ASCII (invalid UTF-8 reads as U+FFFD)
			u(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Float is Python's repr of a float: the shortest round-tripping digits, in fixed notation
// with at least one decimal when the exponent is in [-4, 16), else d.ddde+XX.
func Float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
