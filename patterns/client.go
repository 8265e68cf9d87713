package patterns

import (
	"context"
	"fmt"

	"github.com/zmesh/zmesh/internal/engine"
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

// NewClientFunc returns a Client in ctx (socket.DefaultCtx() if nil) that
// offers each message it receives to take before queueing it for Recv.
// take runs on the goroutine that received the message: its connection's
// reader, or an inproc peer's sending goroutine, in the order the peer
// sent them. If it returns true it has taken the message, which it then
// owns: Recv never sees it and it does not count against the receive
// high-water mark. take must return promptly and must not call into a
// socket (an inproc delivery may run it with an engine lock held); a take
// that blocks holds up every later message of its connection.
//
// A program that handles each reply as it arrives (routing it to the
// goroutine that waits for it, as package store's client does) saves the
// goroutine of its own that would wait in Recv, and the wake-up of that
// goroutine for every message. A nil take is refused with
// socket.ErrInvalidInput.
func NewClientFunc(ctx *socket.Ctx, opts Options, take func(Msg) bool) (*Client, error) {
	if take == nil {
		return nil, fmt.Errorf("%w: NewClientFunc needs a take function", socket.ErrInvalidInput)
	}
	s, err := engine.New(ctx, clientType, opts, taker(take))
	if err != nil {
		return nil, err
	}
	return &Client{sender{base{s}}}, nil
}

// taker is the engine handler of NewClientFunc's sockets: its interceptor
// offers each message to the function.
type taker func(Msg) bool

func (taker) PeerUp(*engine.Pipe)                {}
func (taker) PeerDown(*engine.Pipe, bool)        {}
func (taker) Command(*engine.Pipe, []byte) error { return nil }

// Intercept offers m to the function as Recv would return it: an inproc
// sender's Tail joined to its Body (a message left for Recv is queued so
// joined).
func (t taker) Intercept(_ *engine.Pipe, m *Msg) (bool, error) {
	if m.Tail != nil {
		*m = engine.Joined(*m)
	}
	return !t(*m), nil
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
