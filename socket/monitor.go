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
	EventConnectStopped                          // a connect gave up (protocol error): no more retries
	EventHandshakeSucceeded                      // a connection's handshake completed
	EventHandshakeFailed                         // a handshake failed; Err says why
	EventDisconnected                            // a live connection ended; Err says why
	EventMessageDropped                          // a malformed datagram was dropped; Err says why
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

// monitorBuffer is the monitor channel's capacity. Events beyond it, while
// nobody reads, are dropped rather than slowing the socket down.
const monitorBuffer = 1024

// Monitor returns the socket's event channel. Events are kept from the
// socket's creation: up to monitorBuffer (1024) unread ones; while that many
// wait, newer events are dropped. Every call returns the same channel; it is
// closed when the socket closes. (Until the first call the events wait in a
// slice that grows with them, so a socket nobody monitors does not carry a
// 1024-event channel.)
func (s *Socket) Monitor() <-chan Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.monClosed {
		c := make(chan Event)
		close(c)
		return c
	}
	if s.monitor == nil {
		s.monitor = make(chan Event, monitorBuffer)
		for _, e := range s.early {
			s.monitor <- e
		}
		s.early = nil
	}
	return s.monitor
}

func (s *Socket) event(t EventType, endpoint, remote string, err error) {
	if t == EventHandshakeFailed || t == EventConnectStopped || (t == EventDisconnected && err != nil) {
		s.log.Debug(t.String(), "endpoint", endpoint, "remote", remote, "err", err)
	}
	e := Event{Type: t, Endpoint: endpoint, Remote: remote, Err: err}
	s.mu.Lock()
	switch {
	case s.monClosed:
	case s.monitor != nil:
		select {
		case s.monitor <- e:
		default:
		}
	case len(s.early) < monitorBuffer:
		s.early = append(s.early, e)
	}
	s.mu.Unlock()
}
