package backend

import (
	"context"
	"errors"
	"fmt"
)

// The errors below are shared by every backend; test for them with
// errors.Is. Returned errors wrap them with the operation and the key or
// option involved.

// Errors about what the caller passed.
var (
	// ErrInvalidKey: the key cannot be stored by this backend (not valid
	// UTF-8, longer than MaxKeyLen, or beyond a backend's own limit).
	ErrInvalidKey = errors.New("backend: invalid key")
	// ErrInvalidEntry: the entry is malformed (zero timestamp, encoding
	// too long or not UTF-8).
	ErrInvalidEntry = errors.New("backend: invalid entry")
	// ErrInvalidInput: an argument no call can use, such as a nil
	// context.Context (pass context.Background() for none).
	ErrInvalidInput = errors.New("backend: invalid input")
	// ErrNilContext: a nil context.Context was given. It also matches
	// ErrInvalidInput.
	ErrNilContext = fmt.Errorf("%w: nil context.Context", ErrInvalidInput)
)

// Errors about the state of a storage.
var (
	// ErrReadOnly: the storage was opened read-only and refuses Apply and
	// Collect.
	ErrReadOnly = errors.New("backend: storage is read-only")
	// ErrClosed: the store or volume has been closed.
	ErrClosed = errors.New("backend: closed")
	// ErrInUse: the storage is already open, in this process or another.
	ErrInUse = errors.New("backend: storage already open")
)

// Errors of the storage medium.
var (
	// ErrBackend: the underlying medium failed (I/O error, S3 error). The
	// returned error also wraps the medium's own error, so errors.Is works
	// for both (for example fs.ErrPermission).
	ErrBackend = errors.New("backend: storage medium failed")
	// ErrCorrupt: stored data could not be decoded (bad header, checksum
	// mismatch). It also matches ErrBackend.
	ErrCorrupt = fmt.Errorf("%w: corrupt data", ErrBackend)
)

// Errors of configuration.
var (
	// ErrInvalidConfig: a volume or storage option is missing, unknown or
	// has the wrong type or value.
	ErrInvalidConfig = errors.New("backend: invalid configuration")
	// ErrUnknownKind: no volume kind is registered under that name.
	ErrUnknownKind = errors.New("backend: unknown volume kind")
)

// ErrStopScan may be returned by a Scan callback to end the scan early;
// Scan then returns nil.
var ErrStopScan = errors.New("backend: stop scan")

// Fail wraps err, a failure of the storage medium during op, so that the
// result matches both ErrBackend and err with errors.Is. It returns nil
// when err is nil. Context errors and errors already matching ErrBackend
// are only prefixed with op, so a cancelled operation does not look like a
// broken medium.
func Fail(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrBackend),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrBackend, err)
}

// CheckContext returns the error a call taking ctx fails with before it
// starts: ErrNilContext when ctx is nil, else ctx.Err(). The Store and
// Volume methods start with it (Close refuses only a nil ctx: it closes
// even under a done one), and NewVolume does before it calls a Factory, so
// a nil context is refused rather than mistaken for context.Background().
func CheckContext(ctx context.Context) error {
	if ctx == nil {
		return ErrNilContext
	}
	return ctx.Err()
}
