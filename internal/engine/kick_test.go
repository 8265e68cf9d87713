package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// TestKickConnectingPipeReconnects: kicking the peer of a pipe the socket
// dialled drops that link, and the pipe reconnects as after any failure,
// keeping its routing id; the kick shows on the monitor as a disconnect.
func TestKickConnectingPipeReconnects(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	cli, err := patterns.NewClient(zctx, socket.Options{})
	must(t, err)
	defer cli.Close()
	must(t, cli.Bind("tcp://127.0.0.1:*"))
	ep, err := cli.LastEndpoint()
	must(t, err)
	srv, err := patterns.NewServer(zctx, socket.Options{ReconnectInterval: 10 * time.Millisecond})
	must(t, err)
	defer srv.Close()
	mon := srv.Monitor()
	must(t, srv.Connect(ep))
	must(t, cli.Send(ctx, []byte("hi")))
	m, err := srv.Recv(ctx)
	must(t, err)

	must(t, engine.SocketOf(zctx, "SERVER").Kick(m.RoutingID))
	for ev := range mon {
		if ev.Type == socket.EventDisconnected {
			break
		}
	}
	// A send racing the client's own view of the old link's end is lost
	// with it, as on any disconnect: send until one arrives.
	var m2 socket.Msg
	for {
		must(t, cli.Send(ctx, []byte("again")))
		rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		m2, err = srv.Recv(rctx)
		rcancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the server never reconnected")
		}
	}
	if string(m2.Body) != "again" || m2.RoutingID != m.RoutingID {
		t.Fatalf("after the kick: %q from %v, want \"again\" from %v", m2.Body, m2.RoutingID, m.RoutingID)
	}
	must(t, srv.Route(ctx, []byte("pong"), m2.RoutingID))
	r, err := cli.Recv(ctx)
	must(t, err)
	if string(r.Body) != "pong" {
		t.Fatalf("client got %q, want pong", r.Body)
	}
}
