package patterns

import (
	"context"

	"github.com/zmesh/zmesh/socket"
)

var (
	scatterType = socket.Type{Name: "SCATTER", Peer: "GATHER", DropIncoming: true, KeepDisconnected: true}
	gatherType  = socket.Type{Name: "GATHER", Peer: "SCATTER", KeepDisconnected: true}
)

// Scatter is a SCATTER socket (RFC 49): the sending end of a pipeline. It
// sends round-robin over its GATHER peers that have room, and blocks when
// none has; it never drops. It is safe for concurrent use.
type Scatter struct{ base }

// NewScatter returns a Scatter in ctx (socket.DefaultCtx() if nil).
func NewScatter(ctx *socket.Ctx, opts Options) (*Scatter, error) {
	s, err := socket.New(ctx, scatterType, opts, nil)
	if err != nil {
		return nil, err
	}
	return &Scatter{base{s}}, nil
}

// Send queues body for the next peer with room, blocking at the high-water
// mark. The socket owns body until it is written.
func (s *Scatter) Send(ctx context.Context, body []byte) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return s.s.SendLB(ctx, Msg{Body: body}, true)
}

// TrySend is Send without blocking (socket.ErrWouldBlock when no peer has
// room).
func (s *Scatter) TrySend(body []byte) error {
	return s.s.SendLB(context.Background(), Msg{Body: body}, false)
}

// Gather is a GATHER socket (RFC 49): the receiving end of a pipeline,
// fair-queued over its SCATTER peers. It is safe for concurrent use.
type Gather struct{ base }

// NewGather returns a Gather in ctx (socket.DefaultCtx() if nil).
func NewGather(ctx *socket.Ctx, opts Options) (*Gather, error) {
	s, err := socket.New(ctx, gatherType, opts, nil)
	if err != nil {
		return nil, err
	}
	return &Gather{base{s}}, nil
}

// Recv returns the next message from any peer.
func (g *Gather) Recv(ctx context.Context) (Msg, error) { return g.recv(ctx) }

// TryRecv returns a message if one is waiting, else socket.ErrWouldBlock.
func (g *Gather) TryRecv() (Msg, error) { return g.s.Recv(context.Background(), false) }
