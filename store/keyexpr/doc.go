// Package keyexpr implements Zenoh key expressions, the names of the zmesh
// storage layer.
//
// A key is a non-empty list of non-empty chunks joined by "/", such as
// "demo/example/test". A key expression names a set of keys: a chunk "*"
// stands for exactly one chunk, a chunk "**" for zero or more chunks, and
// "$*" inside a chunk for any run of characters ("ab$*" matches "ab" and
// "abc"). A chunk starting with "@" is verbatim: only that same chunk
// matches it, no wildcard stands in for it, so "@"-prefixed subspaces stay
// out of reach of "**".
//
// # Grammar
//
// A valid key expression is written in its canonical form; there is no
// second accepted spelling:
//
//	expr  = chunk *( "/" chunk )
//	chunk = "*" | "**" | text        ; text is never exactly "$*"
//	text  = 1*( char | "$*" )
//	char  = any UTF-8 character except "/", "*", "$", "?" and "#"
//
// Each way to break it has its own error (see the Err... values):
//
//   - an empty chunk: "", "/a", "a/", "a//b" (ErrEmptyChunk);
//   - a "*" that is not a whole "*" or "**" chunk and not right after "$":
//     "a*", "***" (ErrStarInChunk);
//   - a chunk that is only "$*", which is written "*" (ErrLoneDollarStar);
//   - a "$" with no "*" after it: "a/$/b" (ErrUnboundDollar);
//   - "$*" followed by "$": "a$*$*b" (ErrDollarAfterDollar);
//   - "**/*", which is written "*/**" (ErrSingleStarAfterDoubleStar);
//   - "**/**", which is written "**" (ErrDoubleStarAfterDoubleStar);
//   - "#" or "?" anywhere (ErrSharpOrQMark);
//   - bytes that are not UTF-8 (ErrInvalidUTF8).
//
// A plain key is a valid expression without "*" or "$*". Spaces and any
// other UTF-8 are allowed in chunks ("a b/ü"); no Unicode normalization
// is done, so two spellings of one accented letter are two keys.
//
// # Canonical form
//
// Canonize rewrites an expression until none of these applies: a run of
// "$*" becomes one "$*"; a run of "**" chunks becomes one "**"; a chunk
// that is only "$*" becomes "*"; "**/*" becomes "*/**". It fixes nothing
// else: empty chunks, "#", "?", a stray "$" or "*" glued to text stay
// errors. Because each set has one canonical spelling, two valid
// expressions denote the same set exactly when they are the same string,
// with one exception: "**" and "*/**" name the same keys (every key has at
// least one chunk) yet both are canonical.
//
// # Relations
//
// Intersects(a, b) is true when some key is in both sets: "a/*" and "*/a"
// share "a/a"; "ab/**" and "ab" share "ab" because "**" may stand for no
// chunk; "ab/*" and "ab" share nothing. Includes(a, b) is true when every
// key of b is in a: "a/*/**" includes "a/b/**" but not "a/**" (which has
// "a"); "x/a$*" includes "x/abc$*". Inclusion follows Zenoh's reference
// tests where they part from set algebra: a "**" on the right is included
// only by a "**" on the left, so "**" includes "*/**" but not the reverse.
//
// # Strip prefix
//
// A storage configured with a strip_prefix keeps keys without it:
// "demo/example/a/b" under prefix "demo/example" is stored as "a/b", and
// the key equal to the prefix as the empty key. StripKey does this for a
// key; StripPrefix does it for an expression, returning every expression
// the stripped keys may match ("demo/**/te$*/*/xyz" under
// "demo/example/test" gives "*/xyz" and "**/te$*/*/xyz") and whether the
// prefix key itself matches.
//
// # Selectors
//
// A selector is "keyexpr?parameters". The parameters are ";"-separated
// entries, each "name=value" split at its first "=" or a bare "name" with
// the empty value; empty entries are skipped, spaces are kept, and "|"
// separates several values of one name. Names not starting with an ASCII
// letter are reserved by Zenoh; "_time" selects a time range.
//
// # Pieces
//
//   - Validate, ValidateKey and Canonize check and normalize strings.
//     Errors are *Error values that say which rule broke where, and match
//     ErrInvalid and the rule (ErrEmptyChunk, ErrStarInChunk, ...) with
//     errors.Is.
//   - Intersects and Includes are the set relations storages route and
//     filter by. They work on strings without allocating and in polynomial
//     time on any input (dynamic programming over chunk positions, not
//     backtracking).
//   - IsWild and LiteralPrefix tell a backend whether a request names one
//     key and which listing prefix covers all the keys it may match.
//   - StripKey and StripPrefix remove a storage's strip_prefix from keys
//     and key expressions; a key equal to the prefix becomes the empty key.
//   - KeyExpr wraps a validated string, for APIs and configuration that
//     want the proof of validity in the type.
//   - SplitSelector and Parameters read a selector "keyexpr?a=1;b=2".
//
// The tests run every row of testdata/keyexpr-vectors.tsv, a table of
// validity, canonization, intersection and inclusion cases gathered from
// Zenoh's own tests and documents (Rust, zenoh-pico and the bindings) and
// extended with derived rows (symmetric intersections, inclusion implying
// intersection, idempotent canonization). Where implementations disagree
// the table follows the Rust crate, except for canonizing long "$*" runs,
// where it follows the rewrite rules above.
package keyexpr
