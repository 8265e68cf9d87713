package hlc

import "errors"

// Errors returned by this package; test for them with errors.Is. The
// returned errors wrap these with details (which field, how far off).
var (
	// ErrMalformed: a timestamp or ID in text or binary form could not be
	// parsed or decoded.
	ErrMalformed = errors.New("hlc: malformed timestamp")
	// ErrDrift: Clock.Update was given a timestamp further in the future
	// than the clock's maximum drift allows.
	ErrDrift = errors.New("hlc: timestamp too far in the future")
)
