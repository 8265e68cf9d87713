package engine

import (
	"fmt"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/transport"
)

// inprocConnect is a connecting socket's half of an inproc link, handed to
// the binding socket through the Ctx's registry.
type inprocConnect struct {
	s    *Socket
	p    *Pipe
	name string
}

func (ic *inprocConnect) stop() { ic.s.ctx.Inproc().Cancel(ic.name, ic) }

func (s *Socket) bindInproc(e transport.Endpoint) error {
	name := e.String()
	if err := s.ctx.Inproc().Bind(e.Path, func(h any) { s.acceptInproc(h.(*inprocConnect)) }); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.ctx.Inproc().Unbind(e.Path)
		return s.closedErr()
	}
	path := e.Path
	s.endpoints[name] = &endpoint{name: name, bind: true, cancel: func() { s.ctx.Inproc().Unbind(path) }}
	s.last = name
	s.mu.Unlock()
	s.event(socket.EventListening, name, "", nil)
	return nil
}

func (s *Socket) connectInproc(e transport.Endpoint) error {
	name := e.String()
	p := newInprocPipe(s, name)
	ic := &inprocConnect{s: s, p: p, name: e.Path}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.closedErr()
	}
	if _, dup := s.endpoints[name]; dup {
		s.mu.Unlock()
		return fmt.Errorf("%w: already connected to %s", socket.ErrInvalidInput, name)
	}
	s.endpoints[name] = &endpoint{name: name, pipe: p, inproc: ic}
	s.last = name
	s.mu.Unlock()
	if !s.opts.Immediate {
		s.attach(p)
	}
	s.ctx.Inproc().Connect(e.Path, ic)
	return nil
}

// acceptInproc pairs a connecting socket's pipe with a new pipe of ours.
// Runs on the goroutine of whichever of Bind and Connect came second.
func (s *Socket) acceptInproc(ic *inprocConnect) {
	name := "inproc://" + ic.name
	if !s.typ.accepts(ic.s.typ.Name) || !ic.s.typ.accepts(s.typ.Name) {
		err := fmt.Errorf("%w: incompatible socket type %s (a %s talks only to a %s)", socket.ErrHandshake, ic.s.typ.Name, s.typ.Name, s.typ.peerNames())
		s.event(socket.EventHandshakeFailed, name, "", err)
		ic.s.event(socket.EventHandshakeFailed, name, "", err)
		return
	}
	if s.isClosed() || ic.s.isClosed() {
		return
	}
	s.inprocUsed.Store(true)
	ic.s.inprocUsed.Store(true)
	cp := ic.p
	sp := newInprocPipe(s, name)
	linkInproc(sp, cp)
	s.attach(sp)
	moved := deliverInproc(sp, cp)
	ic.s.drained.broadcast() // cp's queue went over: no longer busy
	if moved {
		s.in.signal()
		s.in.ready.broadcast()
	}
	if !ic.s.isAttached(cp) {
		ic.s.attach(cp)
	}
	sp.setLive(true)
	cp.setLive(true)
	s.event(socket.EventHandshakeSucceeded, name, "", nil)
	ic.s.event(socket.EventHandshakeSucceeded, name, "", nil)
	if s.handler != nil {
		s.handler.PeerUp(sp)
	}
	if ic.s.handler != nil {
		ic.s.handler.PeerUp(cp)
	}
}

// newInprocPipe returns a pipe for one end of an inproc link: its
// incoming queue is an inbox (see inbox), unless the socket conflates,
// which keeps one message in the plain queue.
func newInprocPipe(s *Socket, name string) *Pipe {
	p := newPipe(s, name)
	if !s.opts.Conflate {
		p.box = newInbox(s)
	}
	return p
}

func (s *Socket) isAttached(p *Pipe) bool {
	s.idMu.RLock()
	defer s.idMu.RUnlock()
	return s.byID[p.id] == p
}

// detachInproc removes an inproc pipe whose peer socket closed.
func (s *Socket) detachInproc(p *Pipe) {
	p.setLive(false)
	s.detach(p)
	if s.handler != nil {
		s.handler.PeerDown(p, true)
	}
}
