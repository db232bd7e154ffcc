package sotopia

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// xmlLenientParse never fails. It follows libxml2's recovery where it matters for Sotopia text:
// a '<' (or "<?") that starts no markup is dropped, a malformed attribute ends the start tag at
// its '>', an end tag closes the innermost open element whatever its name, content after the
// outermost element is ignored, unclosed elements end at EOF, characters XML forbids are dropped,
// duplicated attributes are all kept, and once any of these errors has happened every later
// entity reference is dropped (libxml2 stops expanding references in a document it knows is not
// well-formed: "a <3 b & c" renders as "a 3 b  c"). The input must start with an element (Sotopia
// always wraps it in <root>).
func xmlLenientParse(s string) *xmlNode {
	p := &xmlRecoverParser{xmlScanner: xmlScanner{s: xmlNormaliseNewlines(s)}}
	return p.parse()
}

type xmlRecoverParser struct {
	xmlScanner
	broken bool // a recoverable error has happened
}

func (p *xmlRecoverParser) parse() *xmlNode {
	doc := &xmlNode{tag: "#document"}
	stack := []*xmlNode{doc}
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			top := stack[len(stack)-1]
			top.children = append(top.children, &xmlNode{text: text.String()})
			text.Reset()
		}
	}
	for !p.eof() {
		if len(stack) == 1 && slices.ContainsFunc(doc.children, func(n *xmlNode) bool { return n.tag != "" }) {
			break // the outermost element is closed: the rest is "extra content", ignored
		}
		switch c := p.s[p.pos]; {
		case p.hasPrefix("</"):
			flush()
			p.pos += 2
			if p.name() != stack[len(stack)-1].tag {
				p.broken = true
			}
			p.skipPast(">")
			stack = stack[:len(stack)-1]
		case p.hasPrefix("<!--"):
			flush()
			if !p.skipPast("-->") {
				p.broken = true
			}
		case p.hasPrefix("<![CDATA["):
			p.pos += len("<![CDATA[")
			start := p.pos
			if p.skipPast("]]>") {
				text.WriteString(p.s[start : p.pos-len("]]>")])
			} else {
				p.broken = true
			}
		case p.hasPrefix("<?"):
			flush()
			if p.pos+2 < len(p.s) && xmlIsNameStart(p.runeAt(p.pos+2)) {
				p.skipPast("?>")
			} else {
				p.pos += 2 // not a processing instruction: dropped
				p.broken = true
			}
		case c == '<' && p.pos+1 < len(p.s) && xmlIsNameStart(p.runeAt(p.pos+1)):
			flush()
			el, selfClosing := p.startTag()
			top := stack[len(stack)-1]
			top.children = append(top.children, el)
			if !selfClosing {
				stack = append(stack, el)
			}
		case c == '<':
			p.pos++ // starts no markup: libxml2 reports it and drops the '<'
			p.broken = true
		case c == '&':
			v, ok := p.entity()
			switch {
			case !ok:
				// Cannot happen after the caller escaped every '&'; keep the text if it does.
				text.WriteByte(c)
				p.pos++
			case !p.broken:
				text.WriteString(v)
			}
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.pos:])
			if xmlIsChar(r) && !(r == utf8.RuneError && size == 1) {
				text.WriteString(p.s[p.pos : p.pos+size])
			} else {
				p.broken = true
			}
			p.pos += size
		}
	}
	flush()
	for _, c := range doc.children {
		if c.tag != "" {
			return c
		}
	}
	return &xmlNode{tag: "#empty"}
}

func (p *xmlScanner) runeAt(i int) rune {
	r, _ := utf8.DecodeRuneInString(p.s[i:])
	return r
}

// startTag reads "<name attrs>" or "<name attrs/>" at '<'. A malformed attribute ends the tag at
// the next '>' (or EOF), keeping the element and the attributes read so far.
func (p *xmlRecoverParser) startTag() (el *xmlNode, selfClosing bool) {
	p.pos++
	el = &xmlNode{tag: p.name()}
	for {
		p.skipSpace()
		switch {
		case p.eof():
			p.broken = true
			return el, false
		case p.hasPrefix("/>"):
			p.pos += 2
			return el, true
		case p.s[p.pos] == '>':
			p.pos++
			return el, false
		}
		name := p.name()
		p.skipSpace()
		if name == "" || p.eof() || p.s[p.pos] != '=' {
			p.broken = true
			p.skipPast(">")
			return el, false
		}
		p.pos++
		p.skipSpace()
		if p.eof() || (p.s[p.pos] != '"' && p.s[p.pos] != '\'') {
			p.broken = true
			p.skipPast(">")
			return el, false
		}
		quote := p.s[p.pos]
		p.pos++
		end := strings.IndexByte(p.s[p.pos:], quote)
		if end < 0 {
			p.broken = true
			p.pos = len(p.s)
			return el, false
		}
		raw := p.s[p.pos : p.pos+end]
		p.pos += end + 1
		if _, dup := el.attr(name); dup {
			p.broken = true // libxml2 reports it but keeps both
		}
		el.attrs = append(el.attrs, xmlAttr{name, xmlDecodeAttr(raw)})
	}
}

// xmlDecodeAttr decodes the references of an attribute value, keeping anything undecodable.
func xmlDecodeAttr(raw string) string {
	if !strings.ContainsRune(raw, '&') {
		return raw
	}
	p := &xmlScanner{s: raw}
	var b strings.Builder
	for !p.eof() {
		if p.s[p.pos] == '&' {
			if v, ok := p.entity(); ok {
				b.WriteString(v)
				continue
			}
		}
		b.WriteByte(p.s[p.pos])
		p.pos++
	}
	return b.String()
}
