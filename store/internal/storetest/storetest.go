// Package storetest holds what the tests of the storage packages (store,
// store/server, store/httpapi, cmd/zmesh) share: a quiet logger, a
// bounded test context, a fatal check and the SERVER socket a test server
// answers on. It depends on nothing of the store, so that the server's own
// tests can use it.
package storetest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// Quiet is the logger of test servers and clients: their logs would only
// clutter test output.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Context returns a context that ends when the test does, or after d (a
// minute if d is 0): a test that hangs fails instead of waiting for the
// whole run's timeout.
func Context(t testing.TB, d time.Duration) context.Context {
	if d == 0 {
		d = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Must fails the test at once if err is not nil.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Endpoint returns the endpoint s last bound, failing the test if it has
// none.
func Endpoint(t testing.TB, s interface{ LastEndpoint() (string, error) }) string {
	t.Helper()
	ep, err := s.LastEndpoint()
	if err != nil || ep == "" {
		t.Fatalf("no bound endpoint: %q, %v", ep, err)
	}
	return ep
}

// ServerSocket returns a SERVER socket of zctx (lingering a second at most)
// bound to a free tcp port of the loopback interface, and its endpoint.
// The socket's owner closes it (a storage server closes its socket).
func ServerSocket(t testing.TB, zctx *socket.Ctx) (*patterns.Server, string) {
	t.Helper()
	sock, err := patterns.NewServer(zctx, socket.Options{Linger: time.Second})
	Must(t, err)
	Must(t, sock.Bind("tcp://127.0.0.1:*"))
	return sock, Endpoint(t, sock)
}
