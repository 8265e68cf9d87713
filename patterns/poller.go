package patterns

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/socket"
)

// PollEvents says what a Poller waits for on a socket, and what Wait found.
type PollEvents int

// The events a Poller reports (libzmq's ZMQ_POLLIN and ZMQ_POLLOUT).
const (
	// PollIn: a message can be received without blocking.
	PollIn PollEvents = 1 << iota
	// PollOut: a message can be sent without blocking (for the types
	// that never block on send, PUB, XPUB, XSUB and ROUTER without
	// RouterMandatory, always).
	PollOut
)

// Pollable is any zmesh socket (every type in this package).
type Pollable interface {
	engineSocket() *engine.Socket
}

func (b *base) engineSocket() *engine.Socket { return b.s }

// alwaysWritable is implemented by the types whose sends never block.
type alwaysWritable interface{ neverBlocks() bool }

func (*Pub) neverBlocks() bool      { return true }
func (*XPub) neverBlocks() bool     { return true }
func (*XSub) neverBlocks() bool     { return true }
func (r *Router) neverBlocks() bool { return !r.rt.mandatory }

// turnTaker is implemented by the types whose turn decides what they may
// do (REQ, REP): it narrows the engine's readiness.
type turnTaker interface {
	pollTurn(readable, writable bool) (bool, bool)
}

func (r *Req) pollTurn(readable, writable bool) (bool, bool) {
	w := r.waiting.Load()
	return readable && w, writable && (!w || r.relaxed)
}

func (r *Rep) pollTurn(readable, _ bool) (bool, bool) {
	o := r.owing.Load()
	return readable && !o, o
}

// PollItem is one socket a Poller found ready, and what it is ready for.
type PollItem struct {
	Socket Pollable
	Events PollEvents
}

// Poller waits on several sockets at once, for users coming from
// zmq_poll, with libzmq's rules of readiness (a REQ is writable only
// before a request, readable only after; a REP the other way round): Add the sockets with the events of interest, then Wait. Only
// readiness is reported; the caller then receives or sends (another
// goroutine may take the message first: a receive should then be a Try
// or bounded by a context). A Poller is safe for concurrent use.
type Poller struct {
	mu    sync.Mutex
	items []pollEntry
}

type pollEntry struct {
	s      Pollable
	events PollEvents
}

// NewPoller returns an empty Poller.
func NewPoller() *Poller { return &Poller{} }

// Add watches s for events (PollIn, PollOut or both); adding a socket
// again changes its events. It fails with socket.ErrInvalidInput for no
// events or a nil socket.
func (p *Poller) Add(s Pollable, events PollEvents) error {
	if s == nil || reflect.ValueOf(s).IsNil() || events&(PollIn|PollOut) == 0 || events&^(PollIn|PollOut) != 0 {
		return fmt.Errorf("%w: a poller needs a socket and PollIn and/or PollOut", socket.ErrInvalidInput)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.items {
		if p.items[i].s == s {
			p.items[i].events = events
			return nil
		}
	}
	p.items = append(p.items, pollEntry{s, events})
	return nil
}

// Remove stops watching s; socket.ErrNotFound if it was not watched.
func (p *Poller) Remove(s Pollable) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.items {
		if p.items[i].s == s {
			p.items = append(p.items[:i], p.items[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("%w: the socket is not in the poller", socket.ErrNotFound)
}

// Wait blocks until at least one socket is ready for one of its events,
// ctx ends, or one of the sockets is closed (socket.ErrClosed), and
// returns the ready sockets in the order they were added. With no socket
// it waits for ctx alone.
func (p *Poller) Wait(ctx context.Context) ([]PollItem, error) {
	if ctx == nil {
		return nil, engine.ErrNilContext
	}
	p.mu.Lock()
	items := append([]pollEntry(nil), p.items...)
	p.mu.Unlock()
	cases := make([]reflect.SelectCase, 0, 3*len(items)+1)
	for {
		cases = append(cases[:0], reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
		var ready []PollItem
		for _, it := range items {
			s := it.s.engineSocket()
			if s.IsClosed() {
				return nil, socket.ErrClosed
			}
			in, out, readable, writable := s.Readiness()
			if aw, ok := it.s.(alwaysWritable); ok && aw.neverBlocks() {
				writable = true
			}
			if tt, ok := it.s.(turnTaker); ok {
				readable, writable = tt.pollTurn(readable, writable)
			}
			var ev PollEvents
			if readable && it.events&PollIn != 0 {
				ev |= PollIn
			}
			if writable && it.events&PollOut != 0 {
				ev |= PollOut
			}
			if ev != 0 {
				ready = append(ready, PollItem{it.s, ev})
			}
			if it.events&PollIn != 0 {
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(in)})
			}
			if it.events&PollOut != 0 {
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(out)})
			}
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.Done())})
		}
		if len(ready) > 0 {
			return ready, nil
		}
		if chosen, _, _ := reflect.Select(cases); chosen == 0 {
			return nil, ctx.Err()
		}
	}
}
