package patterns

import (
	"context"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/socket"
)

// Msg is a message; see socket.Msg.
type Msg = socket.Msg

// Options configure a socket; see socket.Options.
type Options = socket.Options

// RoutingID identifies a SERVER's peer; see socket.RoutingID.
type RoutingID = socket.RoutingID

// Heartbeat configures PING/PONG liveness checks; see socket.Heartbeat.
// With Msg, Options and RoutingID it lets a program that only sends and
// receives import patterns alone.
type Heartbeat = socket.Heartbeat

// base holds what every socket type does the same way: endpoints, the
// monitor, timeouts and closing.
type base struct {
	s *engine.Socket
}

// newSocket returns a socket of a type made of base and nothing the engine
// needs a handler for (Client, Server, Scatter, Gather); wrap builds the
// type around its base.
func newSocket[T any](ctx *socket.Ctx, typ engine.Type, opts Options, wrap func(base) *T) (*T, error) {
	s, err := engine.New(ctx, typ, opts, nil)
	if err != nil {
		return nil, err
	}
	return wrap(base{s}), nil
}

// Bind listens on an endpoint such as "tcp://127.0.0.1:*",
// "ipc:///tmp/x.sock" or "inproc://name".
func (b *base) Bind(endpoint string) error { return b.s.Bind(endpoint) }

// Connect connects to an endpoint in the background; the socket reconnects
// by itself if the link drops.
func (b *base) Connect(endpoint string) error { return b.s.Connect(endpoint) }

// Unbind stops listening on an endpoint.
func (b *base) Unbind(endpoint string) error { return b.s.Unbind(endpoint) }

// Disconnect stops connecting to an endpoint and drops its link.
func (b *base) Disconnect(endpoint string) error { return b.s.Disconnect(endpoint) }

// LastEndpoint is the last bound or connected endpoint, with a wildcard
// port resolved.
func (b *base) LastEndpoint() (string, error) { return b.s.LastEndpoint() }

// Options returns the socket's options with every default filled in (the
// zero fields of the Options it was made with resolved to what they mean).
func (b *base) Options() Options { return b.s.Options() }

// Monitor returns the channel of connection events (see socket.Event).
func (b *base) Monitor() <-chan socket.Event { return b.s.Monitor() }

// Close closes the socket after its linger period; blocked calls return
// socket.ErrClosed and no goroutine is left behind.
func (b *base) Close() error { return b.s.Close() }

// recv is the fair-queued receive shared by the receiving types; a nil ctx
// fails with socket.ErrInvalidInput.
func (b *base) recv(ctx context.Context) (Msg, error) { return b.s.Recv(ctx, true) }

// tryRecv is recv without blocking.
func (b *base) tryRecv() (Msg, error) { return b.s.Recv(context.Background(), false) }

// send queues m on the next peer with room (round-robin), blocking at the
// high-water mark.
func (b *base) send(ctx context.Context, m Msg) error { return b.s.SendLB(ctx, m, true) }

// trySend is send without blocking.
func (b *base) trySend(m Msg) error { return b.s.SendLB(context.Background(), m, false) }

// sender is base with the round-robin sending of Client and Scatter.
type sender struct{ base }

// Send queues body for the next peer with room, round-robin, blocking at
// the high-water mark until there is room, ctx ends or the send timeout
// expires. The socket owns body until it is written: do not modify it
// afterwards. On failure the error is a *socket.SendError holding the
// message; a nil ctx fails with socket.ErrInvalidInput.
func (s *sender) Send(ctx context.Context, body []byte) error {
	return s.send(ctx, Msg{Body: body})
}

// TrySend is Send without blocking: at the high-water mark (or with no
// peer) it fails with socket.ErrWouldBlock.
func (s *sender) TrySend(body []byte) error { return s.trySend(Msg{Body: body}) }
