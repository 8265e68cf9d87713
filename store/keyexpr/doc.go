// Package keyexpr implements Zenoh key expressions, the names of the zmesh
// storage layer (spec/storage.md §1).
//
// A key is a non-empty list of non-empty chunks joined by "/", such as
// "demo/example/test". A key expression names a set of keys: a chunk "*"
// stands for exactly one chunk, a chunk "**" for zero or more chunks, and
// "$*" inside a chunk for any run of characters ("ab$*" matches "ab" and
// "abc"). A chunk starting with "@" is verbatim: only that same chunk
// matches it, no wildcard stands in for it, so "@"-prefixed subspaces stay
// out of reach of "**".
//
// # Pieces
//
//   - Validate, ValidateKey and Canonize check and normalize strings.
//     Valid means canonical, so set equality is string equality.
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
// The tests run every row of testdata/keyexpr-vectors.tsv, the vectors
// gathered from Zenoh's own tests.
package keyexpr
