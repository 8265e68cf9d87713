package patterns

import (
	"context"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/socket"
)

// TestNilContextIsInvalidInput: every blocking call refuses a nil
// context.Context with socket.ErrInvalidInput (as Go's own APIs do), even
// when it could complete at once, and a refused send hands its message
// back.
func TestNilContextIsInvalidInput(t *testing.T) {
	zctx := newCtx(t)
	srv, err := NewServer(zctx, Options{})
	must(t, err)
	must(t, srv.Bind("inproc://nilctx"))
	cli, err := NewClient(zctx, Options{})
	must(t, err)
	must(t, cli.Connect("inproc://nilctx"))
	sc, err := NewScatter(zctx, Options{})
	must(t, err)
	ga, err := NewGather(zctx, Options{})
	must(t, err)
	must(t, ga.Bind("inproc://nilctx-ga"))
	must(t, sc.Connect("inproc://nilctx-ga"))
	ra, err := NewRadio(zctx, Options{}, RadioOptions{})
	must(t, err)
	di, err := NewDish(zctx, Options{})
	must(t, err)
	// A message waits for each receiver, so none of them would block.
	must(t, cli.Send(context.Background(), []byte("x")))
	must(t, sc.Send(context.Background(), []byte("x")))
	m, err := srv.Recv(context.Background())
	must(t, err)
	must(t, srv.Route(context.Background(), []byte("x"), m.RoutingID))

	var nilCtx context.Context
	sends := map[string]func() error{
		"Client.Send":        func() error { return cli.Send(nilCtx, []byte("x")) },
		"Client.SendConcat":  func() error { return cli.SendConcat(nilCtx, []byte("x"), []byte("y")) },
		"Server.Route":       func() error { return srv.Route(nilCtx, []byte("x"), m.RoutingID) },
		"Server.RouteConcat": func() error { return srv.RouteConcat(nilCtx, []byte("x"), []byte("y"), m.RoutingID) },
		"Scatter.Send":       func() error { return sc.Send(nilCtx, []byte("x")) },
		"Radio.Transmit":     func() error { return ra.Transmit(nilCtx, []byte("x"), "g") },
	}
	for name, send := range sends {
		err := send()
		var se *socket.SendError
		if !errors.Is(err, socket.ErrInvalidInput) || !errors.As(err, &se) || string(se.Msg.Body) != "x" {
			t.Errorf("%s(nil, ...) = %v, want a *socket.SendError holding the message, matching ErrInvalidInput", name, err)
		}
	}
	recvs := map[string]func() (Msg, error){
		"Client.Recv": func() (Msg, error) { return cli.Recv(nilCtx) },
		"Server.Recv": func() (Msg, error) { return srv.Recv(nilCtx) },
		"Gather.Recv": func() (Msg, error) { return ga.Recv(nilCtx) },
		"Dish.Recv":   func() (Msg, error) { return di.Recv(nilCtx) },
	}
	for name, recv := range recvs {
		if _, err := recv(); !errors.Is(err, socket.ErrInvalidInput) {
			t.Errorf("%s(nil) = %v, want ErrInvalidInput", name, err)
		}
	}
	// The refused calls took nothing: the waiting messages are still there.
	for name, try := range map[string]func() (Msg, error){"Client": cli.TryRecv, "Gather": ga.TryRecv} {
		if _, err := try(); err != nil {
			t.Errorf("%s.TryRecv after the refused Recv: %v", name, err)
		}
	}
}
