package keyexpr

import (
	"strings"
	"unicode/utf8"
)

// Validate reports whether s is a valid key expression in canonical form
// (the grammar is in the package doc): it returns nil, or an *Error naming
// the first rule broken and its byte offset.
//
// A valid expression is canonical: there is exactly one way to write each
// one, so two valid expressions are equal as sets exactly when they are
// equal as strings (with one exception, "**" and "*/**"). Use Canonize to
// accept non-canonical spellings such as "a/**/*" or "a/$*".
func Validate(s string) error {
	return validate(s, false)
}

// ValidateKey reports whether s is a plain key: a valid key expression with
// no wildcard ("*", "**" or "$*"). A wildcard gives an *Error matching
// ErrWild (and ErrInvalid).
func ValidateKey(s string) error {
	if err := validate(s, false); err != nil {
		return err
	}
	if i := strings.IndexByte(s, '*'); i >= 0 {
		if i > 0 && s[i-1] == '$' {
			i--
		}
		return &Error{Expr: s, Offset: i, Rule: ErrWild}
	}
	return nil
}

// validate checks the grammar of the package doc. With lenient set it accepts what
// Canonize rewrites ("$*$*" runs, chunks that are only "$*", "**/**" and
// "**/*") and rejects everything else the strict form rejects; it is the
// same as rewriting first and validating strictly, but reports offsets in
// the caller's string.
func validate(s string, lenient bool) error {
	if s == "" {
		return &Error{Expr: s, Offset: 0, Rule: ErrEmptyChunk}
	}
	if !utf8.ValidString(s) {
		return &Error{Expr: s, Offset: firstInvalidUTF8(s), Rule: ErrInvalidUTF8}
	}
	afterDouble := false // the previous chunk was "**"
	for start := 0; start <= len(s); {
		end := chunkEnd(s, start)
		c := s[start:end]
		switch {
		case c == "":
			return &Error{Expr: s, Offset: start, Rule: ErrEmptyChunk}
		case c == "*":
			if afterDouble && !lenient {
				return &Error{Expr: s, Offset: start, Rule: ErrSingleStarAfterDoubleStar}
			}
			afterDouble = false
		case c == "**":
			if afterDouble && !lenient {
				return &Error{Expr: s, Offset: start, Rule: ErrDoubleStarAfterDoubleStar}
			}
			afterDouble = true
		default:
			if c == "$*" && !lenient {
				return &Error{Expr: s, Offset: start, Rule: ErrLoneDollarStar}
			}
			if err := validateChunk(s, start, c, lenient); err != nil {
				return err
			}
			afterDouble = false
		}
		start = end + 1
	}
	return nil
}

// validateChunk checks the characters of one chunk c that starts at byte
// off of s and is neither "*" nor "**".
func validateChunk(s string, off int, c string, lenient bool) error {
	for k := 0; k < len(c); k++ {
		switch c[k] {
		case '#', '?':
			return &Error{Expr: s, Offset: off + k, Rule: ErrSharpOrQMark}
		case '*':
			// Every "*" allowed in a chunk is consumed with its "$" below.
			return &Error{Expr: s, Offset: off + k, Rule: ErrStarInChunk}
		case '$':
			if k+1 == len(c) || c[k+1] != '*' {
				return &Error{Expr: s, Offset: off + k, Rule: ErrUnboundDollar}
			}
			k++ // the '*'
			if k+1 < len(c) && c[k+1] == '$' {
				if !lenient {
					return &Error{Expr: s, Offset: off + k + 1, Rule: ErrDollarAfterDollar}
				}
				// Lenient: a "$*$*" run is fine (Canonize collapses it); a
				// "$" that does not start another "$*" is caught by the
				// next iteration as unbound.
			}
		}
	}
	return nil
}

// isDollarStarRun reports whether c is one or more "$*" and nothing else.
func isDollarStarRun(c string) bool {
	if c == "" || len(c)%2 != 0 {
		return false
	}
	for k := 0; k < len(c); k += 2 {
		if c[k] != '$' || c[k+1] != '*' {
			return false
		}
	}
	return true
}

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

// Canonize returns the canonical form of a key expression, applying the
// rewrite rules below until none applies:
//
//  1. a run of "$*" becomes one "$*" ("foo$*$*" → "foo$*");
//  2. a run of "**" chunks becomes one "**" ("a/**/**/b" → "a/**/b");
//  3. a chunk that is only "$*" becomes "*" ("a/$*/b" → "a/*/b");
//  4. "**/*" becomes "*/**" ("a/**/*" → "a/*/**").
//
// Everything else Validate rejects stays an error (empty chunks, "#",
// "?", a stray "$", "*" glued to text); the *Error's offset then refers to
// s. The result always passes Validate, and Canonize of a valid expression
// returns it unchanged without allocating.
func Canonize(s string) (string, error) {
	if validate(s, false) == nil {
		return s, nil
	}
	if err := validate(s, true); err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(s))
	// A "**" chunk is held back (pendingDouble) so that "*" chunks after
	// it are written first (rule 4) and further "**" merge into it (rule 2).
	pendingDouble := false
	for start := 0; start <= len(s); {
		end := chunkEnd(s, start)
		c := s[start:end]
		start = end + 1
		if isDollarStarRun(c) {
			c = "*" // rules 1 and 3
		}
		if c == "**" {
			pendingDouble = true
			continue
		}
		if c != "*" && pendingDouble {
			writeChunk(&b, "**")
			pendingDouble = false
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		collapseDollarStars(&b, c)
	}
	if pendingDouble {
		writeChunk(&b, "**")
	}
	return b.String(), nil
}

// writeChunk appends a chunk, with a "/" unless it is the first.
func writeChunk(b *strings.Builder, c string) {
	if b.Len() > 0 {
		b.WriteByte('/')
	}
	b.WriteString(c)
}

// collapseDollarStars writes c with every run of "$*" reduced to one.
func collapseDollarStars(b *strings.Builder, c string) {
	for k := 0; k < len(c); {
		if c[k] == '$' && k+1 < len(c) && c[k+1] == '*' {
			b.WriteString("$*")
			k += 2
			for k+1 < len(c) && c[k] == '$' && c[k+1] == '*' {
				k += 2
			}
			continue
		}
		b.WriteByte(c[k])
		k++
	}
}

// chunkEnd returns the end of the chunk of s that begins at start: the
// offset of the next "/", or len(s).
func chunkEnd(s string, start int) int {
	if i := strings.IndexByte(s[start:], '/'); i >= 0 {
		return start + i
	}
	return len(s)
}
