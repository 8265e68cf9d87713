package mechanism

import "errors"

// Errors a Codec returns after the handshake. Every one of them is fatal
// for the connection: the engine closes it without sending anything.
var (
	// ErrMalformed reports a protected frame whose layout is wrong (too
	// short, not a MESSAGE, chunk sizes that do not add up).
	ErrMalformed = errors.New("malformed protected frame")
	// ErrReplay reports a frame whose nonce is not greater than the last
	// one received: it was replayed or reordered.
	ErrReplay = errors.New("nonce not increasing (frame replayed or reordered)")
	// ErrDecrypt reports a frame that failed authentication: it was
	// tampered with, or sealed with another key.
	ErrDecrypt = errors.New("frame failed authentication")
	// ErrNonceExhausted reports that a direction used up its 64-bit nonce
	// space; the connection must be re-established.
	ErrNonceExhausted = errors.New("nonce space exhausted")
)

// ErrInvalidConfig reports a mechanism configured so it cannot work (a
// PLAIN user name over 255 bytes, properties too large for a command, ...).
// Key problems match ErrInvalidKey instead.
var ErrInvalidConfig = errors.New("invalid mechanism configuration")
