package sotopia

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Strings of the tolerant JSON reader (lenientjson.go): plain, single and smart quotes, escapes,
// and the guess whether a quote inside a string ends it.

func isQuote(r rune) bool {
	switch r {
	case '"', '\'', '\u201c', '\u201d', '\u2018', '\u2019':
		return true
	}
	return false
}

// closes reports whether r ends a string opened with open.
func closes(open, r rune) bool {
	switch open {
	case '\u201c', '\u201d': // smart double quotes are often paired wrongly, or with a plain one
		return r == '\u201c' || r == '\u201d' || r == '"'
	case '\u2018', '\u2019':
		return r == '\u2018' || r == '\u2019' || r == '\''
	}
	return r == open
}

// str parses a quoted string; p.pos must be at the opening quote. Quotes inside the text are
// guessed by what follows them (endsString); if that guess runs off the end of the input the
// string is read again closing at the first matching quote, so the error points at the real fault.
func (p *lenientParser) str() (string, error) {
	start := p.pos
	if s, ok := p.scanString(true); ok {
		return s, nil
	}
	p.pos = start
	if s, ok := p.scanString(false); ok {
		return s, nil
	}
	p.pos = start
	return "", p.errorf("unterminated string")
}

func (p *lenientParser) scanString(guessInnerQuotes bool) (string, bool) {
	open, n := p.peekRune()
	p.pos += n
	var b strings.Builder
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		switch {
		case r == '\\':
			if !p.escape(&b) {
				return "", false
			}
			continue
		case closes(open, r) && (!guessInnerQuotes || p.endsString(p.pos+n)):
			p.pos += n
			return b.String(), true
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError) // as encoding/json does with invalid UTF-8
		default:
			b.WriteRune(r)
		}
		p.pos += n
	}
	return "", false
}

// endsString decides whether a quote followed by src[at:] closes the string. A quote that is not
// followed by JSON structure is taken as part of the text: models write `"he said "hi" to me"`.
func (p *lenientParser) endsString(at int) bool {
	i := skipSpaceAt(p.src, at)
	if i >= len(p.src) {
		return true
	}
	switch p.src[i] {
	case ':', '}', ']':
		return true
	case ',':
		j := skipSpaceAt(p.src, i+1)
		if j >= len(p.src) {
			return true
		}
		if strings.IndexByte("\"'{[]}-+.0123456789", p.src[j]) >= 0 {
			return true
		}
		if r, _ := utf8.DecodeRuneInString(p.src[j:]); isQuote(r) {
			return true
		}
		// A bare word: a literal (true, null, ...) or an unquoted key ends the string; prose
		// ("..., and then") does not.
		q := &lenientParser{src: p.src, pos: j}
		switch w := q.word(); w {
		case "":
			return false
		case "true", "false", "null", "True", "False", "None":
			return true
		default:
			k := skipSpaceAt(p.src, q.pos)
			return k < len(p.src) && p.src[k] == ':'
		}
	}
	return false
}

func skipSpaceAt(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// escape decodes one backslash escape at p.pos into b (false at the end of the input). Unknown
// escapes are kept literally.
func (p *lenientParser) escape(b *strings.Builder) bool {
	if p.pos+1 >= len(p.src) {
		return false
	}
	c := p.src[p.pos+1]
	p.pos += 2
	switch c {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'u':
		r, ok := p.hex4()
		if !ok {
			b.WriteString(`\u`)
			return true
		}
		if utf16IsHighSurrogate(r) {
			save := p.pos
			if strings.HasPrefix(p.src[p.pos:], `\u`) {
				p.pos += 2
				if lo, ok := p.hex4(); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					b.WriteRune((r-0xD800)<<10 + (lo - 0xDC00) + 0x10000)
					return true
				}
			}
			p.pos = save
			b.WriteRune(utf8.RuneError)
			return true
		}
		if r >= 0xDC00 && r <= 0xDFFF {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	case '"', '\\', '/', '\'':
		b.WriteByte(c)
	default: // keep the backslash; what follows is read as ordinary (possibly multi-byte) text
		b.WriteByte('\\')
		p.pos--
	}
	return true
}

func utf16IsHighSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }

func (p *lenientParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}
