package zmq4

// The bridge against the real go-zeromq/zmq4 over tcp, both ways, in this
// process (zmq4 panics only on draft types, which the bridge has none of).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	real "github.com/go-zeromq/zmq4"
)

// realSock adapts a real zmq4 socket to this package's Socket, so that the
// helpers of bridge_test.go drive both.
type realSock struct{ s real.Socket }

func (r realSock) Send(m Msg) error                { return r.s.Send(real.NewMsgFrom(m.Frames...)) }
func (r realSock) SendMulti(m Msg) error           { return r.s.SendMulti(real.NewMsgFrom(m.Frames...)) }
func (r realSock) Listen(ep string) error          { return r.s.Listen(ep) }
func (r realSock) Dial(ep string) error            { return r.s.Dial(ep) }
func (r realSock) Type() SocketType                { return SocketType(r.s.Type()) }
func (r realSock) Addr() net.Addr                  { return r.s.Addr() }
func (r realSock) GetOption(n string) (any, error) { return r.s.GetOption(n) }
func (r realSock) SetOption(n string, v any) error { return r.s.SetOption(n, v) }

// Close closes the real socket; zmq4's Close reports the connections its
// own reader goroutines closed first, which is no failure of the peer.
func (r realSock) Close() error {
	if err := r.s.Close(); !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func (r realSock) Recv() (Msg, error) {
	m, err := r.s.Recv()
	return Msg{Frames: m.Frames}, err
}

// interopCase is one pair of types: mk makes the two ends, of which the
// first listens, given which side is the bridge.
type interopCase struct {
	name string
	a, b func(ctx context.Context, bridge bool) Socket
	run  func(t *testing.T, a, b Socket)
}

func side(br func(context.Context, ...Option) Socket, rl func(context.Context, ...real.Option) real.Socket) func(context.Context, bool) Socket {
	return func(ctx context.Context, bridge bool) Socket {
		if bridge {
			return br(ctx)
		}
		return realSock{rl(ctx)}
	}
}

func TestBridgeInteropZMQ4(t *testing.T) {
	cases := []interopCase{
		{"rep-req", side(NewRep, real.NewRep), side(NewReq, real.NewReq), func(t *testing.T, rep, req Socket) {
			for i := range 3 {
				send(t, req, "hello", fmt.Sprint(i))
				wantFrames(t, recv(t, rep), "hello", fmt.Sprint(i))
				send(t, rep, "world", fmt.Sprint(i))
				wantFrames(t, recv(t, req), "world", fmt.Sprint(i))
			}
		}},
		{"pub-sub", side(NewPub, real.NewPub), side(NewSub, real.NewSub), func(t *testing.T, pub, sub Socket) {
			if err := sub.SetOption(OptionSubscribe, "news"); err != nil {
				t.Fatal(err)
			}
			wantFrames(t, waitPublished(t, pub, sub, "news", "weather"), "news", "x")
		}},
		{"pull-push", side(NewPull, real.NewPull), side(NewPush, real.NewPush), func(t *testing.T, pull, push Socket) {
			for i := range 10 {
				send(t, push, fmt.Sprint(i), "", "z")
			}
			for i := range 10 {
				wantFrames(t, recv(t, pull), fmt.Sprint(i), "", "z")
			}
		}},
		{"router-dealer", side(NewRouter, real.NewRouter), func(ctx context.Context, bridge bool) Socket {
			if bridge {
				return NewDealer(ctx, WithID(SocketIdentity("d1")))
			}
			return realSock{real.NewDealer(ctx, real.WithID(real.SocketIdentity("d1")))}
		}, func(t *testing.T, router, dealer Socket) {
			send(t, dealer, "req")
			wantFrames(t, recv(t, router), "d1", "req")
			send(t, router, "d1", "rep")
			wantFrames(t, recv(t, dealer), "rep")
		}},
		{"xpub-xsub", side(NewXPub, real.NewXPub), side(NewXSub, real.NewXSub), func(t *testing.T, xpub, xsub Socket) {
			send(t, xsub, "\x01news")
			if _, isReal := xpub.(realSock); !isReal {
				// the bridge's XPUB passes the subscription up (zmq4's keeps it)
				wantFrames(t, recv(t, xpub), "\x01news")
			}
			// both XPUBs filter: only news reaches the XSUB
			wantFrames(t, waitPublished(t, xpub, xsub, "news", "weather"), "news", "x")
		}},
		{"pair-pair", side(NewPair, real.NewPair), side(NewPair, real.NewPair), func(t *testing.T, a, b Socket) {
			send(t, b, "ping")
			wantFrames(t, recv(t, a), "ping")
			send(t, a, "pong")
			wantFrames(t, recv(t, b), "pong")
		}},
	}
	for _, c := range cases {
		for _, bridgeListens := range []bool{true, false} {
			name := c.name + "/zmq4-listens"
			if bridgeListens {
				name = c.name + "/bridge-listens"
			}
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				a, b := c.a(ctx, bridgeListens), c.b(ctx, !bridgeListens)
				closeAll(t, b, a)
				connect(t, a, b, "tcp://127.0.0.1:0")
				c.run(t, a, b)
			})
		}
	}
}
