package patterns

import (
	"context"

	"github.com/zmesh/zmesh/socket"
)

// Server is a SERVER socket (RFC 41): it talks to CLIENT sockets. Each
// received message carries its sender's routing id; Route sends to one peer
// by that id. It is safe for concurrent use by many goroutines.
type Server struct{ base }

// NewServer returns a Server in ctx (socket.DefaultCtx() if nil).
func NewServer(ctx *socket.Ctx, opts Options) (*Server, error) {
	return newSocket(ctx, serverType, opts, func(b base) *Server { return &Server{b} })
}

// Recv returns the next message from any peer; Msg.RoutingID says which.
// A nil ctx fails with socket.ErrInvalidInput.
func (s *Server) Recv(ctx context.Context) (Msg, error) { return s.recv(ctx) }

// TryRecv returns a message if one is waiting, else socket.ErrWouldBlock.
func (s *Server) TryRecv() (Msg, error) { return s.tryRecv() }

// Route sends body to the peer with routing id id. An unknown id (never
// seen, or a peer that has gone) fails at once with
// socket.ErrHostUnreachable; a peer at its high-water mark blocks until it
// has room, ctx ends or the send timeout expires. The socket owns body
// until it is written. A nil ctx fails with socket.ErrInvalidInput.
func (s *Server) Route(ctx context.Context, body []byte, id RoutingID) error {
	return s.s.SendTo(ctx, id, Msg{Body: body}, true)
}

// RouteConcat is Route of one message whose body is head followed by
// tail, without joining them first (see Client.SendConcat).
func (s *Server) RouteConcat(ctx context.Context, head, tail []byte, id RoutingID) error {
	return s.s.SendTo(ctx, id, Msg{Body: head, Tail: tail}, true)
}

// TryRoute is Route without blocking (socket.ErrWouldBlock when full).
func (s *Server) TryRoute(body []byte, id RoutingID) error {
	return s.s.SendTo(context.Background(), id, Msg{Body: body}, false)
}
