package engine_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// listenRaw returns a tcp listener for a hand-driven peer and a function
// that waits for the one connection a socket under test makes to it.
func listenRaw(t *testing.T) (ep string, accept func() *rawPeer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	return "tcp://" + ln.Addr().String(), func() *rawPeer {
		t.Helper()
		nc, err := ln.Accept()
		must(t, err)
		t.Cleanup(func() { nc.Close() })
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		return newRawPeer(t, nc)
	}
}

// readCommandFrame reads one frame, which must be a command named name,
// and returns its body.
func (r *rawPeer) readCommandFrame(name string) []byte {
	r.t.Helper()
	flags, body := r.readFrame()
	if flags != zmtp.FlagCommand || !zmtp.IsCommand(body, name) {
		r.t.Fatalf("expected %s, got flags %x body %q", name, flags, body)
	}
	return body
}

// TestFirstCommandComesWithGreeting: a connecting socket sends its
// mechanism's first command right behind its greeting, without waiting
// for the peer's greeting (the peer here sends none until it has read
// both): NULL's READY, the CURVE client's HELLO (200 bytes), the NOISE
// client's HELLO (version 1 and a 32-byte key).
func TestFirstCommandComesWithGreeting(t *testing.T) {
	server := mechanism.PublicFromSecret(mechanism.SecretKey{1})
	for _, tc := range []struct {
		mech  mechanism.Mechanism
		name  string
		first string
		size  int // the command's whole body
	}{
		{nil, "NULL", "READY", len(zmtp.AppendReady(nil, socketType("CLIENT")))},
		{&mechanism.CurveClient{ServerKey: server}, "CURVE", "HELLO", 200},
		{&mechanism.NoiseClient{ServerKey: server}, "NOISE", "HELLO", 6 + 1 + 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep, accept := listenRaw(t)
			cli := mustNew(t, patterns.NewClient, nil, socket.Options{Mechanism: tc.mech})
			defer cli.Close()
			connect(t, cli, ep)
			r := accept()
			g, err := r.zr.ReadGreeting()
			if err != nil || g != zmtp.NewGreeting(tc.name, false) {
				t.Fatalf("greeting %+v, %v", g, err)
			}
			body := r.readCommandFrame(tc.first)
			if len(body) != tc.size {
				t.Fatalf("%s is %d bytes, want %d", tc.first, len(body), tc.size)
			}
			if tc.name == "NULL" && !bytes.Equal(body, zmtp.AppendReady(nil, socketType("CLIENT"))) {
				t.Fatalf("READY %q", body)
			}
		})
	}
}

// TestGreetingTrickledOrWithEverything: whether the peer's greeting and
// READY come a byte at a time, in libzmq's three steps (signature; major
// once ours is in; the rest), or in one write together with the first
// message, the handshake completes and the message gets through, on the
// accepting side and on the connecting side.
func TestGreetingTrickledOrWithEverything(t *testing.T) {
	msg := zmtp.AppendFrame(nil, 0, []byte("hello"))
	ready := func(typ string) []byte {
		return zmtp.AppendFrame(nil, zmtp.FlagCommand, zmtp.AppendReady(nil, socketType(typ)))
	}
	for _, tc := range []struct {
		name string
		// send writes the peer's greeting and READY (and msg if
		// withMsg) as typ, and returns how many bytes of the engine's
		// greeting it read meanwhile.
		send    func(r *rawPeer, typ string) int
		withMsg bool
	}{
		{"one byte a write", func(r *rawPeer, typ string) int {
			b := append(greeting(1, "NULL"), ready(typ)...)
			for i := range b {
				r.write(b[i : i+1])
				time.Sleep(time.Millisecond)
			}
			return 0
		}, false},
		{"libzmq's three steps", func(r *rawPeer, typ string) int {
			g := greeting(0, "NULL")
			r.write(g[:10])
			var sig [10]byte // the engine's signature (it sends more)
			if _, err := io.ReadFull(r.nc, sig[:]); err != nil {
				r.t.Fatal(err)
			}
			r.write(g[10:11])
			time.Sleep(5 * time.Millisecond)
			r.write(g[11:], ready(typ))
			return len(sig)
		}, false},
		{"greeting, READY and a message in one write", func(r *rawPeer, typ string) int {
			r.write(greeting(1, "NULL"), ready(typ), msg)
			return 0
		}, true},
	} {
		t.Run("accepting/"+tc.name, func(t *testing.T) {
			srv, ep, _ := newServer(t, socket.Options{})
			echoing(t, srv)
			r := dialRaw(t, ep)
			read := tc.send(r, "CLIENT")
			if !tc.withMsg {
				r.write(msg)
			}
			expectGreetingReadyEcho(r, read, "SERVER", "hello")
		})
		t.Run("connecting/"+tc.name, func(t *testing.T) {
			ep, accept := listenRaw(t)
			cli := mustNew(t, patterns.NewClient, nil, socket.Options{})
			defer cli.Close()
			connect(t, cli, ep)
			r := accept()
			read := tc.send(r, "SERVER")
			if !tc.withMsg {
				r.write(msg)
			}
			m, err := cli.Recv(ctx(t))
			must(t, err)
			if string(m.Body) != "hello" {
				t.Fatalf("got %q", m.Body)
			}
			sendOK(t, cli, "back")
			expectGreetingReadyEcho(r, read, "CLIENT", "back")
		})
	}
}

// expectGreetingReadyEcho reads the rest of the engine's greeting (read
// bytes of it are in), which must be NULL's, its READY as a typ, and one
// message whose body is want.
func expectGreetingReadyEcho(r *rawPeer, read int, typ, want string) {
	r.t.Helper()
	g := zmtp.NewGreeting("NULL", false).Append(nil)
	rest := make([]byte, zmtp.GreetingLen-read)
	if _, err := io.ReadFull(r.nc, rest); err != nil || !bytes.Equal(rest, g[read:]) {
		r.t.Fatalf("greeting % x, %v", rest, err)
	}
	body := r.readCommandFrame(zmtp.CmdReady)
	if !bytes.Equal(body, zmtp.AppendReady(nil, socketType(typ))) {
		r.t.Fatalf("READY %q", body)
	}
	flags, got := r.readFrame()
	if flags != 0 || string(got) != want {
		r.t.Fatalf("got flags %x body %q, want %q", flags, got, want)
	}
}

// TestAuthenticatedNullSendsNoEarlyReady: an accepting NULL socket with an
// authenticator sends READY only once the authenticator has admitted the
// peer; a refused peer reads ERROR after the greeting, never READY.
func TestAuthenticatedNullSendsNoEarlyReady(t *testing.T) {
	_, ep, mon := newServer(t, socket.Options{Auth: denyAll{}})
	r := dialRaw(t, ep)
	r.send(r.w.WriteGreeting(null(1)), r.w.WriteReady(socketType("CLIENT")))
	r.readGreeting()
	body := r.readCommandFrame(zmtp.CmdError)
	if reason := zmtp.ParseError(zmtp.Data(body, zmtp.CmdError)); reason != "400" {
		t.Fatalf("ERROR %q, want 400", reason)
	}
	e := waitEvent(t, mon, socket.EventHandshakeFailed)
	if !errors.Is(e.Err, mechanism.ErrDenied) {
		t.Fatalf("reason %v, want ErrDenied", e.Err)
	}
}

// denyAll refuses every peer.
type denyAll struct{}

func (denyAll) Authenticate(_ context.Context, _ *mechanism.AuthRequest) (string, error) {
	return "", mechanism.ErrDenied
}

// TestDisconnectOrCloseStopsAHandshake: a handshake stuck on a peer that
// never answers ends when its endpoint is disconnected or its socket
// closes, long before the handshake timeout: the peer sees the
// connection closed.
func TestDisconnectOrCloseStopsAHandshake(t *testing.T) {
	for _, how := range []string{"Disconnect", "Close"} {
		t.Run(how, func(t *testing.T) {
			ep, accept := listenRaw(t)
			cli := mustNew(t, patterns.NewClient, nil, socket.Options{HandshakeTimeout: time.Hour})
			defer cli.Close()
			connect(t, cli, ep)
			r := accept()
			if _, err := r.zr.ReadGreeting(); err != nil { // the handshake is under way
				t.Fatal(err)
			}
			if how == "Disconnect" {
				must(t, cli.Disconnect(ep))
			} else {
				must(t, cli.Close())
			}
			if _, err := io.Copy(io.Discard, r.nc); err != nil {
				t.Fatalf("the connection was not closed: %v", err)
			}
		})
	}
}

// TestAcceptingGoesOnAfterHandshakeFailsEarly: a connection whose
// handshake fails before its greeting is written (a CURVE client role
// without a server key, on a bound socket) does not stop the socket from
// accepting: every connection after it is accepted too.
func TestAcceptingGoesOnAfterHandshakeFailsEarly(t *testing.T) {
	srv, err := patterns.NewServer(nil, socket.Options{Mechanism: &mechanism.CurveClient{}})
	must(t, err)
	defer srv.Close()
	mon := srv.Monitor()
	ep := bind(t, srv, "tcp://127.0.0.1:*")
	for i := range 3 {
		r := dialRaw(t, ep)
		waitEvent(t, mon, socket.EventAccepted)
		e := waitEvent(t, mon, socket.EventHandshakeFailed)
		if !errors.Is(e.Err, mechanism.ErrInvalidKey) {
			t.Fatalf("connection %d: %v, want ErrInvalidKey", i, e.Err)
		}
		if _, err := io.Copy(io.Discard, r.nc); err != nil {
			t.Fatalf("connection %d was not closed: %v", i, err)
		}
	}
}
