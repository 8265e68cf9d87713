package patterns

import (
	"context"

	"github.com/zmesh/zmesh/socket"
)

// Scatter is a SCATTER socket (RFC 49): the sending end of a pipeline. It
// sends round-robin over its GATHER peers that have room, and blocks when
// none has; it never drops. It is safe for concurrent use.
type Scatter struct{ sender }

// NewScatter returns a Scatter in ctx (socket.DefaultCtx() if nil).
func NewScatter(ctx *socket.Ctx, opts Options) (*Scatter, error) {
	return newSocket(ctx, scatterType, opts, func(b base) *Scatter { return &Scatter{sender{b}} })
}

// Gather is a GATHER socket (RFC 49): the receiving end of a pipeline,
// fair-queued over its SCATTER peers. It is safe for concurrent use.
type Gather struct{ base }

// NewGather returns a Gather in ctx (socket.DefaultCtx() if nil).
func NewGather(ctx *socket.Ctx, opts Options) (*Gather, error) {
	return newSocket(ctx, gatherType, opts, func(b base) *Gather { return &Gather{b} })
}

// Recv returns the next message from any peer. A nil ctx fails with
// socket.ErrInvalidInput.
func (g *Gather) Recv(ctx context.Context) (Msg, error) { return g.recv(ctx) }

// TryRecv returns a message if one is waiting, else socket.ErrWouldBlock.
func (g *Gather) TryRecv() (Msg, error) { return g.tryRecv() }
