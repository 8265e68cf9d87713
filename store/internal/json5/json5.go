// Package json5 turns JSON5 (https://spec.json5.org) into JSON, so that
// the admin routes of the HTTP face accept the bodies Zenoh's users write
// (comments, trailing commas, unquoted keys, single-quoted strings, hex
// numbers) and then decode them with encoding/json as before.
//
// ToJSON is a normalizer, not a decoder: it reads the JSON5 text once and
// writes the same value as compact JSON, keeping number texts as written
// (converted only where JSON has no such form: hex, a leading + or a
// leading or trailing decimal point). JSON5 values JSON cannot hold,
// Infinity and NaN, are refused. Valid JSON is valid JSON5 and comes out
// unchanged in value.
package json5

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrSyntax is what every error of ToJSON wraps.
var ErrSyntax = errors.New("json5: syntax error")

// MaxDepth bounds how deeply arrays and objects may nest.
const MaxDepth = 512

// SyntaxError says where the text stopped being JSON5 and why.
type SyntaxError struct {
	Line, Column int    // 1-based, columns in characters
	Msg          string // what was wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("json5: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Unwrap makes a SyntaxError match ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// ToJSON returns the JSON text of the one JSON5 value in src (comments and
// white space may surround it).
func ToJSON(src []byte) ([]byte, error) {
	if !utf8.Valid(src) {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "the text is not valid UTF-8"}
	}
	p := &parser{src: src}
	p.out.Grow(len(src))
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.pos >= len(p.src) {
		return nil, p.fail("no value")
	}
	if err := p.value(0); err != nil {
		return nil, err
	}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.pos < len(p.src) {
		return nil, p.fail("text after the value")
	}
	return p.out.Bytes(), nil
}

type parser struct {
	src []byte
	pos int
	out bytes.Buffer
}

func (p *parser) fail(format string, args ...any) error {
	line, col := 1, 1
	for _, r := range string(p.src[:min(p.pos, len(p.src))]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// peek returns the rune at pos (utf8.RuneError, 0 at the end).
func (p *parser) peek() (rune, int) {
	if p.pos >= len(p.src) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRune(p.src[p.pos:])
}

// isSpace is JSON5's white space: JSON's, vertical tab, form feed, no-break
// space, the line and paragraph separators, the byte order mark and every
// space separator (Unicode Zs).
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x2028, 0x2029, 0xFEFF:
		return true
	}
	return r > 0x7f && unicode.Is(unicode.Zs, r)
}

// skip passes white space and comments.
func (p *parser) skip() error {
	for p.pos < len(p.src) {
		r, n := p.peek()
		switch {
		case isSpace(r):
			p.pos += n
		case r == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/':
			for p.pos < len(p.src) {
				r, n := p.peek()
				if r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029 {
					break
				}
				p.pos += n
			}
		case r == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '*':
			end := bytes.Index(p.src[p.pos+2:], []byte("*/"))
			if end < 0 {
				return p.fail("unterminated /* comment")
			}
			p.pos += 2 + end + 2
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) value(depth int) error {
	if depth > MaxDepth {
		return p.fail("nested deeper than %d", MaxDepth)
	}
	c := p.src[p.pos]
	switch {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		s, err := p.str()
		if err != nil {
			return err
		}
		writeString(&p.out, s)
		return nil
	case c == '-' || c == '+' || c == '.' || '0' <= c && c <= '9':
		return p.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if p.word(lit) {
			p.out.WriteString(lit)
			return nil
		}
	}
	if p.word("Infinity") || p.word("NaN") {
		p.pos -= 3 // point at it, roughly
		return p.fail("Infinity and NaN have no JSON form")
	}
	r, _ := p.peek()
	return p.fail("unexpected %q", r)
}

// word consumes w if it is next and not followed by an identifier
// character.
func (p *parser) word(w string) bool {
	if !bytes.HasPrefix(p.src[p.pos:], []byte(w)) {
		return false
	}
	if end := p.pos + len(w); end < len(p.src) {
		if r, _ := utf8.DecodeRune(p.src[end:]); isIdentPart(r) {
			return false
		}
	}
	p.pos += len(w)
	return true
}

func (p *parser) object(depth int) error {
	return p.items('{', '}', "object", func() error {
		var key string
		var err error
		if c := p.src[p.pos]; c == '"' || c == '\'' {
			key, err = p.str()
		} else {
			key, err = p.ident()
		}
		if err != nil {
			return err
		}
		writeString(&p.out, key)
		if err := p.skip(); err != nil {
			return err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return p.fail("expected ':' after the key %q", key)
		}
		p.pos++
		p.out.WriteByte(':')
		if err := p.skip(); err != nil {
			return err
		}
		if p.pos >= len(p.src) {
			return p.fail("no value after the key %q", key)
		}
		return p.value(depth + 1)
	})
}

func (p *parser) array(depth int) error {
	return p.items('[', ']', "array", func() error { return p.value(depth + 1) })
}

// items reads the members of an object or the elements of an array, from
// its opening bracket (at pos) to its closing one, a trailing comma
// allowed; item reads one, starting at a non-space character.
func (p *parser) items(open, close byte, what string, item func() error) error {
	p.pos++
	p.out.WriteByte(open)
	first := true
	for {
		if err := p.skip(); err != nil {
			return err
		}
		if p.pos >= len(p.src) {
			return p.fail("unterminated %s", what)
		}
		if p.src[p.pos] == close {
			p.pos++
			p.out.WriteByte(close)
			return nil
		}
		if !first {
			p.out.WriteByte(',')
		}
		first = false
		if err := item(); err != nil {
			return err
		}
		if err := p.skip(); err != nil {
			return err
		}
		if p.pos >= len(p.src) {
			return p.fail("unterminated %s", what)
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case close:
		default:
			return p.fail("expected ',' or '%c' in an %s", close, what)
		}
	}
}

func isIdentStart(r rune) bool {
	return r == '$' || r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || unicode.IsDigit(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc) ||
		r == 0x200C || r == 0x200D
}

// ident reads an unquoted key: an ECMAScript IdentifierName, \u escapes
// included.
func (p *parser) ident() (string, error) {
	var sb strings.Builder
	for p.pos < len(p.src) {
		r, n := p.peek()
		if r == '\\' {
			if p.pos+1 >= len(p.src) || p.src[p.pos+1] != 'u' {
				return "", p.fail("only \\u escapes may appear in a key")
			}
			p.pos += 2
			esc, err := p.hex(4)
			if err != nil {
				return "", err
			}
			r, n = rune(esc), 0
		}
		ok := isIdentPart(r)
		if sb.Len() == 0 {
			ok = isIdentStart(r)
		}
		if !ok {
			break
		}
		sb.WriteRune(r)
		p.pos += n
	}
	if sb.Len() == 0 {
		r, _ := p.peek()
		return "", p.fail("unexpected %q where a key was expected", r)
	}
	return sb.String(), nil
}

// hex reads n hex digits.
func (p *parser) hex(n int) (uint32, error) {
	if p.pos+n > len(p.src) {
		return 0, p.fail("a \\x or \\u escape needs %d hex digits", n)
	}
	var v uint32
	for _, c := range p.src[p.pos : p.pos+n] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, p.fail("a \\x or \\u escape needs %d hex digits", n)
		}
		v = v<<4 | uint32(d)
	}
	p.pos += n
	return v, nil
}

// str reads a single- or double-quoted string.
func (p *parser) str() (string, error) {
	quote := p.src[p.pos]
	p.pos++
	var sb strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", p.fail("unterminated string")
		}
		r, n := p.peek()
		switch {
		case r == rune(quote):
			p.pos++
			return sb.String(), nil
		case r == '\n' || r == '\r':
			return "", p.fail("a line break in a string must be escaped")
		case r != '\\':
			sb.WriteRune(r)
			p.pos += n
			continue
		}
		p.pos++ // the backslash
		if p.pos >= len(p.src) {
			return "", p.fail("unterminated string")
		}
		r, n = p.peek()
		p.pos += n
		switch r {
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'v':
			sb.WriteByte('\v')
		case '0':
			if p.pos < len(p.src) && '0' <= p.src[p.pos] && p.src[p.pos] <= '9' {
				return "", p.fail("\\0 may not be followed by a digit")
			}
			sb.WriteByte(0)
		case 'x':
			v, err := p.hex(2)
			if err != nil {
				return "", err
			}
			sb.WriteRune(rune(v))
		case 'u':
			v, err := p.hex(4)
			if err != nil {
				return "", err
			}
			r := rune(v)
			// A surrogate pair written as two escapes is one character.
			if 0xD800 <= r && r < 0xDC00 && bytes.HasPrefix(p.src[p.pos:], []byte(`\u`)) {
				save := p.pos
				p.pos += 2
				if lo, err := p.hex(4); err == nil && 0xDC00 <= lo && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (rune(lo) - 0xDC00)
				} else {
					p.pos = save
				}
			}
			sb.WriteRune(r) // a lone surrogate becomes U+FFFD, as encoding/json does
		case '\r':
			if p.pos < len(p.src) && p.src[p.pos] == '\n' {
				p.pos++
			}
		case '\n', 0x2028, 0x2029: // line continuation
		default:
			if '1' <= r && r <= '9' {
				return "", p.fail("\\%c is not an escape", r)
			}
			sb.WriteRune(r) // \' \" \\ \/ and any other character stand for themselves
		}
	}
}

// number reads a JSON5 number and writes its JSON form.
func (p *parser) number() error {
	start := p.pos
	neg := false
	if c := p.src[p.pos]; c == '+' || c == '-' {
		neg = c == '-'
		p.pos++
	}
	if p.word("Infinity") || p.word("NaN") {
		p.pos = start
		return p.fail("Infinity and NaN have no JSON form")
	}
	rest := p.src[p.pos:]
	if len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		p.pos += 2
		ds := p.pos
		for p.pos < len(p.src) && isHex(p.src[p.pos]) {
			p.pos++
		}
		if p.pos == ds {
			return p.fail("a hex number needs digits")
		}
		if err := p.endOfNumber(); err != nil {
			return err
		}
		v, _ := new(big.Int).SetString(string(p.src[ds:p.pos]), 16)
		if neg && v.Sign() != 0 {
			p.out.WriteByte('-')
		}
		p.out.WriteString(v.String())
		return nil
	}
	intStart := p.pos
	for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
		p.pos++
	}
	intPart := string(p.src[intStart:p.pos])
	if len(intPart) > 1 && intPart[0] == '0' {
		p.pos = intStart
		return p.fail("a number may not start with 0")
	}
	frac := ""
	hasPoint := p.pos < len(p.src) && p.src[p.pos] == '.'
	if hasPoint {
		p.pos++
		fs := p.pos
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
		frac = string(p.src[fs:p.pos])
	}
	if intPart == "" && frac == "" {
		p.pos = start
		return p.fail("a number needs digits")
	}
	exp := ""
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		es := p.pos
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		ds := p.pos
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
		if p.pos == ds {
			return p.fail("an exponent needs digits")
		}
		exp = string(p.src[es:p.pos])
	}
	if err := p.endOfNumber(); err != nil {
		return err
	}
	if neg {
		p.out.WriteByte('-')
	}
	if intPart == "" {
		intPart = "0"
	}
	p.out.WriteString(intPart)
	if frac != "" {
		p.out.WriteByte('.')
		p.out.WriteString(frac)
	}
	p.out.WriteString(exp)
	return nil
}

// endOfNumber refuses a number glued to an identifier ("12abc").
func (p *parser) endOfNumber() error {
	if p.pos < len(p.src) {
		if r, _ := p.peek(); isIdentPart(r) || r == '.' {
			return p.fail("unexpected %q after a number", r)
		}
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// writeString writes s as a JSON string (HTML characters left alone).
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}
