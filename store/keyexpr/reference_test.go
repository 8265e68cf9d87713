package keyexpr

import (
	"regexp"
	"strings"
)

// This file holds deliberately simple reference implementations that the
// fuzz targets compare the real ones against: plain recursion (exponential
// on adversarial inputs, so only used on small ones), written from the
// rules as the package doc states them rather than from the optimized code.

// refCanonize applies the rewrite rules of the package doc (Canonical form)
// until none applies, then validates strictly.
func refCanonize(s string) (string, bool) {
	chunks := strings.Split(s, "/")
	for changed := true; changed; {
		changed = false
		for i, c := range chunks {
			if strings.Contains(c, "$*$*") {
				chunks[i] = strings.ReplaceAll(c, "$*$*", "$*")
				changed = true
			} else if c == "$*" {
				chunks[i] = "*"
				changed = true
			}
		}
		for i := 0; i+1 < len(chunks); i++ {
			if chunks[i] == "**" && chunks[i+1] == "**" {
				chunks = append(chunks[:i], chunks[i+1:]...)
				changed = true
				break
			}
			if chunks[i] == "**" && chunks[i+1] == "*" {
				chunks[i], chunks[i+1] = "*", "**"
				changed = true
			}
		}
	}
	out := strings.Join(chunks, "/")
	return out, Validate(out) == nil
}

func refVerbatim(c string) bool { return strings.HasPrefix(c, "@") }

// refIntersects: recursion on chunk lists, branching on every "**".
func refIntersects(a, b []string) bool {
	switch {
	case len(a) == 0 && len(b) == 0:
		return true
	case len(a) > 0 && a[0] == "**":
		return refIntersects(a[1:], b) || (len(b) > 0 && !refVerbatim(b[0]) && refIntersects(a, b[1:]))
	case len(b) > 0 && b[0] == "**":
		return refIntersects(a, b[1:]) || (len(a) > 0 && !refVerbatim(a[0]) && refIntersects(a[1:], b))
	case len(a) == 0 || len(b) == 0:
		return false
	}
	return refChunkIntersects(a[0], b[0]) && refIntersects(a[1:], b[1:])
}

// refChunkRelation settles what both chunk relations agree on: a chunk
// relates to itself, and a verbatim chunk to nothing else. decided is
// false when the wildcards must decide.
func refChunkRelation(x, y string) (related, decided bool) {
	switch {
	case x == y:
		return true, true
	case refVerbatim(x) || refVerbatim(y):
		return false, true
	}
	return false, false
}

func refChunkIntersects(x, y string) bool {
	if related, decided := refChunkRelation(x, y); decided {
		return related
	}
	return x == "*" || y == "*" || refGlobIntersects(x, y)
}

// refGlobIntersects: two-sided glob over bytes, "$*" on either side.
func refGlobIntersects(x, y string) bool {
	switch {
	case strings.HasPrefix(x, "$*"):
		if refGlobIntersects(x[2:], y) {
			return true
		}
		if strings.HasPrefix(y, "$*") {
			return refGlobIntersects(x, y[2:])
		}
		return y != "" && refGlobIntersects(x, y[1:])
	case strings.HasPrefix(y, "$*"):
		return refGlobIntersects(y, x)
	case x == "" || y == "":
		return x == "" && y == ""
	}
	return x[0] == y[0] && refGlobIntersects(x[1:], y[1:])
}

// refIncludes: recursion on chunk lists; a "**" on the right is only
// absorbed by a "**" on the left.
func refIncludes(a, b []string) bool {
	switch {
	case len(a) == 0 && len(b) == 0:
		return true
	case len(a) > 0 && a[0] == "**":
		return refIncludes(a[1:], b) || (len(b) > 0 && !refVerbatim(b[0]) && refIncludes(a, b[1:]))
	case len(a) == 0 || len(b) == 0 || b[0] == "**":
		return false
	}
	return refChunkIncludes(a[0], b[0]) && refIncludes(a[1:], b[1:])
}

func refChunkIncludes(x, y string) bool {
	if related, decided := refChunkRelation(x, y); decided {
		return related
	}
	return x == "*" || (y != "*" && refGlobMatch(x, y))
}

// refGlobMatch: one-sided glob, "$*" in p only; t is literal text.
func refGlobMatch(p, t string) bool {
	if strings.HasPrefix(p, "$*") {
		for i := 0; i <= len(t); i++ {
			if refGlobMatch(p[2:], t[i:]) {
				return true
			}
		}
		return false
	}
	if p == "" || t == "" {
		return p == t
	}
	return p[0] == t[0] && refGlobMatch(p[1:], t[1:])
}

// keyRegexp compiles a key expression into a regexp matching the keys it
// denotes, with every key chunk followed by "/". Verbatim chunks are
// marked with a leading \x01 on both sides (see markVerbatim), which no
// wildcard may match.
func keyRegexp(ke string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for _, c := range strings.Split(ke, "/") {
		switch {
		case c == "**":
			b.WriteString(`(?:[^/\x01]+/)*`)
		case c == "*":
			b.WriteString(`[^/\x01]+/`)
		case refVerbatim(c):
			b.WriteString(regexp.QuoteMeta("\x01" + c + "/"))
		default:
			parts := strings.Split(c, "$*")
			for i, p := range parts {
				if i > 0 {
					b.WriteString(`[^/\x01]*`)
				}
				b.WriteString(regexp.QuoteMeta(p))
			}
			b.WriteString(`/`)
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// markVerbatim turns a key into the form keyRegexp matches.
func markVerbatim(key string) string {
	chunks := strings.Split(key, "/")
	for i, c := range chunks {
		if refVerbatim(c) {
			chunks[i] = "\x01" + c
		}
	}
	return strings.Join(chunks, "/") + "/"
}

// tokenChunks are the chunks genExpr builds expressions from: literal,
// wild, sub-chunk wild and verbatim, with shared letters so that they
// often relate.
var tokenChunks = []string{
	"a", "b", "ab", "ba", "aa", "abc", "c", "bab",
	"*", "**", "*", "**", "$*", "$*$*", "**", "*",
	"a$*", "$*a", "a$*b", "$*a$*", "ab$*ba", "$*b$*a", "a$*a$*a", "b$*",
	"@a", "@b", "@a$*", "@", "@$*", "@ab", "a@", "$*@a",
}

// genExpr maps fuzz bytes to a key expression of len(seed) chunks taken
// from tokenChunks (not always canonical: callers canonize).
func genExpr(seed string) string {
	chunks := make([]string, len(seed))
	for i := range len(seed) {
		chunks[i] = tokenChunks[int(seed[i])%len(tokenChunks)]
	}
	return strings.Join(chunks, "/")
}

// genKey maps fuzz bytes to a plain key built from tokenChunks' literal
// and verbatim chunks.
func genKey(seed string) string {
	var keyChunks []string
	for _, c := range tokenChunks {
		if !strings.Contains(c, "*") {
			keyChunks = append(keyChunks, c)
		}
	}
	chunks := make([]string, len(seed))
	for i := range len(seed) {
		chunks[i] = keyChunks[int(seed[i])%len(keyChunks)]
	}
	return strings.Join(chunks, "/")
}
