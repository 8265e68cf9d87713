package patterns

import (
	"context"

	"github.com/zmesh/zmesh/socket"
)

// Msg is a message; see socket.Msg.
type Msg = socket.Msg

// Options configure a socket; see socket.Options.
type Options = socket.Options

// RoutingID identifies a SERVER's peer; see socket.RoutingID.
type RoutingID = socket.RoutingID

// base holds what every socket type does the same way: endpoints, the
// monitor, timeouts and closing.
type base struct {
	s *socket.Socket
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

// Monitor returns the channel of connection events (see socket.Event).
func (b *base) Monitor() <-chan socket.Event { return b.s.Monitor() }

// Close closes the socket after its linger period; blocked calls return
// socket.ErrClosed and no goroutine is left behind.
func (b *base) Close() error { return b.s.Close() }

// Socket gives access to the engine under the typed socket.
func (b *base) Socket() *socket.Socket { return b.s }

// recv is the fair-queued receive shared by the receiving types.
func (b *base) recv(ctx context.Context) (Msg, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return b.s.Recv(ctx, true)
}
