package patterns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

func newCtx(t *testing.T) *socket.Ctx {
	t.Helper()
	c := socket.NewCtx(nil)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// must fails the test at once if a setup step failed.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// waitBlocked waits until recv Recv calls and send sends are blocked on b.
func waitBlocked(t *testing.T, b *base, recv, send int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, s := b.s.Blocked()
		if r == recv && s == send {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d receives and %d sends blocked, want %d and %d", r, s, recv, send)
		}
		time.Sleep(time.Millisecond) // there is no event for "a call blocked"
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// endpoints returns one bindable endpoint per transport.
func endpoints(t *testing.T) map[string]string {
	return map[string]string{
		"tcp":    "tcp://127.0.0.1:*",
		"tcp6":   "tcp://[::1]:*",
		"ipc":    "ipc://" + filepath.Join(t.TempDir(), "s.sock"),
		"inproc": "inproc://" + t.Name(),
	}
}

// serverOn returns a Server of zctx with opts bound to ep, and the bound
// endpoint. A tcp6 endpoint on a machine without an IPv6 loopback skips
// the test.
func serverOn(t *testing.T, zctx *socket.Ctx, opts Options, ep string) (*Server, string) {
	t.Helper()
	srv, err := NewServer(zctx, opts)
	must(t, err)
	if err := srv.Bind(ep); err != nil {
		if strings.HasPrefix(ep, "tcp://[") {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	bound, err := srv.LastEndpoint()
	must(t, err)
	return srv, bound
}

// echoServer answers every message with the same body until ctx ends. If
// peers is not nil, it gets the Peer of each message while it has room.
func echoServer(ctx context.Context, srv *Server, peers chan<- *socket.Peer) {
	for {
		m, err := srv.Recv(ctx)
		if err != nil {
			return
		}
		select {
		case peers <- m.Peer:
		default:
		}
		if err := srv.Route(ctx, m.Body, m.RoutingID); err != nil {
			return
		}
	}
}

func TestClientServerEchoEveryTransport(t *testing.T) {
	for name, ep := range endpoints(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			zctx := newCtx(t)
			srv, bound := serverOn(t, zctx, Options{}, ep)
			sctx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); echoServer(sctx, srv, nil) }()
			defer func() { stop(); wg.Wait() }()

			cli, err := NewClient(zctx, Options{})
			must(t, err)
			must(t, cli.Connect(bound))
			for _, size := range []int{0, 1, 255, 256, 65536, 1 << 20} {
				body := bytes.Repeat([]byte{byte(size)}, size)
				if err := cli.Send(ctx, body); err != nil {
					t.Fatalf("send %d: %v", size, err)
				}
				m, err := cli.Recv(ctx)
				if err != nil {
					t.Fatalf("recv %d: %v", size, err)
				}
				if !bytes.Equal(m.Body, body) {
					t.Fatalf("size %d: echo differs (got %d bytes)", size, len(m.Body))
				}
			}
		})
	}
}

func TestServerRouteUnknownPeerIsHostUnreachable(t *testing.T) {
	srv, err := NewServer(newCtx(t), Options{})
	must(t, err)
	for _, id := range []RoutingID{0, 1, 12345} {
		err := srv.Route(testCtx(t), []byte("x"), id)
		if !errors.Is(err, socket.ErrHostUnreachable) {
			t.Fatalf("Route to %d: got %v, want ErrHostUnreachable", id, err)
		}
		var se *socket.SendError
		if !errors.As(err, &se) || string(se.Msg.Body) != "x" {
			t.Fatalf("Route to %d: the message is not handed back: %v", id, err)
		}
	}
}

func TestTryRecvAndTimeouts(t *testing.T) {
	cli, err := NewClient(newCtx(t), Options{RecvTimeout: 50 * time.Millisecond, SendTimeout: 50 * time.Millisecond})
	must(t, err)
	if _, err := cli.TryRecv(); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("TryRecv: %v, want ErrWouldBlock", err)
	}
	start := time.Now()
	if _, err := cli.Recv(context.Background()); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("Recv with timeout: %v, want ErrWouldBlock", err)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Fatalf("Recv returned before its timeout")
	}
	// A client with no peer at all cannot send (libzmq: EAGAIN).
	if err := cli.TrySend([]byte("x")); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("TrySend with no peer: %v", err)
	}
	if err := cli.Send(context.Background(), []byte("x")); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("Send with no peer and a timeout: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	cli.s.SetRecvTimeout(0)
	if _, err := cli.Recv(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv with ctx deadline: %v", err)
	}
}

func TestCloseUnblocksCalls(t *testing.T) {
	zctx := socket.NewCtx(nil)
	cli, err := NewClient(zctx, Options{})
	must(t, err)
	errs := make(chan error, 2)
	go func() { _, err := cli.Recv(context.Background()); errs <- err }()
	go func() { errs <- cli.Send(context.Background(), []byte("x")) }()
	waitBlocked(t, &cli.base, 1, 1)
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			if !errors.Is(err, socket.ErrClosed) {
				t.Fatalf("blocked call returned %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not unblock a call")
		}
	}
	_ = zctx.Close()
}

func TestCtxShutdownIsInvalidCtx(t *testing.T) {
	zctx := socket.NewCtx(nil)
	srv, err := NewServer(zctx, Options{})
	must(t, err)
	done := make(chan error, 1)
	go func() { _, err := srv.Recv(context.Background()); done <- err }()
	waitBlocked(t, &srv.base, 1, 0)
	zctx.Shutdown()
	select {
	case err := <-done:
		if !errors.Is(err, socket.ErrInvalidCtx) {
			t.Fatalf("got %v, want ErrInvalidCtx", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not unblock Recv")
	}
	if _, err := NewClient(zctx, Options{}); !errors.Is(err, socket.ErrInvalidCtx) {
		t.Fatalf("new socket on a shut-down ctx: %v", err)
	}
	_ = zctx.Close()
}

func TestClientRoundRobinAndServerFairQueue(t *testing.T) {
	ctx := testCtx(t)
	zctx := newCtx(t)
	var servers []*Server
	cli, err := NewClient(zctx, Options{})
	must(t, err)
	for i := 0; i < 3; i++ {
		srv, err := NewServer(zctx, Options{})
		must(t, err)
		must(t, srv.Bind("tcp://127.0.0.1:*"))
		ep, err := srv.LastEndpoint()
		must(t, err)
		must(t, cli.Connect(ep))
		servers = append(servers, srv)
	}
	const n = 30
	for i := 0; i < n; i++ {
		if err := cli.Send(ctx, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, srv := range servers {
		for j := 0; j < n/3; j++ {
			if _, err := srv.Recv(ctx); err != nil {
				t.Fatalf("server %d message %d: %v", i, j, err)
			}
		}
		if m, err := srv.TryRecv(); err == nil {
			t.Fatalf("server %d got more than its share: %q", i, m.Body)
		}
	}

	// Two clients on one server: each gets its own routing id and replies
	// go to the right one.
	srv := servers[0]
	ep, err := srv.LastEndpoint()
	must(t, err)
	a, err := NewClient(zctx, Options{})
	must(t, err)
	b, err := NewClient(zctx, Options{})
	must(t, err)
	must(t, a.Connect(ep))
	must(t, b.Connect(ep))
	a.Send(ctx, []byte("from a"))
	b.Send(ctx, []byte("from b"))
	ids := map[string]RoutingID{}
	for i := 0; i < 2; i++ {
		m, err := srv.Recv(ctx)
		must(t, err)
		ids[string(m.Body)] = m.RoutingID
		if m.Peer == nil || m.Peer.SocketType != "CLIENT" {
			t.Fatalf("message lacks its peer: %+v", m.Peer)
		}
	}
	if ids["from a"] == ids["from b"] || ids["from a"] == 0 {
		t.Fatalf("routing ids not distinct: %v", ids)
	}
	srv.Route(ctx, []byte("to a"), ids["from a"])
	srv.Route(ctx, []byte("to b"), ids["from b"])
	if m, _ := a.Recv(ctx); string(m.Body) != "to a" {
		t.Fatalf("a got %q", m.Body)
	}
	if m, _ := b.Recv(ctx); string(m.Body) != "to b" {
		t.Fatalf("b got %q", m.Body)
	}
}
