package proto

import (
	"errors"
	"fmt"
)

// FormatError describes a message that could not be decoded or encoded:
// Decode and AppendBinary return their errors inside one, which says which
// field and where. It matches its Err (ErrMalformed, ErrVersion or
// ErrTooLarge, below) with errors.Is.
type FormatError struct {
	// Err is the kind of problem: ErrMalformed, ErrVersion or ErrTooLarge.
	Err error
	// Kind is the message kind, if known (0 before the kind byte is read).
	Kind Kind
	// Field names the field at fault ("version", "kind", "flags", "key
	// length", "timestamp", ...).
	Field string
	// Offset is the byte offset of that field in the message (-1 when
	// encoding).
	Offset int
	// Detail says what is wrong with it.
	Detail string
}

// The kinds of FormatError: the errors of the codec; test for them with
// errors.Is.
var (
	// ErrMalformed: the bytes are not a message of this protocol (too
	// short, a length running past the end, trailing bytes, an unknown kind,
	// reserved flag bits set, a field not allowed for the kind), or a
	// Message cannot be encoded for the same reasons.
	ErrMalformed = errors.New("malformed storage protocol message")
	// ErrVersion: the message's version byte is not Version.
	ErrVersion = errors.New("unsupported storage protocol version")
	// ErrTooLarge: a string field is longer than MaxStringLen and cannot be
	// encoded.
	ErrTooLarge = errors.New("storage protocol field too large")
)

// Error returns a message like "malformed storage protocol message: PUT:
// key length at offset 11: 300 bytes, only 20 left".
func (e *FormatError) Error() string {
	where := e.Field
	if e.Offset >= 0 {
		where = fmt.Sprintf("%s at offset %d", e.Field, e.Offset)
	}
	if e.Kind != 0 {
		return fmt.Sprintf("%v: %v: %s: %s", e.Err, e.Kind, where, e.Detail)
	}
	return fmt.Sprintf("%v: %s: %s", e.Err, where, e.Detail)
}

// Unwrap returns Err.
func (e *FormatError) Unwrap() error { return e.Err }

func malformed(k Kind, field string, off int, format string, args ...any) error {
	return &FormatError{Err: ErrMalformed, Kind: k, Field: field, Offset: off, Detail: fmt.Sprintf(format, args...)}
}
