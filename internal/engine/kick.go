package engine

import (
	"errors"

	"github.com/zmesh/zmesh/socket"
)

// errKicked is why a connection ended when its socket's owner disconnected
// the peer (Kick); EventDisconnected carries it.
var errKicked = errors.New("peer disconnected by its socket's owner")

// Kick disconnects the peer whose pipe has routing id id, as a SERVER does
// to a peer that stopped reading. At once, before Kick returns: the
// messages queued for the peer are dropped (the writer's batch already
// taken goes with the connection), the routing id stops routing (sends to
// it fail with socket.ErrHostUnreachable, including sends blocked at its
// high-water mark, which are woken), and the connection is closed, which
// ends its reader and writer. Messages already received from the peer stay
// in the incoming queue.
//
// An accepted connection's pipe is removed for good (a CLIENT that
// reconnects gets a new routing id); a connecting pipe's queue is dropped
// and its link closed, then it reconnects as after any failure. An inproc
// peer is detached on both sides, as when either socket closes. An unknown
// id fails with socket.ErrHostUnreachable.
func (s *Socket) Kick(id socket.RoutingID) error {
	p := s.PipeByID(id)
	if p == nil {
		return socket.ErrHostUnreachable
	}
	if t := p.target.Load(); t != nil {
		// Both sides, as when either socket closes. Closing a pipe takes
		// its socket's fair-queue lock (Pipe.setClosed), under which the
		// peer's senders check it, so no delivery races the close.
		t.s.detachInproc(t)
		s.detachInproc(p)
		return nil
	}
	p.mu.Lock()
	c := p.conn
	p.mu.Unlock()
	s.mu.Lock()
	ep := s.endpoints[p.endpoint]
	connecting := ep != nil && ep.pipe == p
	s.mu.Unlock()
	if connecting {
		p.close() // up() reopens it on the next connection
	} else {
		// runLink detaches the pipe too when the connection ends; detach
		// does nothing the second time.
		s.detach(p)
	}
	if c != nil {
		c.fail(errKicked)
	}
	return nil
}
