package socket

import "fmt"

// EventType says what happened on a socket's endpoint.
type EventType int

// Events reported on a socket's monitor channel.
const (
	EventListening          EventType = iota + 1 // a bind is listening
	EventBindFailed                              // a bind failed
	EventAccepted                                // a connection was accepted
	EventAcceptFailed                            // accept failed, or a connection was refused (limit)
	EventConnected                               // a connect's transport is up
	EventConnectFailed                           // a connect attempt failed
	EventConnectRetried                          // a reconnect attempt is starting
	EventConnectStopped                          // a connect gave up for good; Err says why
	EventHandshakeSucceeded                      // a connection's handshake completed
	EventHandshakeFailed                         // a handshake failed; Err says why
	EventDisconnected                            // a live connection ended; Err says why
	EventMessageDropped                          // a malformed datagram or message was dropped; Err says why
	EventPeerRejected                            // a connected peer was refused (a second PAIR peer, a ROUTER routing id in use); Err says why
)

var eventNames = map[EventType]string{
	EventListening:          "listening",
	EventBindFailed:         "bind-failed",
	EventAccepted:           "accepted",
	EventAcceptFailed:       "accept-failed",
	EventConnected:          "connected",
	EventConnectFailed:      "connect-failed",
	EventConnectRetried:     "connect-retried",
	EventConnectStopped:     "connect-stopped",
	EventHandshakeSucceeded: "handshake-succeeded",
	EventHandshakeFailed:    "handshake-failed",
	EventDisconnected:       "disconnected",
	EventMessageDropped:     "message-dropped",
	EventPeerRejected:       "peer-rejected",
}

func (t EventType) String() string {
	if n, ok := eventNames[t]; ok {
		return n
	}
	return fmt.Sprintf("event(%d)", int(t))
}

// Event is one thing that happened on the wire.
type Event struct {
	Type EventType
	// Endpoint is the socket's endpoint (bound or connected).
	Endpoint string
	// Remote is the peer's transport address, when known.
	Remote string
	// Err is the reason, for failures and disconnects.
	Err error
}

func (e Event) String() string {
	s := e.Type.String() + " " + e.Endpoint
	if e.Remote != "" {
		s += " (" + e.Remote + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
