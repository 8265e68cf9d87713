package zmtp

import (
	"errors"
	"fmt"
)

// ErrProtocol is matched by every *ProtocolError: the bytes a peer sent
// break ZMTP.
var ErrProtocol = errors.New("protocol error")

// ErrTooLarge is matched by every *SizeError: a frame announced more bytes
// than the reader accepts.
var ErrTooLarge = errors.New("frame too large")

// ErrIllegal is returned by a Writer asked to write bytes that break ZMTP
// while its AllowIllegal is off.
var ErrIllegal = errors.New("illegal ZMTP write (set Writer.AllowIllegal to send it anyway)")

// ProtocolError says which rule of ZMTP the peer's bytes broke. It matches
// ErrProtocol.
type ProtocolError struct {
	// Msg says what was wrong, e.g. "reserved frame flag bits set (0x80)".
	Msg string
}

// protocolf returns a *ProtocolError.
func protocolf(format string, args ...any) *ProtocolError {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

func (e *ProtocolError) Error() string { return "protocol error: " + e.Msg }

// Is makes every ProtocolError match ErrProtocol.
func (e *ProtocolError) Is(target error) bool { return target == ErrProtocol }

// SizeError reports a frame whose announced size is over the reader's
// limit. It is returned from the header alone, before anything is
// allocated for the body. It matches ErrTooLarge.
type SizeError struct {
	Size uint64 // the size the peer announced
	Max  uint64 // the limit it broke
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("peer announced a %d-byte frame, the maximum message size is %d", e.Size, e.Max)
}

// Is makes every SizeError match ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// Printable returns b as text with every byte outside printable ASCII
// replaced by '?', so that names and reasons a peer chose cannot forge log
// lines or terminal escapes.
func Printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}
