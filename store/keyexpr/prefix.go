package keyexpr

import "strings"

// IsWild reports whether the key expression s contains a wildcard ("*",
// "**" or "$*"), that is, whether it may denote more than one key.
func IsWild(s string) bool {
	return strings.IndexByte(s, '*') >= 0
}

// LiteralPrefix returns the longest chunk-aligned prefix of the key
// expression s that contains no wildcard, or "" if the first chunk is
// already wild ("demo/example/**" → "demo/example", "demo/ex$*/**" →
// "demo", "**" → ""). For a plain key it returns s itself.
//
// Every key that s matches is either the prefix itself or starts with the
// prefix followed by "/", so backends can narrow a listing to that prefix
// before filtering with Intersects. (The prefix itself can match only when
// the rest of s is all "**".)
func LiteralPrefix(s string) string {
	w := strings.IndexByte(s, '*')
	if w < 0 {
		return s
	}
	slash := strings.LastIndexByte(s[:w], '/')
	if slash < 0 {
		return ""
	}
	return s[:slash]
}

// StripKey removes prefix from a plain key as a storage with that
// strip_prefix does: "demo/example/a/b" with prefix
// "demo/example" gives "a/b". A key equal to the prefix gives the empty key
// "" (backends store it under a reserved name). ok is false if the key is
// not under the prefix at all; prefixes are whole chunks, so "demo/exam"
// is not a prefix of "demo/example".
//
// The reverse is prefix + "/" + rest, or prefix alone for the empty key.
func StripKey(key, prefix string) (rest string, ok bool) {
	if !strings.HasPrefix(key, prefix) {
		return "", false
	}
	if len(key) == len(prefix) {
		return "", true
	}
	if key[len(prefix)] != '/' {
		return "", false
	}
	return key[len(prefix)+1:], true
}

// StripPrefix removes the plain-key prefix from a key expression as a
// storage with that strip_prefix must: it returns
// the key expressions rests such that a stripped (non-empty) key k is
// matched by ke exactly when k is matched by one of rests, and reports in
// withPrefix whether ke also matches the prefix itself, the empty
// stripped key. No rest includes another (they are deduplicated by
// Includes); they are ordered from the shortest suffix of ke to the
// longest.
//
// Examples with prefix "demo/example/test": "demo/example/**" gives ["**"]
// and withPrefix; "demo/**/te$*/*/xyz" gives ["*/xyz", "**/te$*/*/xyz"];
// "demo/example/test" gives no rest but withPrefix; "not/a/prefix" gives
// neither.
//
// ke must be valid and prefix a plain key. StripPrefix allocates only the
// result slice; each rest is a substring of ke.
func StripPrefix(ke, prefix string) (rests []string, withPrefix bool) {
	var kBuf [stackChunks]int
	ends := chunkEnds(kBuf[:0], ke)
	n := len(ends)
	// Reading the prefix's chunks one at a time, track the set of positions
	// in ke reached (an NFA simulation; a "**" at position i may stay at i
	// to eat a chunk, or step to i+1 producing nothing).
	var setBuf rowPair
	cur, next := setBuf.rows(n)
	cur[0] = true
	closeDoubles(ke, ends, cur)
	for p := prefix; ; {
		slash := strings.IndexByte(p, '/')
		c := p
		if slash >= 0 {
			c = p[:slash]
		}
		clear(next)
		any := false
		for i := 0; i < n; i++ {
			if !cur[i] {
				continue
			}
			ki := chunkAt(ke, ends, i)
			switch {
			case ki == "**":
				if !isVerbatim(c) {
					next[i] = true
					any = true
				}
			case intersectChunk(ki, c):
				next[i+1] = true
				any = true
			}
		}
		if !any {
			return nil, false
		}
		closeDoubles(ke, ends, next)
		cur, next = next, cur
		if slash < 0 {
			break
		}
		p = p[slash+1:]
	}
	withPrefix = cur[n]
	// Candidates: the suffix of ke after each reached position, shortest
	// first. Keep those no other candidate includes (distinct suffixes are
	// never equal; if two include each other, keep the shorter).
	var candBuf [8]string
	cands := candBuf[:0]
	for i := n - 1; i >= 0; i-- {
		if cur[i] {
			cands = append(cands, ke[chunkStart(ends, i):])
		}
	}
	for k, r := range cands {
		dup := false
		for l, q := range cands {
			if l != k && Includes(q, r) && (l < k || !Includes(r, q)) {
				dup = true
				break
			}
		}
		if !dup {
			rests = append(rests, r)
		}
	}
	return rests, withPrefix
}

// closeDoubles adds to the position set every position reachable by
// letting "**" chunks produce nothing.
func closeDoubles(ke string, ends []int, set []bool) {
	for i := 0; i < len(ends); i++ {
		if set[i] && chunkAt(ke, ends, i) == "**" {
			set[i+1] = true
		}
	}
}

// chunkStart returns the byte offset where chunk k starts.
func chunkStart(ends []int, k int) int {
	if k == 0 {
		return 0
	}
	return ends[k-1] + 1
}
