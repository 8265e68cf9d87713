package zmq4_test

// The security/plain and security/null packages through the bridge, and
// PLAIN between the bridge and the real zmq4 both ways.

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	real "github.com/go-zeromq/zmq4"
	realplain "github.com/go-zeromq/zmq4/security/plain"
	"github.com/zmesh/zmesh/compat/zmq4"
	"github.com/zmesh/zmesh/compat/zmq4/security/null"
	"github.com/zmesh/zmesh/compat/zmq4/security/plain"
)

// roundTrip sends one request from req to rep and one reply back.
func roundTrip(t *testing.T, req, rep interface {
	Send(zmq4.Msg) error
	Recv() (zmq4.Msg, error)
}) {
	t.Helper()
	if err := req.Send(zmq4.NewMsgString("hi")); err != nil {
		t.Fatal(err)
	}
	if m, err := rep.Recv(); err != nil || string(m.Bytes()) != "hi" {
		t.Fatalf("rep got %v, %v", m, err)
	}
	if err := rep.Send(zmq4.NewMsgString("ho")); err != nil {
		t.Fatal(err)
	}
	if m, err := req.Recv(); err != nil || string(m.Bytes()) != "ho" {
		t.Fatalf("req got %v, %v", m, err)
	}
}

func TestBridgeSecurityPackages(t *testing.T) {
	ctx := context.Background()
	for _, sec := range []zmq4.Security{null.Security(), plain.Security("bob", "pw")} {
		t.Run(string(sec.Type()), func(t *testing.T) {
			rep := zmq4.NewRep(ctx, zmq4.WithSecurity(sec))
			defer rep.Close()
			req := zmq4.NewReq(ctx, zmq4.WithSecurity(sec))
			defer req.Close()
			if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			if err := req.Dial("tcp://" + rep.Addr().String()); err != nil {
				t.Fatal(err)
			}
			roundTrip(t, req, rep)
		})
	}
	// a wrong password never completes the handshake: Dial fails
	rep := zmq4.NewRep(ctx, zmq4.WithSecurity(plain.Security("bob", "pw")))
	defer rep.Close()
	if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	bad := zmq4.NewReq(ctx, zmq4.WithSecurity(plain.Security("bob", "wrong")),
		zmq4.WithDialerRetry(10*time.Millisecond), zmq4.WithDialerMaxRetries(2))
	defer bad.Close()
	if err := bad.Dial("tcp://" + rep.Addr().String()); err == nil {
		t.Fatal("dial with a wrong password succeeded")
	}
	long := string(make([]byte, 256))
	s := zmq4.NewReq(ctx, zmq4.WithSecurity(plain.Security(long, "")))
	defer s.Close()
	if err := s.Dial("tcp://127.0.0.1:1"); err == nil {
		t.Fatal("a 256-byte PLAIN user name was accepted")
	}
}

// realSocket adapts a real zmq4 socket's Send and Recv to this package's Msg.
type realSocket struct{ s real.Socket }

func (r realSocket) Send(m zmq4.Msg) error { return r.s.Send(real.NewMsgFrom(m.Frames...)) }
func (r realSocket) Recv() (zmq4.Msg, error) {
	m, err := r.s.Recv()
	return zmq4.NewMsgFrom(m.Frames...), err
}

// closeReal closes a real zmq4 socket, whose Close reports connections its
// own goroutines closed first.
func closeReal(t *testing.T, s real.Socket) {
	if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Errorf("close: %v", err)
	}
}

func TestBridgeInteropZMQ4Plain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t.Run("bridge-listens", func(t *testing.T) {
		rep := zmq4.NewRep(ctx, zmq4.WithSecurity(plain.Security("bob", "pw")))
		defer rep.Close()
		if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		req := real.NewReq(ctx, real.WithSecurity(realplain.Security("bob", "pw")))
		defer closeReal(t, req)
		if err := req.Dial("tcp://" + rep.Addr().String()); err != nil {
			t.Fatal(err)
		}
		roundTrip(t, realSocket{req}, rep)
	})
	t.Run("zmq4-listens", func(t *testing.T) {
		rep := real.NewRep(ctx, real.WithSecurity(realplain.Security("bob", "pw")))
		defer closeReal(t, rep)
		if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		req := zmq4.NewReq(ctx, zmq4.WithSecurity(plain.Security("bob", "pw")))
		defer req.Close()
		if err := req.Dial("tcp://" + rep.Addr().String()); err != nil {
			t.Fatal(err)
		}
		roundTrip(t, req, realSocket{rep})
	})
}
