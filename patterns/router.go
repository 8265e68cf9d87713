package patterns

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/socket"
)

// Router is a ROUTER socket (RFC 28): it talks to REQ, DEALER and ROUTER
// peers and knows each by its routing id. Every received message starts
// with its sender's routing id frame; a message sent starts with the
// routing id of the peer it goes to (that frame is not sent). A peer's
// routing id is the one it announced (Options.RoutingID on a zmesh REQ,
// DEALER or ROUTER, ZMQ_ROUTING_ID on libzmq), or, if it announced none, a
// 5-byte id the Router makes: 0x00 then a 32-bit counter, as libzmq.
//
// A send to an unknown routing id, or to a peer at its high-water mark, is
// dropped silently unless Options.RouterMandatory is set (then
// socket.ErrHostUnreachable, or blocking). A peer announcing an id another
// peer holds is ignored (socket.EventPeerRejected) unless
// Options.RouterHandover is set, in which case it takes the id over and
// the old peer is disconnected. It is safe for concurrent use.
type Router struct {
	base
	rt *routeTable
}

// routeTable is a Router's (and a Rep's) engine handler: routing ids to
// pipes and back.
type routeTable struct {
	s         *engine.Socket
	handover  bool
	probe     bool
	mandatory bool
	mu        sync.RWMutex
	byID      map[string]*engine.Pipe
	next      uint32
}

// routed is what a Router keeps on each pipe: its routing id, or that it
// was refused.
type routed struct {
	id       []byte
	rejected bool
	probed   atomic.Bool                 // ProbeRouter's message went out (once per pipe)
	evict    atomic.Pointer[engine.Pipe] // RouterHandover: the pipe this one took the id from, to disconnect
}

// NewRouter returns a Router in ctx (socket.DefaultCtx() if nil).
func NewRouter(ctx *socket.Ctx, opts Options) (*Router, error) {
	rt := newRouteTable(opts)
	return newClassic(ctx, routerType, withoutConflate(opts), rt, func(b base) *Router { return &Router{b, rt} })
}

func (rt *routeTable) attach(s *engine.Socket) { rt.s = s }

func newRouteTable(opts Options) *routeTable {
	return &routeTable{handover: opts.RouterHandover, probe: opts.ProbeRouter, mandatory: opts.RouterMandatory,
		byID: make(map[string]*engine.Pipe), next: rand.Uint32()}
}

// identify gives p its routing id, once (a connecting pipe keeps it
// across reconnects, as libzmq: the peer is assumed to keep its id).
func (rt *routeTable) identify(p *engine.Pipe) *routed {
	if r, ok := p.Value().(*routed); ok {
		return r
	}
	announced := identity(p)
	rt.mu.Lock()
	if r, ok := p.Value().(*routed); ok { // identified meanwhile
		rt.mu.Unlock()
		return r
	}
	r := &routed{}
	var old *engine.Pipe
	switch {
	case announced == nil:
		r.id = rt.generate()
	case rt.byID[string(announced)] != nil && rt.byID[string(announced)] != p && !rt.handover:
		r.rejected = true
	default:
		old = rt.byID[string(announced)]
		r.id = announced
	}
	if old != nil && old != p {
		// Handover: the old pipe is renamed, then disconnected.
		old.SetValue(&routed{id: rt.generate()})
	}
	if r.id != nil {
		rt.byID[string(r.id)] = p
	}
	p.SetValue(r)
	rt.mu.Unlock()
	if old != nil && old != p {
		// Disconnected by PeerUp: identify may run in an interceptor,
		// under another socket's pipe lock, where Kick must not be called.
		r.evict.Store(old)
	}
	return r
}

// identity is the routing id p's peer announced, nil if none.
func identity(p *engine.Pipe) []byte {
	if peer := p.Peer(); peer != nil {
		if v, ok := peer.Metadata.Get("Identity"); ok && v != "" {
			return []byte(v)
		}
	}
	return nil
}

// generate makes a fresh 5-byte id. rt.mu must be held.
func (rt *routeTable) generate() []byte {
	for {
		rt.next++
		id := binary.BigEndian.AppendUint32([]byte{0}, rt.next)
		if rt.byID[string(id)] == nil {
			return id
		}
	}
}

// lookup returns the pipe of routing id id, or nil.
func (rt *routeTable) lookup(id []byte) *engine.Pipe {
	rt.mu.RLock()
	p := rt.byID[string(id)]
	rt.mu.RUnlock()
	return p
}

// PeerUp implements engine.Handler.
func (rt *routeTable) PeerUp(p *engine.Pipe) {
	if r, ok := p.Value().(*routed); ok && r.rejected {
		p.SetValue(nil) // a connecting pipe refused before: try its id again
	}
	r := rt.identify(p)
	if r.rejected {
		rt.s.Report(socket.EventPeerRejected, p, fmt.Errorf("routing id %q is in use by another peer (RouterHandover is off)", identity(p)))
	}
	if old := r.evict.Swap(nil); old != nil {
		_ = rt.s.Kick(old.ID())
	}
	if !r.rejected && rt.probe && !r.probed.Swap(true) {
		_, _ = p.TrySend(Msg{Body: []byte{}})
	}
}

// PeerDown implements engine.Handler.
func (rt *routeTable) PeerDown(p *engine.Pipe, detached bool) {
	if !detached {
		return
	}
	r, ok := p.Value().(*routed)
	if !ok || r.id == nil {
		return
	}
	rt.mu.Lock()
	if rt.byID[string(r.id)] == p {
		delete(rt.byID, string(r.id))
	}
	rt.mu.Unlock()
}

// Command implements engine.Handler.
func (rt *routeTable) Command(*engine.Pipe, []byte) error { return nil }

// Intercept prepends the sender's routing id frame, and drops what a
// rejected peer sends.
func (rt *routeTable) Intercept(p *engine.Pipe, m *Msg) (bool, error) {
	r := rt.identify(p)
	if r.rejected {
		return false, nil
	}
	frames := make([][]byte, 0, 1+max(len(m.Frames), 1))
	frames = append(frames, r.id)
	m.Frames = append(frames, msgFrames(m)...)
	m.Body = nil
	return true, nil
}

// SendFrames sends frames[1:] to the peer whose routing id is frames[0].
// An unknown id, or a peer at its high-water mark, drops the message
// silently, unless Options.RouterMandatory is set: then an unknown id
// fails with socket.ErrHostUnreachable and a full peer blocks until it
// has room, ctx ends or the send timeout expires. A lone routing id frame
// is ignored.
func (r *Router) SendFrames(ctx context.Context, frames ...[]byte) error {
	return r.route(ctx, frames, true)
}

// TrySendFrames is SendFrames without blocking: with RouterMandatory a
// full peer fails with socket.ErrWouldBlock.
func (r *Router) TrySendFrames(frames ...[]byte) error {
	return r.route(context.Background(), frames, false)
}

func (r *Router) route(ctx context.Context, frames [][]byte, block bool) error {
	if ctx == nil {
		return &socket.SendError{Err: engine.ErrNilContext}
	}
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	if r.s.IsClosed() {
		return &socket.SendError{Err: socket.ErrClosed}
	}
	if len(frames) == 1 {
		return nil
	}
	m := framesMsg(frames[1:])
	p := r.rt.lookup(frames[0])
	if p == nil {
		if r.rt.mandatory {
			return &socket.SendError{Msg: m, Err: fmt.Errorf("%w: no peer with routing id %q", socket.ErrHostUnreachable, frames[0])}
		}
		return nil
	}
	ok, err := p.TrySend(m)
	switch {
	case err != nil && r.rt.mandatory:
		return &socket.SendError{Msg: m, Err: err}
	case ok || err != nil || !r.rt.mandatory:
		return nil
	case !block:
		return &socket.SendError{Msg: m, Err: socket.ErrWouldBlock}
	}
	if err := r.s.WaitSend(ctx, func() (bool, error) { return p.TrySend(m) }); err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	return nil
}

// RecvFrames returns the next message, its sender's routing id first.
func (r *Router) RecvFrames(ctx context.Context) ([][]byte, error) { return r.recvFrames(ctx) }

// TryRecvFrames returns a message if one is waiting, else
// socket.ErrWouldBlock.
func (r *Router) TryRecvFrames() ([][]byte, error) { return r.tryRecvFrames() }
