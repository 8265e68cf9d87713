package hlc

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// ID identifies the clock (in practice the server) that issued a
// timestamp. It breaks ties between timestamps with equal time and counter,
// so every clock must have its own: use NewID.
type ID [16]byte

// NewID returns a random ID (128 bits from crypto/rand).
func NewID() ID {
	var id ID
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(id[:])
	return id
}

// String returns the ID as 32 lower-case hex digits.
func (id ID) String() string {
	return hex.EncodeToString(id[:])
}

// IsZero reports whether id is all zero bytes (the ID of the zero Clock).
func (id ID) IsZero() bool {
	return id == ID{}
}

// ParseID parses 32 hex digits (either case) into an ID. Errors match
// ErrMalformed.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*len(id) {
		return ID{}, fmt.Errorf("%w: id %q: want %d hex digits, have %d", ErrMalformed, s, 2*len(id), len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return ID{}, fmt.Errorf("%w: id %q: %v", ErrMalformed, s, err)
	}
	return id, nil
}
