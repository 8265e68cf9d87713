package zmq4

import (
	"errors"
	"fmt"
)

// SocketType is a ZeroMQ socket type, named as on the wire.
type SocketType string

// The socket types, as zmq4 names them.
const (
	Pair   SocketType = "PAIR"   // a ZMQ_PAIR socket
	Pub    SocketType = "PUB"    // a ZMQ_PUB socket
	Sub    SocketType = "SUB"    // a ZMQ_SUB socket
	Req    SocketType = "REQ"    // a ZMQ_REQ socket
	Rep    SocketType = "REP"    // a ZMQ_REP socket
	Dealer SocketType = "DEALER" // a ZMQ_DEALER socket
	Router SocketType = "ROUTER" // a ZMQ_ROUTER socket
	Pull   SocketType = "PULL"   // a ZMQ_PULL socket
	Push   SocketType = "PUSH"   // a ZMQ_PUSH socket
	XPub   SocketType = "XPUB"   // a ZMQ_XPUB socket
	XSub   SocketType = "XSUB"   // a ZMQ_XSUB socket
)

// peers lists each type's valid peers (ZMTP 3, RFC 23).
var peers = map[SocketType][]SocketType{
	Pair:   {Pair},
	Pub:    {Sub, XSub},
	Sub:    {Pub, XPub},
	Req:    {Rep, Router},
	Rep:    {Req, Dealer},
	Dealer: {Rep, Dealer, Router},
	Router: {Req, Dealer, Router},
	Pull:   {Push},
	Push:   {Pull},
	XPub:   {Sub, XSub},
	XSub:   {Pub, XPub},
}

// IsCompatible reports whether a socket of this type may talk to peer.
func (sck SocketType) IsCompatible(peer SocketType) bool {
	for _, p := range peers[sck] {
		if p == peer {
			return true
		}
	}
	return false
}

// SocketIdentity is a socket's routing id (ZMQ_ROUTING_ID), 1 to 255 bytes.
type SocketIdentity []byte

// String returns the identity as text, or "<empty>".
func (id SocketIdentity) String() string {
	if len(id) == 0 {
		return "<empty>"
	}
	return string(id)
}

// The option names SetOption and GetOption take, as zmq4's.
const (
	// OptionSubscribe (SUB, XSUB) subscribes to a prefix: a string or []byte.
	OptionSubscribe = "SUBSCRIBE"
	// OptionUnsubscribe (SUB, XSUB) cancels a subscription likewise.
	OptionUnsubscribe = "UNSUBSCRIBE"
	// OptionHWM sets the send and receive high-water marks, in messages
	// (an int); it applies to a socket that has not listened or dialed yet.
	OptionHWM = "HWM"
)

// The errors zmq4 exports. ErrClosedConn is wrapped, with zmesh's
// socket.ErrClosed, by every operation on a closed bridge socket, and
// ErrBadProperty by SetOption and GetOption given a name or value they
// cannot use. ErrBadCmd and ErrBadFrame exist for source compatibility; the
// bridge does not return them (zmesh's engine reports malformed input on
// the socket's monitor instead).
var (
	ErrBadCmd      = errors.New("zmq4: invalid command name")
	ErrBadFrame    = errors.New("zmq4: invalid frame")
	ErrBadProperty = errors.New("zmq4: bad property")
	ErrClosedConn  = errors.New("zmq4: read/write on closed connection")
)

// UnknownTransportError is returned by Listen and Dial given an endpoint
// whose transport the bridge does not know (it knows tcp, ipc and inproc).
type UnknownTransportError struct {
	Name string
}

// Error implements error.
func (ute UnknownTransportError) Error() string {
	return fmt.Sprintf("zmq4: unknown transport %q", ute.Name)
}

// Topics is implemented by the bridge's SUB and XSUB sockets: their
// current subscriptions.
type Topics interface {
	// Topics returns the sorted list of prefixes subscribed to.
	Topics() []string
}
