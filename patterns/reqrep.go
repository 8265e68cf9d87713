package patterns

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/socket"
)

// Req is a REQ socket (RFC 28): it sends a request to one of its REP or
// ROUTER peers (round-robin over those with room) and then receives that
// peer's reply, strictly in turn: a second SendFrames before the reply
// fails with socket.ErrState unless Options.ReqRelaxed is set, as does
// RecvFrames with no request outstanding. The envelope (the empty
// delimiter frame, and with Options.ReqCorrelate a 4-byte request id
// before it) is added and removed here, as libzmq does; replies from other
// peers, or that do not echo the request id, are discarded. A peer that
// answers with a message lacking the delimiter breaks the protocol and
// its connection is closed. It is safe for concurrent use, though
// requests are one at a time by nature.
type Req struct {
	base
	relaxed, correlate bool

	mu       sync.Mutex
	awaiting bool
	waiting  atomic.Bool  // awaiting, read without mu (Poller)
	pipe     *engine.Pipe // where the outstanding request went
	reqID    uint32
	rr       uint32
}

// reqCheck is a Req's engine handler: it checks each reply's shape, and
// probes new pipes if asked to.
type reqCheck struct{ prober }

// NewReq returns a Req in ctx (socket.DefaultCtx() if nil).
func NewReq(ctx *socket.Ctx, opts Options) (*Req, error) {
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	h := &reqCheck{prober{on: opts.ProbeRouter}}
	return newClassic(ctx, reqType, withoutConflate(opts), h, func(b base) *Req {
		return &Req{base: b, relaxed: opts.ReqRelaxed, correlate: opts.ReqCorrelate, reqID: binary.LittleEndian.Uint32(seed[:])}
	})
}

// errNoDelimiter is how a REQ refuses a reply without its envelope.
var errNoDelimiter = errors.New("a reply without the empty delimiter frame")

// Intercept checks a reply's shape: [4-byte id]? "" frames..., as
// libzmq's REQ session does; any other closes the connection.
func (h *reqCheck) Intercept(_ *engine.Pipe, m *Msg) (bool, error) {
	f := m.Frames
	switch {
	case len(f) >= 2 && len(f[0]) == 0:
	case len(f) >= 3 && len(f[0]) == 4 && len(f[1]) == 0:
	default:
		return false, errNoDelimiter
	}
	return true, nil
}

// SendFrames sends one request: to the next peer with room, round-robin,
// blocking while none has (or there is none) until ctx ends or the send
// timeout expires. Replies still queued from before are discarded.
func (r *Req) SendFrames(ctx context.Context, frames ...[]byte) error {
	if ctx == nil {
		return &socket.SendError{Err: engine.ErrNilContext}
	}
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.awaiting && !r.relaxed {
		return &socket.SendError{Err: fmt.Errorf("%w: a REQ must receive the reply before its next request", socket.ErrState)}
	}
	for { // stale replies
		if _, err := r.s.Recv(context.Background(), false); err != nil {
			break
		}
	}
	id := r.reqID + 1
	env := make([][]byte, 0, 2+len(frames))
	if r.correlate {
		env = append(env, binary.LittleEndian.AppendUint32(nil, id))
	}
	env = append(env, []byte{})
	m := Msg{Frames: append(env, frames...)}
	var sent *engine.Pipe
	try := func() (bool, error) {
		pipes := r.s.Pipes()
		for i := range pipes {
			p := pipes[(int(r.rr)+i)%len(pipes)]
			if ok, err := p.TrySend(m); ok && err == nil {
				r.rr = uint32((int(r.rr) + i + 1) % len(pipes))
				sent = p
				return true, nil
			}
		}
		return false, nil
	}
	if ok, _ := try(); !ok {
		if r.s.IsClosed() {
			return &socket.SendError{Msg: m, Err: socket.ErrClosed}
		}
		if err := r.s.WaitSend(ctx, try); err != nil {
			return &socket.SendError{Msg: m, Err: err}
		}
	}
	r.reqID = id
	r.pipe = sent
	r.awaiting = true
	r.waiting.Store(true)
	return nil
}

// RecvFrames returns the reply to the outstanding request, without its
// envelope. It fails with socket.ErrState if no request is outstanding.
func (r *Req) RecvFrames(ctx context.Context) ([][]byte, error) {
	if ctx == nil {
		return nil, engine.ErrNilContext
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.awaiting {
		return nil, fmt.Errorf("%w: a REQ has no request outstanding", socket.ErrState)
	}
	for {
		m, err := r.s.Recv(ctx, true)
		if err != nil {
			return nil, err
		}
		// Only the peer asked answers, unless it has gone for good.
		if m.RoutingID != r.pipe.ID() && r.s.PipeByID(r.pipe.ID()) == r.pipe {
			continue
		}
		f := m.Frames
		if r.correlate {
			if len(f) < 3 || len(f[0]) != 4 || binary.LittleEndian.Uint32(f[0]) != r.reqID || len(f[1]) != 0 {
				continue
			}
			f = f[2:]
		} else {
			if len(f) < 2 || len(f[0]) != 0 {
				continue
			}
			f = f[1:]
		}
		r.awaiting = false
		r.waiting.Store(false)
		return f, nil
	}
}

// Rep is a REP socket (RFC 28): it receives a request from one of its REQ
// or DEALER peers (fair-queued) and sends the reply back to that peer,
// strictly in turn: SendFrames without a request received, or RecvFrames
// while a reply is owed, fails with socket.ErrState. The request's
// envelope (everything up to and including the first empty frame) is kept
// and put back on the reply; a request without an empty frame is dropped
// (socket.EventMessageDropped). A reply whose peer has gone or is at its
// high-water mark is dropped silently, as libzmq does. It is safe for
// concurrent use, though requests are served one at a time by nature.
type Rep struct {
	base
	mu    sync.Mutex
	owed  bool
	owing atomic.Bool // owed, read without mu (Poller)
	env   [][]byte
	from  socket.RoutingID
}

// NewRep returns a Rep in ctx (socket.DefaultCtx() if nil).
func NewRep(ctx *socket.Ctx, opts Options) (*Rep, error) {
	return newClassic(ctx, repType, withoutConflate(opts), nil, func(b base) *Rep { return &Rep{base: b} })
}

// RecvFrames returns the next request, without its envelope.
func (r *Rep) RecvFrames(ctx context.Context) ([][]byte, error) {
	if ctx == nil {
		return nil, engine.ErrNilContext
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.owed {
		return nil, fmt.Errorf("%w: a REP must reply before it receives the next request", socket.ErrState)
	}
	for {
		m, err := r.s.Recv(ctx, true)
		if err != nil {
			return nil, err
		}
		f := msgFrames(&m)
		i := 0
		for i < len(f) && len(f[i]) > 0 {
			i++
		}
		if i >= len(f)-1 { // no delimiter, or one with nothing after it (a probe)
			if p := r.s.PipeByID(m.RoutingID); p != nil {
				r.s.Report(socket.EventMessageDropped, p, fmt.Errorf("%w: a request without the empty delimiter frame", socket.ErrProtocol))
			}
			continue
		}
		r.env, r.from, r.owed = f[:i+1:i+1], m.RoutingID, true
		r.owing.Store(true)
		return f[i+1:], nil
	}
}

// SendFrames sends the reply to the request last received.
func (r *Rep) SendFrames(ctx context.Context, frames ...[]byte) error {
	if ctx == nil {
		return &socket.SendError{Err: engine.ErrNilContext}
	}
	if len(frames) == 0 {
		return &socket.SendError{Err: errNoFrames}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.owed {
		return &socket.SendError{Err: fmt.Errorf("%w: a REP replies only to a request it received", socket.ErrState)}
	}
	m := Msg{Frames: append(r.env, frames...)}
	r.owed, r.env = false, nil
	r.owing.Store(false)
	if p := r.s.PipeByID(r.from); p != nil {
		_, _ = p.TrySend(m)
	}
	return nil
}
