package patterns

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// TestServerDisconnectPeerReleasesBlockedRoutes: a peer that never reads
// fills its queue until Route blocks; DisconnectPeer wakes that Route with
// socket.ErrHostUnreachable, forgets the routing id at once, and a CLIENT
// on a stream transport comes back under a new routing id and is served.
func TestServerDisconnectPeerReleasesBlockedRoutes(t *testing.T) {
	eps := endpoints(t)
	for _, name := range []string{"tcp", "ipc", "inproc"} {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			zctx := newCtx(t)
			srv, bound := serverOn(t, zctx, Options{SendHWM: 4}, eps[name])
			cli, err := NewClient(zctx, Options{RecvHWM: 4, ReconnectInterval: 10 * time.Millisecond})
			must(t, err)
			must(t, cli.Connect(bound))
			must(t, cli.Send(ctx, []byte("hi")))
			m, err := srv.Recv(ctx)
			must(t, err)
			id := m.RoutingID

			// Route until a send blocks: the client never reads.
			routed := make(chan error, 1)
			go func() {
				body := make([]byte, 1<<20)
				for {
					if err := srv.Route(ctx, body, id); err != nil {
						routed <- err
						return
					}
				}
			}()
			waitBlocked(t, &srv.base, 0, 1)

			must(t, srv.DisconnectPeer(id))
			select {
			case err := <-routed:
				if !errors.Is(err, socket.ErrHostUnreachable) {
					t.Fatalf("blocked Route returned %v, want ErrHostUnreachable", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("a Route blocked on the disconnected peer was not released")
			}
			if err := srv.Route(ctx, []byte("late"), id); !errors.Is(err, socket.ErrHostUnreachable) {
				t.Fatalf("Route to a disconnected peer: %v, want ErrHostUnreachable", err)
			}
			if err := srv.DisconnectPeer(id); !errors.Is(err, socket.ErrHostUnreachable) {
				t.Fatalf("second DisconnectPeer: %v, want ErrHostUnreachable", err)
			}
			if name == "inproc" {
				return // inproc peers are detached for good, as when a socket closes
			}

			// The client reconnects, once it has read what it held (its
			// reader waits at its high-water mark and only then sees the
			// connection end), and is served under a new routing id.
			for {
				rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				_, err := cli.Recv(rctx)
				cancel()
				if err != nil {
					break
				}
			}
			// A send racing the client's view of the old link's end is lost
			// with it, as on any disconnect: send until one arrives.
			for {
				must(t, cli.Send(ctx, []byte("again")))
				rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				m, err = srv.Recv(rctx)
				cancel()
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatal("the client never came back")
				}
			}
			if string(m.Body) != "again" || m.RoutingID == id {
				t.Fatalf("after reconnect: %q from %v, want \"again\" from a new id (old %v)", m.Body, m.RoutingID, id)
			}
			must(t, srv.Route(ctx, []byte("pong"), m.RoutingID))
			for {
				r, err := cli.Recv(ctx)
				must(t, err)
				if string(r.Body) == "pong" {
					break
				}
			}
		})
	}
}

// TestServerDisconnectPeerUnknown: an id never seen is refused.
func TestServerDisconnectPeerUnknown(t *testing.T) {
	srv, err := NewServer(newCtx(t), Options{})
	must(t, err)
	defer srv.Close()
	if err := srv.DisconnectPeer(12345); !errors.Is(err, socket.ErrHostUnreachable) {
		t.Fatalf("DisconnectPeer(unknown) = %v, want ErrHostUnreachable", err)
	}
}
