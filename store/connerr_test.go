package store_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
)

// quietServer binds a SERVER socket with mech and auth on a free tcp port
// and returns its endpoint; it closes when the test ends. Nothing reads
// it: a request sent to it is taken and never answered.
func quietServer(t *testing.T, zctx *socket.Ctx, mech mechanism.Mechanism, auth mechanism.Authenticator) (*patterns.Server, string) {
	t.Helper()
	srv, err := patterns.NewServer(zctx, socket.Options{Mechanism: mech, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep, err := srv.LastEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	return srv, ep
}

// Connection problems fail a request at once, with the cause, instead of
// waiting out its timeout: refused, unknown host, and handshakes refused
// for each reason (issue 21, point 1).
func TestConnectionErrorsComeAtOnceWithTheCause(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	pub, sec, err := mechanism.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, err := mechanism.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	users := &mechanism.Auth{}
	if err := users.AddUser("alice", "secret"); err != nil {
		t.Fatal(err)
	}
	_, curveEP := quietServer(t, zctx, &mechanism.CurveServer{SecretKey: sec}, nil)
	_, plainEP := quietServer(t, zctx, &mechanism.PlainServer{}, users)
	_, nullEP := quietServer(t, zctx, nil, nil)
	for _, c := range []struct {
		name     string
		endpoint string
		mech     mechanism.Mechanism
		kind     error
		text     string
	}{
		{"refused", "tcp://127.0.0.1:1", nil, store.ErrUnreachable, "cannot connect to tcp://127.0.0.1:1: connection refused"},
		{"unknown host", "tcp://no-such-host.invalid:7447", nil, store.ErrUnreachable, `"no-such-host.invalid"`},
		{"NULL client, CURVE server", curveEP, nil, store.ErrHandshake, "handshake with " + curveEP + ` failed: security mechanism mismatch: greeting: peer's mechanism "CURVE" does not match ours "NULL"`},
		{"CURVE client, NULL server", nullEP, &mechanism.CurveClient{ServerKey: pub}, store.ErrHandshake, "security mechanism mismatch"},
		{"wrong server key", curveEP, &mechanism.CurveClient{ServerKey: otherPub}, store.ErrHandshake, "wrong server key"},
		{"credentials denied", plainEP, &mechanism.PlainClient{Username: "alice", Password: "wrong"}, store.ErrHandshake, "the server denied the credentials"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cli, err := store.Connect(c.endpoint, store.ClientOptions{Ctx: zctx, Socket: socket.Options{Mechanism: c.mech}, Timeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			err = cli.Put(context.Background(), "k", []byte("v"))
			var ce *store.ConnError
			if !errors.Is(err, c.kind) || !errors.As(err, &ce) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v with %q", err, c.kind, c.text)
			}
			// The cause came, not the 20s timeout: the call did not wait
			// for it.
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("the error is the timeout's: %v", err)
			}
		})
	}
	cli, err := store.Connect("tcp://127.0.0.1:1", store.ClientOptions{Ctx: zctx, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Get(context.Background(), "k"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("a query: %v", err)
	}
}

// A timeout is reported only for a server that took the request and did
// not answer, and the error says so.
func TestTimeoutSaysTheServerDidNotAnswer(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	_, ep := quietServer(t, zctx, nil, nil)
	cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	err = cli.Put(context.Background(), "k", []byte("v"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), ep+" took the request but did not answer within") {
		t.Fatalf("got %v", err)
	}
	if errors.Is(err, store.ErrUnreachable) {
		t.Fatalf("a server that took the request reported unreachable: %v", err)
	}
}

// Close ends a request that waits for a server, at once, with ErrClosed.
func TestCloseEndsARequestWaitingForAServer(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	cli, err := store.Connect("tcp://127.0.0.1:1", store.ClientOptions{Ctx: zctx, WaitForServer: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := make(chan error, 1)
	go func() { errs <- cli.Put(ctx, "k", []byte("v")) }()
	time.Sleep(50 * time.Millisecond) // the put is (most likely) waiting
	cli.Close()
	if err := <-errs; !errors.Is(err, store.ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
}

// A port where something that is not a ZMTP peer listens (an HTTP server
// waiting for a request line): the error says the handshake did not
// complete, not that a server ignored the request.
func TestWrongPortSaysTheHandshakeDidNotComplete(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() { // ends when ln closes
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // silent: never a greeting
		}
	}()
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ep := "tcp://" + ln.Addr().String()
	cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	_, err = cli.Get(context.Background(), "k")
	if !errors.Is(err, store.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "connected to "+ep+", but the handshake did not complete") {
		t.Fatalf("got %v", err)
	}
	select {
	case c := <-accepted:
		c.Close()
	default:
	}
}

// A Connect that fails on its second endpoint (a transport that does not
// exist) says which, and closes the socket it made for the first: no
// goroutine of it is left behind while the Ctx stays open.
func TestConnectFailsOnABadEndpoint(t *testing.T) {
	zctx := socket.NewCtx(nil)
	t.Cleanup(func() { zctx.Close() }) // after the check below
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cli, err := store.Connect("tcp://127.0.0.1:1,nosuch://x", store.ClientOptions{Ctx: zctx})
	if err == nil {
		cli.Close()
		t.Fatal("Connect accepted an endpoint of no transport")
	}
	if !strings.Contains(err.Error(), "nosuch://x") {
		t.Errorf("the error does not name the endpoint: %v", err)
	}
}
