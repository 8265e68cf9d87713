package socket

import (
	"errors"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/transport"
)

// Errors returned by sockets; test for them with errors.Is. They come in
// groups, by what went wrong.

// The socket could not go ahead: now, or any more.
var (
	// ErrWouldBlock: the call could not complete without blocking (TrySend,
	// TryRecv), or a send/recv timeout expired (libzmq's EAGAIN).
	ErrWouldBlock = errors.New("operation would block")
	// ErrClosed: the socket is closed.
	ErrClosed = errors.New("socket closed")
	// ErrInvalidCtx: the socket's Ctx was shut down (libzmq's ETERM).
	ErrInvalidCtx = errors.New("context shut down")
)

// The call asked for something the socket cannot do.
var (
	// ErrInvalidInput: a bad argument (endpoint, option, group, message).
	ErrInvalidInput = errors.New("invalid input")
	// ErrNotSupported: the socket type does not do that (send on a GATHER).
	ErrNotSupported = errors.New("operation not supported by this socket type")
	// ErrNotFound: disconnect or unbind of an endpoint that is not there.
	ErrNotFound = errors.New("endpoint not found")
	// ErrTooLarge: a message exceeds the maximum message size.
	ErrTooLarge = errors.New("message too large")
)

// A peer or a connection failed, in the order of a connection's life.
var (
	// ErrSocketLimit: the socket refused a connection over MaxConnections.
	ErrSocketLimit = errors.New("connection limit reached")
	// ErrHandshake: a security or ZMTP handshake failed; errors.As to a
	// *mechanism.HandshakeError tells why.
	ErrHandshake = mechanism.ErrHandshake
	// ErrProtocol: the peer broke ZMTP; the connection was closed.
	ErrProtocol = errors.New("protocol error")
	// ErrHeartbeatTimeout: the peer went silent past the heartbeat timeout.
	ErrHeartbeatTimeout = errors.New("heartbeat timeout")
	// ErrHostUnreachable: a SERVER (or a ROUTER with RouterMandatory) has
	// no peer with that routing id.
	ErrHostUnreachable = errors.New("host unreachable")
	// ErrState: the call breaks the socket type's send/receive order (a
	// REQ sending again before its reply, a REP replying before a
	// request; libzmq's EFSM).
	ErrState = errors.New("operation cannot be accomplished in current state")
)

// A bind could not have its address.
var (
	// ErrAddrInUse: a bind found its address taken.
	ErrAddrInUse = transport.ErrAddrInUse
	// ErrAddrNotAvailable: a bind named an address this machine lacks.
	ErrAddrNotAvailable = transport.ErrAddrNotAvailable
)

// SendError is returned by a send that did not take the message: it hands
// the message back so the caller can retry or reroute it. Unwrap gives the
// cause (ErrWouldBlock, ErrHostUnreachable, ErrClosed, ...).
type SendError struct {
	Msg Msg
	Err error
}

func (e *SendError) Error() string { return "send: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }
