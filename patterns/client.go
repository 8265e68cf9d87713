package patterns

import (
	"context"

	"github.com/zmesh/zmesh/socket"
)

// Client is a CLIENT socket (RFC 41): it talks to SERVER sockets, sending
// round-robin over its peers and receiving fair-queued from them. It is safe
// for concurrent use by many goroutines.
type Client struct{ sender }

// NewClient returns a Client in ctx (socket.DefaultCtx() if nil).
func NewClient(ctx *socket.Ctx, opts Options) (*Client, error) {
	return newSocket(ctx, clientType, opts, func(b base) *Client { return &Client{sender{b}} })
}

// SendConcat is Send of one message whose body is head followed by tail,
// without joining them first: a caller that frames a large value with a
// small header of its own saves copying the value. The peer receives one
// ordinary message. The socket owns both slices until they are written.
func (c *Client) SendConcat(ctx context.Context, head, tail []byte) error {
	return c.send(ctx, Msg{Body: head, Tail: tail})
}

// Recv returns the next message from any peer. A nil ctx fails with
// socket.ErrInvalidInput.
func (c *Client) Recv(ctx context.Context) (Msg, error) { return c.recv(ctx) }

// TryRecv returns a message if one is waiting, else socket.ErrWouldBlock.
func (c *Client) TryRecv() (Msg, error) { return c.tryRecv() }
