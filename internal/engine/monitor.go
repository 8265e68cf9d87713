package engine

import "github.com/zmesh/zmesh/socket"

// monitorBuffer is the monitor channel's capacity. socket.Events beyond it, while
// nobody reads, are dropped rather than slowing the socket down.
const monitorBuffer = 1024

// Monitor returns the socket's event channel. socket.Events are kept from the
// socket's creation: up to monitorBuffer (1024) unread ones; while that many
// wait, newer events are dropped. Every call returns the same channel; it is
// closed when the socket closes. (Until the first call the events wait in a
// slice that grows with them, so a socket nobody monitors does not carry a
// 1024-event channel.)
func (s *Socket) Monitor() <-chan socket.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.monClosed {
		c := make(chan socket.Event)
		close(c)
		return c
	}
	if s.monitor == nil {
		s.monitor = make(chan socket.Event, monitorBuffer)
		for _, e := range s.early {
			s.monitor <- e
		}
		s.early = nil
	}
	return s.monitor
}

func (s *Socket) event(t socket.EventType, endpoint, remote string, err error) {
	if t == socket.EventHandshakeFailed || t == socket.EventConnectStopped || (t == socket.EventDisconnected && err != nil) {
		s.logger().Debug(t.String(), "endpoint", endpoint, "remote", remote, "err", err)
	}
	e := socket.Event{Type: t, Endpoint: endpoint, Remote: remote, Err: err}
	s.mu.Lock()
	switch {
	case s.monClosed:
	case s.monitor != nil:
		select {
		case s.monitor <- e:
		default:
		}
	case len(s.early) < monitorBuffer:
		if s.early == nil {
			// Room for a connection's usual events (connected or
			// accepted, handshake, disconnected) in one allocation.
			s.early = make([]socket.Event, 0, 4)
		}
		s.early = append(s.early, e)
	}
	s.mu.Unlock()
}

// Report puts an event about pipe p's peer on the monitor (a socket type
// refusing a peer or dropping a malformed message says why).
func (s *Socket) Report(t socket.EventType, p *Pipe, err error) {
	remote := ""
	if pr := p.Peer(); pr != nil {
		remote = pr.Address
	}
	if t == socket.EventPeerRejected || t == socket.EventMessageDropped {
		s.logger().Debug(t.String(), "endpoint", p.endpoint, "remote", remote, "err", err)
	}
	s.event(t, p.endpoint, remote, err)
}
