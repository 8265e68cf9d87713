package keyexpr

import "strings"

// Intersects reports whether the key expressions a and b have at least one
// key in common. It is symmetric.
//
// Both arguments must be valid (see Validate); on anything else the result
// is meaningless, but Intersects never panics. It does not allocate for
// expressions of up to 32 chunks and runs in time proportional to the
// product of the two lengths at worst, whatever "**" patterns it is given.
func Intersects(a, b string) bool {
	if a == b {
		return true
	}
	if !strings.Contains(a, "**") && !strings.Contains(b, "**") {
		return lockstep(a, b, intersectChunk)
	}
	return relate(a, b, true)
}

// Includes reports whether every key of b is also a key of a (a ⊇ b).
// It is reflexive, not symmetric, and implies Intersects.
//
// Like Zenoh's, the test is syntactic where set algebra and the reference
// tests disagree: a "**" in b is only included by a "**" in a, so "**"
// includes "*/**" but "*/**" does not include "**".
//
// Both arguments must be valid (see Validate); on anything else the result
// is meaningless, but Includes never panics. Cost as for Intersects.
func Includes(a, b string) bool {
	if a == b {
		return true
	}
	if !strings.Contains(a, "**") {
		if strings.Contains(b, "**") {
			return false
		}
		return lockstep(a, b, includeChunk)
	}
	return relate(a, b, false)
}

// lockstep relates two expressions without "**" chunk by chunk: they must
// have as many chunks, and each pair must be related by rel.
func lockstep(a, b string, rel func(x, y string) bool) bool {
	for {
		i := strings.IndexByte(a, '/')
		j := strings.IndexByte(b, '/')
		if i < 0 || j < 0 {
			return i < 0 && j < 0 && rel(a, b)
		}
		if !rel(a[:i], b[:j]) {
			return false
		}
		a, b = a[i+1:], b[j+1:]
	}
}

// stackChunks is how many chunks relate handles without allocating.
const stackChunks = 32

// rowPair is room for two rows of stackChunks+1 cells, the working set of
// the dynamic programs over chunk positions (relate, StripPrefix).
type rowPair [2 * (stackChunks + 1)]bool

// rows returns two rows of n+1 cells: halves of p when they fit, else
// allocated.
func (p *rowPair) rows(n int) (cur, next []bool) {
	if n < stackChunks+1 {
		return p[:n+1], p[stackChunks+1 : stackChunks+1+n+1]
	}
	return make([]bool, n+1), make([]bool, n+1)
}

// relate decides Intersects (intersect true) or Includes (intersect false)
// for expressions with "**" by dynamic programming over chunk positions,
// never by backtracking, so adversarial inputs like "**/a/**/a/**/b"
// against "a/a/a/.../a" cost O(len(a chunks) × len(b chunks)) chunk
// comparisons.
//
// Cell (i, j) is reachable when the first i chunks of a and the first j of
// b can produce the same chunk sequence (for Includes: when every sequence
// of b's first j chunks is produced by a's first i). Moves:
//
//   - a[i] is "**": it produces nothing, (i+1, j); or it produces b[j]'s
//     chunk(s), (i, j+1), unless b[j] is verbatim (starts with "@");
//   - b[j] is "**" (Intersects only, the same two moves mirrored; for
//     Includes a "**" in b is only absorbed by a "**" in a);
//   - otherwise, (i+1, j+1) if the chunks a[i] and b[j] are related.
//
// The answer is whether (len a, len b) is reachable. Rows are computed one
// i at a time, each filled left to right because moves within a row go from
// j to j+1.
func relate(a, b string, intersect bool) bool {
	var aBuf, bBuf [stackChunks]string
	ac := splitChunks(aBuf[:0], a)
	bc := splitChunks(bBuf[:0], b)
	n, m := len(ac), len(bc)

	var rowBuf rowPair
	cur, next := rowBuf.rows(m)
	rel := includeChunk
	if intersect {
		rel = intersectChunk
	}

	// Only cells lo..hi of a row can be reachable; the window keeps rows
	// that die out early cheap.
	cur[0] = true
	lo, hi := 0, 0
	for i := 0; ; i++ {
		var ai string
		aDouble := false
		if i < n {
			ai = ac[i]
			aDouble = ai == "**"
		}
		// Moves within row i: j → j+1.
		for j := lo; j < m; j++ {
			if !cur[j] {
				if j >= hi {
					break
				}
				continue
			}
			bj := bc[j]
			if (aDouble && !isVerbatim(bj)) || (intersect && bj == "**") {
				cur[j+1] = true
				hi = max(hi, j+1)
			}
		}
		if i == n {
			return cur[m]
		}
		// Moves to row i+1. next is all false here: the cells of the row it
		// last held are cleared before each swap.
		nlo, nhi := m+1, -1
		for j := lo; j <= hi; j++ {
			if !cur[j] {
				continue
			}
			to := -1
			switch {
			case aDouble:
				to = j // a's "**" produces nothing
			case j == m:
			case bc[j] == "**":
				if intersect && !isVerbatim(ai) {
					to = j // b's "**" produces a[i]
				}
			case rel(ai, bc[j]):
				to = j + 1
			}
			if to >= 0 {
				next[to] = true
				nlo, nhi = min(nlo, to), max(nhi, to)
			}
		}
		if nhi < 0 {
			return false
		}
		clear(cur[lo : hi+1])
		cur, next = next, cur
		lo, hi = nlo, nhi
	}
}

// splitChunks appends the chunks of s to chunks.
func splitChunks(chunks []string, s string) []string {
	for {
		i := strings.IndexByte(s, '/')
		if i < 0 {
			return append(chunks, s)
		}
		chunks = append(chunks, s[:i])
		s = s[i+1:]
	}
}

// chunkEnds appends the end offset of each chunk of s to ends.
func chunkEnds(ends []int, s string) []int {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			ends = append(ends, i)
		}
	}
	return append(ends, len(s))
}

// chunkAt returns chunk k of s, given the chunk ends from chunkEnds.
func chunkAt(s string, ends []int, k int) string {
	start := 0
	if k > 0 {
		start = ends[k-1] + 1
	}
	return s[start:ends[k]]
}

// isVerbatim reports whether chunk c is verbatim: it starts with "@" and
// only an identical chunk matches it; no wildcard stands in for it.
func isVerbatim(c string) bool {
	return len(c) > 0 && c[0] == '@'
}

// intersectChunk reports whether two chunks, neither of them "**", share a
// value.
func intersectChunk(x, y string) bool {
	if x == y {
		return true
	}
	if isVerbatim(x) || isVerbatim(y) {
		return false
	}
	if x == "*" || y == "*" {
		return true
	}
	xd, yd := indexDollarStar(x) >= 0, indexDollarStar(y) >= 0
	switch {
	case xd && yd:
		// Both have a sub-chunk wildcard: the literal text before their
		// first "$*" must agree (one a prefix of the other), and so must
		// the text after their last "$*". That is also enough: the value
		// P + (x's middle pieces) + (y's middle pieces) + S, with P and S
		// the longer prefix and suffix, matches both (x's stars absorb y's
		// pieces and the rest of P and S, and the other way round).
		xp, xs := x[:indexDollarStar(x)], x[lastIndexDollarStar(x)+2:]
		yp, ys := y[:indexDollarStar(y)], y[lastIndexDollarStar(y)+2:]
		return (strings.HasPrefix(xp, yp) || strings.HasPrefix(yp, xp)) &&
			(strings.HasSuffix(xs, ys) || strings.HasSuffix(ys, xs))
	case xd:
		return globMatch(x, y)
	case yd:
		return globMatch(y, x)
	}
	return false
}

// includeChunk reports whether chunk x includes chunk y (every value of y
// is a value of x); neither is "**".
func includeChunk(x, y string) bool {
	if x == y {
		return true
	}
	if isVerbatim(x) || isVerbatim(y) {
		return false
	}
	if x == "*" {
		return true
	}
	if y == "*" || indexDollarStar(x) < 0 {
		return false
	}
	// y's own "$*" are taken as literal text: x's literal pieces contain
	// no "$", so they can only match y's literal text, which leaves y's
	// wildcards inside x's wildcards.
	return globMatch(x, y)
}

// globMatch reports whether text t matches pattern p, in which each "$*"
// stands for any run of bytes. p's literal text before the first "$*" must
// start t, its text after the last "$*" must end t, and its middle pieces
// must appear in order in between; taking each middle piece at its
// leftmost position is optimal, so no backtracking is needed.
func globMatch(p, t string) bool {
	first := indexDollarStar(p)
	if first < 0 {
		return p == t
	}
	last := lastIndexDollarStar(p)
	pre, suf := p[:first], p[last+2:]
	if len(t) < len(pre)+len(suf) || !strings.HasPrefix(t, pre) || !strings.HasSuffix(t, suf) {
		return false
	}
	t = t[len(pre) : len(t)-len(suf)]
	mid := p[first+2 : last+2]
	for mid != "" {
		k := indexDollarStar(mid)
		piece := mid[:k]
		mid = mid[k+2:]
		if piece == "" {
			continue
		}
		at := strings.Index(t, piece)
		if at < 0 {
			return false
		}
		t = t[at+len(piece):]
	}
	return true
}

// indexDollarStar is strings.Index(s, "$*"), faster: in a valid chunk
// every "$" starts a "$*".
func indexDollarStar(s string) int {
	for off := 0; ; {
		i := strings.IndexByte(s[off:], '$')
		if i < 0 {
			return -1
		}
		i += off
		if i+1 < len(s) && s[i+1] == '*' {
			return i
		}
		off = i + 1
	}
}

// lastIndexDollarStar is strings.LastIndex(s, "$*").
func lastIndexDollarStar(s string) int {
	for end := len(s); ; {
		i := strings.LastIndexByte(s[:end], '$')
		if i < 0 {
			return -1
		}
		if i+1 < len(s) && s[i+1] == '*' {
			return i
		}
		end = i
	}
}
