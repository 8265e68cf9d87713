package patterns

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/socket"
)

// The classic types' wire rules: each talks to the types ZMTP 3 (RFC 23
// and 37) lists as its peers, with multipart messages.
var (
	reqType    = classic("REQ", true, "REP", "ROUTER")
	repType    = classic("REP", false, "REQ", "DEALER")
	dealerType = classic("DEALER", true, "REP", "DEALER", "ROUTER")
	routerType = classic("ROUTER", true, "REQ", "DEALER", "ROUTER")
	pubType    = classic("PUB", false, "SUB", "XSUB")
	xpubType   = classic("XPUB", false, "SUB", "XSUB")
	subType    = classic("SUB", false, "PUB", "XPUB")
	xsubType   = classic("XSUB", false, "PUB", "XPUB")
	pushType   = classic("PUSH", false, "PULL")
	pullType   = classic("PULL", false, "PUSH")
	pairType   = classic("PAIR", false, "PAIR")
)

func init() {
	for _, t := range []*engine.Type{&dealerType, &subType, &pubType, &reqType} {
		t.DupConnect = true
	}
	pubType.SubCommands = true
	xpubType.SubCommands = true
	pushType.DropIncoming = true
}

func classic(name string, identity bool, peers ...string) engine.Type {
	return engine.Type{Name: name, Peer: peers[0], Peers: peers, Multipart: true,
		SendIdentity: identity, KeepDisconnected: true}
}

// errNoFrames is what a send of no frames at all returns.
var errNoFrames = fmt.Errorf("%w: a message needs at least one frame", socket.ErrInvalidInput)

// framesMsg makes the message to send of frames: a one-frame message
// travels as a Body, a longer one as Frames. The frames' bytes are not
// copied; the list of them is, so that a caller's variadic list does not
// escape (a one-frame send then allocates nothing).
func framesMsg(frames [][]byte) Msg {
	if len(frames) == 1 {
		b := frames[0]
		if b == nil {
			b = []byte{}
		}
		return Msg{Body: b}
	}
	return Msg{Frames: append(make([][]byte, 0, len(frames)), frames...)}
}

// msgFrames returns a received message's frames.
func msgFrames(m *Msg) [][]byte {
	if m.Frames != nil {
		return m.Frames
	}
	return [][]byte{m.Body}
}

// firstFrame returns a message's first frame without allocating.
func firstFrame(m *Msg) []byte {
	if m.Frames != nil {
		if len(m.Frames) == 0 {
			return nil
		}
		return m.Frames[0]
	}
	return m.Body
}

// withoutConflate clears Options.Conflate for the types it does not apply
// to (as libzmq ignores ZMQ_CONFLATE on them).
func withoutConflate(o Options) Options {
	o.Conflate = false
	return o
}

// newClassic makes a classic socket whose engine handler is h (may be
// nil; if it has an attach method, it is given the engine socket before
// the socket can connect): wrap builds the type around its base.
func newClassic[T any](ctx *socket.Ctx, typ engine.Type, opts Options, h engine.Handler, wrap func(base) *T) (*T, error) {
	s, err := engine.New(ctx, typ, opts, h)
	if err != nil {
		return nil, err
	}
	if a, ok := h.(interface{ attach(*engine.Socket) }); ok {
		a.attach(s)
	}
	return wrap(base{s}), nil
}

// recvFrames is the fair-queued receive of the classic types.
func (b *base) recvFrames(ctx context.Context) ([][]byte, error) {
	m, err := b.s.Recv(ctx, true)
	if err != nil {
		return nil, err
	}
	return msgFrames(&m), nil
}

// tryRecvFrames is recvFrames without blocking (socket.ErrWouldBlock).
func (b *base) tryRecvFrames() ([][]byte, error) {
	m, err := b.s.Recv(context.Background(), false)
	if err != nil {
		return nil, err
	}
	return msgFrames(&m), nil
}

// sendLB sends frames round-robin, blocking at the high-water mark.
func (b *base) sendLB(ctx context.Context, frames [][]byte) error {
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	return b.s.SendLB(ctx, framesMsg(frames), true)
}

// prober is the handler of the types that may send ZMQ_PROBE_ROUTER's
// empty message to each new pipe (DEALER, and through embedding, REQ).
type prober struct{ on bool }

// probed marks a pipe that got its probe (it is sent once per pipe, so a
// connecting pipe gets it on its first connection only, as libzmq).
type probed struct{}

// PeerUp implements engine.Handler.
func (h *prober) PeerUp(p *engine.Pipe) {
	if h.on && p.Value() == nil {
		p.SetValue(probed{})
		_, _ = p.TrySend(Msg{Body: []byte{}})
	}
}

// PeerDown implements engine.Handler.
func (h *prober) PeerDown(*engine.Pipe, bool) {}

// Command implements engine.Handler.
func (h *prober) Command(*engine.Pipe, []byte) error { return nil }

// Push is a PUSH socket (RFC 30): the sending end of a pipeline. It sends
// each message to the next PULL peer with room, round-robin, and blocks
// when none has (it never drops). It is safe for concurrent use.
type Push struct{ base }

// NewPush returns a Push in ctx (socket.DefaultCtx() if nil).
func NewPush(ctx *socket.Ctx, opts Options) (*Push, error) {
	return newClassic(ctx, pushType, withoutConflate(opts), nil, func(b base) *Push { return &Push{b} })
}

// SendFrames sends one message of the given frames (one frame: a
// single-part message) to the next peer with room, blocking at the
// high-water mark until there is room, ctx ends or the send timeout
// expires. The socket owns the frames until they are written. On failure
// the error is a *socket.SendError.
func (s *Push) SendFrames(ctx context.Context, frames ...[]byte) error { return s.sendLB(ctx, frames) }

// TrySendFrames is SendFrames without blocking (socket.ErrWouldBlock).
func (s *Push) TrySendFrames(frames ...[]byte) error {
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	return s.trySend(framesMsg(frames))
}

// Pull is a PULL socket (RFC 30): the receiving end of a pipeline,
// fair-queued over its PUSH peers. It is safe for concurrent use.
type Pull struct{ base }

// NewPull returns a Pull in ctx (socket.DefaultCtx() if nil).
func NewPull(ctx *socket.Ctx, opts Options) (*Pull, error) {
	return newClassic(ctx, pullType, opts, nil, func(b base) *Pull { return &Pull{b} })
}

// RecvFrames returns the next message's frames, from any peer. A nil ctx
// fails with socket.ErrInvalidInput.
func (s *Pull) RecvFrames(ctx context.Context) ([][]byte, error) { return s.recvFrames(ctx) }

// TryRecvFrames returns a message if one is waiting, else
// socket.ErrWouldBlock.
func (s *Pull) TryRecvFrames() ([][]byte, error) { return s.tryRecvFrames() }

// Dealer is a DEALER socket (RFC 28): it sends round-robin over its peers
// (REP, DEALER or ROUTER), blocking when none has room, and receives
// fair-queued from them, changing no envelope: to talk to a REP, send the
// empty delimiter frame first yourself. It is safe for concurrent use.
type Dealer struct{ base }

// NewDealer returns a Dealer in ctx (socket.DefaultCtx() if nil).
func NewDealer(ctx *socket.Ctx, opts Options) (*Dealer, error) {
	return newClassic(ctx, dealerType, opts, &prober{on: opts.ProbeRouter}, func(b base) *Dealer { return &Dealer{b} })
}

// SendFrames sends one message round-robin, as Push.SendFrames.
func (s *Dealer) SendFrames(ctx context.Context, frames ...[]byte) error {
	return s.sendLB(ctx, frames)
}

// RecvFrames returns the next message's frames, from any peer.
func (s *Dealer) RecvFrames(ctx context.Context) ([][]byte, error) { return s.recvFrames(ctx) }

// TryRecvFrames returns a message if one is waiting, else
// socket.ErrWouldBlock.
func (s *Dealer) TryRecvFrames() ([][]byte, error) { return s.tryRecvFrames() }

// TrySendFrames is SendFrames without blocking (socket.ErrWouldBlock).
func (s *Dealer) TrySendFrames(frames ...[]byte) error {
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	return s.trySend(framesMsg(frames))
}

// Pair is a PAIR socket (RFC 31): it talks to exactly one PAIR peer.
// A second peer that connects completes its handshake and is then
// ignored (libzmq's behaviour), with socket.EventPeerRejected on the
// monitor; once the first peer is gone for good, the next one to connect
// takes its place. Sends block while there is no peer or its queue is
// full. It is safe for concurrent use.
type Pair struct {
	base
	h *pairPeer
}

// pairPeer is a Pair's handler: which pipe is the peer.
type pairPeer struct {
	s      *engine.Socket
	mu     sync.Mutex
	active *engine.Pipe
}

// NewPair returns a Pair in ctx (socket.DefaultCtx() if nil).
func NewPair(ctx *socket.Ctx, opts Options) (*Pair, error) {
	h := &pairPeer{}
	return newClassic(ctx, pairType, withoutConflate(opts), h, func(b base) *Pair { return &Pair{b, h} })
}

func (h *pairPeer) attach(s *engine.Socket) { h.s = s }

// PeerUp implements engine.Handler.
func (h *pairPeer) PeerUp(p *engine.Pipe) {
	h.mu.Lock()
	ok := h.active == nil || h.active == p
	if ok {
		h.active = p
	}
	h.mu.Unlock()
	if !ok {
		h.s.Report(socket.EventPeerRejected, p, errors.New("a PAIR socket has a peer already"))
		return
	}
	h.s.Wake() // a send waiting for a peer looks again

}

// PeerDown implements engine.Handler.
func (h *pairPeer) PeerDown(p *engine.Pipe, detached bool) {
	h.mu.Lock()
	if detached && h.active == p {
		h.active = nil
	}
	h.mu.Unlock()
}

// Command implements engine.Handler.
func (h *pairPeer) Command(*engine.Pipe, []byte) error { return nil }

// Intercept drops what a rejected peer sends.
func (h *pairPeer) Intercept(p *engine.Pipe, _ *Msg) (bool, error) {
	h.mu.Lock()
	ok := h.active == p
	h.mu.Unlock()
	return ok, nil
}

func (h *pairPeer) peer() *engine.Pipe {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.active
}

// SendFrames sends one message to the peer, blocking while there is none
// or its queue is full, until ctx ends or the send timeout expires.
func (s *Pair) SendFrames(ctx context.Context, frames ...[]byte) error {
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	m := framesMsg(frames)
	try := func() (bool, error) {
		p := s.h.peer()
		if p == nil {
			return false, nil
		}
		ok, err := p.TrySend(m)
		if errors.Is(err, socket.ErrHostUnreachable) {
			return false, nil // gone: wait for the next one
		}
		return ok, err
	}
	if ok, err := try(); ok || err != nil {
		if err != nil {
			return &socket.SendError{Msg: m, Err: err}
		}
		return nil
	}
	if s.s.IsClosed() {
		return &socket.SendError{Msg: m, Err: socket.ErrClosed}
	}
	if err := s.s.WaitSend(ctx, try); err != nil {
		return &socket.SendError{Msg: m, Err: err}
	}
	return nil
}

// RecvFrames returns the next message's frames from the peer.
func (s *Pair) RecvFrames(ctx context.Context) ([][]byte, error) { return s.recvFrames(ctx) }

// TryRecvFrames returns a message if one is waiting, else
// socket.ErrWouldBlock.
func (s *Pair) TryRecvFrames() ([][]byte, error) { return s.tryRecvFrames() }
