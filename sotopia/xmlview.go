package sotopia

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The tiny XML subset behind Sotopia's viewer tags (sotopia.md 2.2 step 4). Sotopia hands every
// bio, goal, scenario and observation to lxml: first as a document, then wrapped in <root>, and
// last with every '&' escaped, through libxml2's recovering parser. xmlStrictParse and
// xmlLenientParse (xmlview_recover.go) mirror those two parsers closely enough that the three
// attempts take the same path and give the same text for everything the data and ordinary
// utterances contain (render_test.go pins the behaviour against lxml 4.9 output).

// xmlNode is a text node (tag == "") or an element.
type xmlNode struct {
	tag      string
	text     string
	attrs    []xmlAttr
	children []*xmlNode
}

type xmlAttr struct{ name, value string }

// visibleTo is the XPath test "[@viewer='v'] | [not(@viewer)]": no viewer attribute, or one equal
// to v (the recovering parser may keep several).
func (n *xmlNode) visibleTo(viewer string) bool {
	has := false
	for _, a := range n.attrs {
		if a.name == "viewer" {
			if a.value == viewer {
				return true
			}
			has = true
		}
	}
	return !has
}

func (n *xmlNode) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

var errXMLNotWellFormed = errors.New("xml: not well-formed")

// xmlNormaliseNewlines applies XML's end-of-line handling, which libxml2 does before parsing.
func xmlNormaliseNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

func xmlIsChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, r > unicode.MaxRune:
		return false
	}
	return true
}

// xmlAllChars reports whether s is valid UTF-8 made only of characters XML allows.
func xmlAllChars(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !xmlIsChar(r) {
			return false
		}
		i += size
	}
	return true
}

func xmlIsNameStart(r rune) bool { return r == '_' || r == ':' || unicode.IsLetter(r) }

func xmlIsNameChar(r rune) bool {
	return xmlIsNameStart(r) || r == '-' || r == '.' || r == 0xB7 || unicode.IsDigit(r) || unicode.IsMark(r)
}

func xmlIsSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// xmlScanner holds the input and position shared by both parsers.
type xmlScanner struct {
	s   string
	pos int
}

func (p *xmlScanner) eof() bool { return p.pos >= len(p.s) }

func (p *xmlScanner) hasPrefix(pre string) bool { return strings.HasPrefix(p.s[p.pos:], pre) }

func (p *xmlScanner) skipSpace() {
	for !p.eof() && xmlIsSpace(p.s[p.pos]) {
		p.pos++
	}
}

// name reads an XML name at the cursor ("" if none starts here).
func (p *xmlScanner) name() string {
	start := p.pos
	for i, r := range p.s[p.pos:] {
		if (i == 0 && !xmlIsNameStart(r)) || (i > 0 && !xmlIsNameChar(r)) {
			p.pos = start + i
			return p.s[start:p.pos]
		}
	}
	p.pos = len(p.s)
	return p.s[start:]
}

// skipPast moves the cursor after the next occurrence of end, or to EOF (reporting false).
func (p *xmlScanner) skipPast(end string) bool {
	i := strings.Index(p.s[p.pos:], end)
	if i < 0 {
		p.pos = len(p.s)
		return false
	}
	p.pos += i + len(end)
	return true
}

var xmlPredefinedEntities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'"}

// entity decodes the reference at the cursor (which is on '&'); ok is false if it is not a valid
// XML reference (unknown name, bad or forbidden character number, missing ';').
func (p *xmlScanner) entity() (string, bool) {
	end := strings.IndexByte(p.s[p.pos:], ';')
	if end < 2 {
		return "", false
	}
	ref := p.s[p.pos+1 : p.pos+end]
	var out string
	if strings.HasPrefix(ref, "#") {
		base, digits := 10, ref[1:]
		if strings.HasPrefix(digits, "x") {
			base, digits = 16, digits[1:]
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil || digits == "" || digits[0] == '+' || !xmlIsChar(rune(n)) || n > unicode.MaxRune {
			return "", false
		}
		out = string(rune(n))
	} else {
		v, ok := xmlPredefinedEntities[ref]
		if !ok {
			return "", false
		}
		out = v
	}
	p.pos += end + 1
	return out, true
}

// xmlStrictParse parses a whole document the way a non-recovering XML parser accepts it: one element,
// surrounded only by whitespace, comments and processing instructions.
func xmlStrictParse(s string) (*xmlNode, error) {
	p := &xmlScanner{s: xmlNormaliseNewlines(s)}
	if !xmlAllChars(p.s) {
		return nil, errXMLNotWellFormed
	}
	if p.hasPrefix("<?xml") && len(p.s) > 5 && xmlIsSpace(p.s[5]) && !p.skipPast("?>") {
		return nil, errXMLNotWellFormed
	}
	var root *xmlNode
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		switch {
		case p.hasPrefix("<!--"):
			if err := p.strictComment(); err != nil {
				return nil, err
			}
		case p.hasPrefix("<?"):
			if err := p.strictPI(); err != nil {
				return nil, err
			}
		case p.hasPrefix("<") && root == nil:
			el, err := p.strictElement()
			if err != nil {
				return nil, err
			}
			root = el
		default:
			return nil, errXMLNotWellFormed
		}
	}
	if root == nil {
		return nil, errXMLNotWellFormed
	}
	return root, nil
}

func (p *xmlScanner) strictComment() error {
	p.pos += len("<!--")
	i := strings.Index(p.s[p.pos:], "--")
	if i < 0 || !strings.HasPrefix(p.s[p.pos+i:], "-->") {
		return errXMLNotWellFormed // "--" is not allowed inside a comment
	}
	p.pos += i + len("-->")
	return nil
}

func (p *xmlScanner) strictPI() error {
	p.pos += len("<?")
	target := p.name()
	if target == "" || strings.EqualFold(target, "xml") || strings.Contains(target, ":") {
		return errXMLNotWellFormed
	}
	if !p.eof() && !xmlIsSpace(p.s[p.pos]) && !p.hasPrefix("?>") {
		return errXMLNotWellFormed
	}
	if !p.skipPast("?>") {
		return errXMLNotWellFormed
	}
	return nil
}

// strictElement parses an element at '<'. Names with a colon are rejected: without namespace
// declarations (which this data never has) lxml rejects the unbound prefix.
func (p *xmlScanner) strictElement() (*xmlNode, error) {
	p.pos++
	el := &xmlNode{tag: p.name()}
	if el.tag == "" || strings.Contains(el.tag, ":") {
		return nil, errXMLNotWellFormed
	}
	for {
		hadSpace := !p.eof() && xmlIsSpace(p.s[p.pos])
		p.skipSpace()
		switch {
		case p.eof():
			return nil, errXMLNotWellFormed
		case p.hasPrefix("/>"):
			p.pos += 2
			return el, nil
		case p.s[p.pos] == '>':
			p.pos++
			if err := p.strictContent(el); err != nil {
				return nil, err
			}
			return el, nil
		}
		if !hadSpace {
			return nil, errXMLNotWellFormed
		}
		name := p.name()
		if name == "" || strings.Contains(name, ":") {
			return nil, errXMLNotWellFormed
		}
		if _, dup := el.attr(name); dup {
			return nil, errXMLNotWellFormed
		}
		p.skipSpace()
		if p.eof() || p.s[p.pos] != '=' {
			return nil, errXMLNotWellFormed
		}
		p.pos++
		p.skipSpace()
		value, err := p.strictAttrValue()
		if err != nil {
			return nil, err
		}
		el.attrs = append(el.attrs, xmlAttr{name, value})
	}
}

func (p *xmlScanner) strictAttrValue() (string, error) {
	if p.eof() || (p.s[p.pos] != '"' && p.s[p.pos] != '\'') {
		return "", errXMLNotWellFormed
	}
	quote := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return "", errXMLNotWellFormed
		}
		c := p.s[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '<':
			return "", errXMLNotWellFormed
		case c == '&':
			v, ok := p.entity()
			if !ok {
				return "", errXMLNotWellFormed
			}
			b.WriteString(v)
		case c == '\t' || c == '\n':
			// Attribute-value normalisation turns literal whitespace characters into spaces.
			b.WriteByte(' ')
			p.pos++
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// strictContent reads el's content up to and including its matching end tag.
func (p *xmlScanner) strictContent(el *xmlNode) error {
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			el.children = append(el.children, &xmlNode{text: text.String()})
			text.Reset()
		}
	}
	for {
		if p.eof() {
			return errXMLNotWellFormed
		}
		switch c := p.s[p.pos]; {
		case p.hasPrefix("</"):
			p.pos += 2
			if p.name() != el.tag {
				return errXMLNotWellFormed
			}
			p.skipSpace()
			if p.eof() || p.s[p.pos] != '>' {
				return errXMLNotWellFormed
			}
			p.pos++
			flush()
			return nil
		case p.hasPrefix("<!--"):
			flush()
			if err := p.strictComment(); err != nil {
				return err
			}
		case p.hasPrefix("<![CDATA["):
			p.pos += len("<![CDATA[")
			start := p.pos
			if !p.skipPast("]]>") {
				return errXMLNotWellFormed
			}
			text.WriteString(p.s[start : p.pos-len("]]>")])
		case p.hasPrefix("<?"):
			flush()
			if err := p.strictPI(); err != nil {
				return err
			}
		case c == '<':
			flush()
			child, err := p.strictElement()
			if err != nil {
				return err
			}
			el.children = append(el.children, child)
		case c == '&':
			v, ok := p.entity()
			if !ok {
				return errXMLNotWellFormed
			}
			text.WriteString(v)
		case p.hasPrefix("]]>"):
			return errXMLNotWellFormed
		default:
			text.WriteByte(c)
			p.pos++
		}
	}
}
