package engine_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// rawServerSending returns a peer for TestConnectStoppedSaysWhy: a tcp
// listener that, once the client has connected, accepts it, does the NULL
// handshake as a SERVER and sends what write encodes with the peer's
// zmtp.Writer (which may write illegal frames).
func rawServerSending(write func(w *zmtp.Writer) error) func(t *testing.T) (string, func()) {
	return func(t *testing.T) (string, func()) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		t.Cleanup(func() { ln.Close() })
		return "tcp://" + ln.Addr().String(), func() {
			_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
			nc, err := ln.Accept()
			must(t, err)
			t.Cleanup(func() { nc.Close() })
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			r := newRawPeer(t, nc)
			r.handshake(1, "SERVER")
			r.send(write(r.w))
		}
	}
}

// TestConnectStoppedSaysWhy: EventConnectStopped names the real reason a
// connect gave up, and its Err wraps the failure that caused it.
func TestConnectStoppedSaysWhy(t *testing.T) {
	_, curveSec, err := mechanism.GenerateKeyPair()
	must(t, err)
	deny := &mechanism.Auth{}
	if err := deny.DenyAddr("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts socket.Options
		// peer sets up what the client connects to and returns its
		// endpoint; after, if set, runs once the client has connected.
		peer  func(t *testing.T) (ep string, after func())
		why   string
		cause error
	}{
		{
			name: "reconnection off",
			opts: socket.Options{ReconnectInterval: -1},
			peer: func(t *testing.T) (string, func()) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				must(t, err)
				ep := "tcp://" + ln.Addr().String()
				ln.Close() // nobody listens: the connect fails
				return ep, nil
			},
			why: "reconnection is off: ReconnectInterval < 0",
		},
		{
			name: "mechanism misconfigured",
			opts: socket.Options{Mechanism: &mechanism.CurveClient{}}, // no server key
			peer: func(t *testing.T) (string, func()) {
				_, ep, _ := newServer(t, socket.Options{Mechanism: &mechanism.CurveServer{SecretKey: curveSec}})
				return ep, nil
			},
			why:   "mechanism misconfigured",
			cause: mechanism.ErrInvalidKey,
		},
		{
			name: "peer sent ERROR in the handshake",
			peer: func(t *testing.T) (string, func()) {
				_, ep, _ := newServer(t, socket.Options{Auth: deny})
				return ep, nil
			},
			why:   "peer sent ERROR in the handshake",
			cause: socket.ErrHandshake,
		},
		{
			name: "handshake failed",
			peer: func(t *testing.T) (string, func()) {
				cli, err := patterns.NewClient(nil, socket.Options{}) // a CLIENT cannot talk to a CLIENT
				must(t, err)
				t.Cleanup(func() { cli.Close() })
				must(t, cli.Bind("tcp://127.0.0.1:*"))
				ep, err := cli.LastEndpoint()
				must(t, err)
				return ep, nil
			},
			why:   "handshake failed",
			cause: socket.ErrHandshake,
		},
		{
			name:  "peer sent ERROR",
			peer:  rawServerSending(func(w *zmtp.Writer) error { return w.WriteError("go away") }),
			why:   "peer sent ERROR",
			cause: socket.ErrProtocol,
		},
		{
			name:  "protocol error",
			peer:  rawServerSending(func(w *zmtp.Writer) error { return w.WriteFrame(0x10, []byte("x")) }), // a reserved flag bit
			why:   "protocol error",
			cause: socket.ErrProtocol,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep, after := tc.peer(t)
			zctx := socket.NewCtx(nil)
			defer zctx.Close()
			opts := tc.opts
			if opts.ReconnectInterval == 0 {
				opts.ReconnectInterval = 10 * time.Millisecond
			}
			cli, err := patterns.NewClient(zctx, opts)
			must(t, err)
			mon := cli.Monitor()
			must(t, cli.Connect(ep))
			if after != nil {
				after()
			}
			e := waitEvent(t, mon, socket.EventConnectStopped)
			if want := "not reconnecting (" + tc.why + ")"; e.Err == nil || !strings.HasPrefix(e.Err.Error(), want) {
				t.Fatalf("EventConnectStopped says %v, want %q first", e.Err, want)
			}
			if tc.cause != nil && !errors.Is(e.Err, tc.cause) {
				t.Fatalf("EventConnectStopped's error %v does not wrap %v", e.Err, tc.cause)
			}
		})
	}
}
