package engine

import (
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/socket"
)

// errTimeout is what an expired send or receive timeout returns: it matches
// socket.ErrWouldBlock (as libzmq's EAGAIN does) and reads as a timeout.
var errTimeout = &timeoutError{}

type timeoutError struct{}

func (*timeoutError) Error() string        { return "operation timed out" }
func (*timeoutError) Is(target error) bool { return target == socket.ErrWouldBlock }
func (*timeoutError) Timeout() bool        { return true }
func (*timeoutError) Temporary() bool      { return true }

// ErrNilContext is what a blocking call given a nil context.Context
// returns (inside a *socket.SendError for sends), as Go's own APIs refuse
// one. It matches socket.ErrInvalidInput.
var ErrNilContext = fmt.Errorf("%w: nil context.Context", socket.ErrInvalidInput)

// errPeerSentError marks the failure of a connection whose peer sent an
// ERROR command after the handshake; it wraps into socket.ErrProtocol.
var errPeerSentError = errors.New("peer sent ERROR")
