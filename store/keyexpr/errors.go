package keyexpr

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrInvalid matches every error about a malformed key expression or key.
// The *Error it comes in also matches the rule that was broken (one of the
// Err... values below) and says where.
var ErrInvalid = errors.New("invalid key expression")

// The rules a key expression must follow (see Grammar in the package doc). Each
// *Error matches exactly one of them with errors.Is, as well as ErrInvalid.
var (
	// ErrEmptyChunk: the empty string, a leading or trailing "/", or "//".
	ErrEmptyChunk = errors.New("empty chunk")
	// ErrStarInChunk: a "*" that is neither a whole "*" or "**" chunk nor
	// right after a "$" (as in "a*", "***", "**$*").
	ErrStarInChunk = errors.New(`"*" inside a chunk (only "*", "**" or "$*" are allowed)`)
	// ErrLoneDollarStar: a chunk that is only "$*"; its canonical form is "*".
	ErrLoneDollarStar = errors.New(`chunk "$*" must be written "*"`)
	// ErrUnboundDollar: a "$" not followed by "*".
	ErrUnboundDollar = errors.New(`"$" not followed by "*"`)
	// ErrDollarAfterDollar: "$*" followed by "$" (as in "$*$*", which is
	// written "$*").
	ErrDollarAfterDollar = errors.New(`"$*" followed by "$"`)
	// ErrSingleStarAfterDoubleStar: "**/*", whose canonical form is "*/**".
	ErrSingleStarAfterDoubleStar = errors.New(`"**/*" must be written "*/**"`)
	// ErrDoubleStarAfterDoubleStar: "**/**", whose canonical form is "**".
	ErrDoubleStarAfterDoubleStar = errors.New(`"**/**" must be written "**"`)
	// ErrSharpOrQMark: "#" or "?" anywhere (a "?" starts a selector's
	// parameters: use SplitSelector first).
	ErrSharpOrQMark = errors.New(`"#" or "?" in a key expression`)
	// ErrInvalidUTF8: the expression is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrWild: a wildcard where a plain key is required (ValidateKey).
	ErrWild = errors.New("wildcard in a key")
)

// Error describes a malformed key expression: which rule it breaks and at
// which byte offset. It matches ErrInvalid and its Rule with errors.Is.
type Error struct {
	// Expr is the expression as given.
	Expr string
	// Offset is the byte offset in Expr where the problem starts.
	Offset int
	// Rule is the rule broken: ErrEmptyChunk, ErrStarInChunk, ...
	Rule error
}

// maxQuoted bounds how much of a long expression an error message repeats.
const maxQuoted = 80

// Error returns a message like
// `invalid key expression "a//b": empty chunk at byte 2`.
func (e *Error) Error() string {
	q := e.Expr
	if len(q) > maxQuoted {
		q = q[:maxQuoted] + "..."
	}
	return fmt.Sprintf("%v %s: %v at byte %d", ErrInvalid, strconv.Quote(q), e.Rule, e.Offset)
}

// Unwrap returns ErrInvalid and the rule, so errors.Is matches both.
func (e *Error) Unwrap() []error { return []error{ErrInvalid, e.Rule} }
