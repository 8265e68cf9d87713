package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// startServer runs a storage server with one memory storage for every
// key on a free tcp port until the test ends; it returns its endpoint.
func startServer(t *testing.T, zctx *socket.Ctx) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := server.ParseConfig("failover.yaml", []byte(`
server: {bind: ["tcp://127.0.0.1:*"]}
radio: {bind: ["tcp://127.0.0.1:*"]}
storages: {all: {key_expr: "**", volume: memory}}
`))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := cfg.Open(ctx, zctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx) }()
	t.Cleanup(func() {
		cancel()
		<-served
		srv.Close(ctx)
	})
	return srv.Info().Endpoints[0]
}

// A client with two endpoints sends to the servers that are up, and sends
// a request again to the other server when the one it went to dies before
// answering; the retried put is the same write, with the timestamp the
// client gave it (issue 21, point 3).
func TestFailoverRetriesOnAnotherServer(t *testing.T) {
	zctx := socket.NewCtx(nil)
	t.Cleanup(func() { zctx.Close() }) // last: after the servers
	good := startServer(t, zctx)
	dying, dyingEP := quietServer(t, zctx, nil, nil)
	// The dying server takes one request, then closes: its connection drops
	// with the request unanswered.
	taken := make(chan proto.Message, 1)
	go func() { // ends when dying is closed
		m, err := dying.Recv(context.Background())
		if err != nil {
			return
		}
		req, err := proto.Decode(m.Body)
		if err == nil {
			taken <- req
		}
		dying.Close()
	}()
	cli, err := store.Connect(dyingEP+","+good, store.ClientOptions{Ctx: zctx, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := context.Background()
	var retried proto.Message
	for i := 0; ; i++ {
		if i == 200 {
			t.Fatal("no put ever went to the dying server")
		}
		if err := cli.Put(ctx, "demo/k", []byte("v")); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		select {
		case retried = <-taken:
		default:
			time.Sleep(5 * time.Millisecond) // until both connections are up
			continue
		}
		break
	}
	if retried.Timestamp.IsZero() {
		t.Fatal("a put of a client with several servers carries no timestamp")
	}
	got, err := cli.Get(ctx, "demo/k")
	if err != nil || len(got) != 1 {
		t.Fatalf("get: %v %v", got, err)
	}
	if got[0].Timestamp != retried.Timestamp {
		t.Fatalf("stored timestamp %v, the dying server was sent %v: the retry was not the same write", got[0].Timestamp, retried.Timestamp)
	}
	// With the dying server gone, every request goes to the other one.
	for i := range 5 {
		if err := cli.Put(ctx, "demo/after", []byte{byte(i)}); err != nil {
			t.Fatalf("put after the failure: %v", err)
		}
	}
}

// A watch through a client of several servers follows the change feeds of
// all of them: a write reaches the feed of the server that took it.
func TestWatchFollowsEveryServer(t *testing.T) {
	zctx := socket.NewCtx(nil)
	t.Cleanup(func() { zctx.Close() })
	a, b := startServer(t, zctx), startServer(t, zctx)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	both, err := store.Connect(a+","+b, store.ClientOptions{Ctx: zctx})
	if err != nil {
		t.Fatal(err)
	}
	defer both.Close()
	w, err := both.Watch(ctx, "demo/**")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, ep := range []string{a, b} {
		one, err := store.Connect(ep, store.ClientOptions{Ctx: zctx})
		if err != nil {
			t.Fatal(err)
		}
		defer one.Close()
		key := "demo/" + ep[len("tcp://"):]
		for seen := false; !seen; {
			if err := one.Put(ctx, key, []byte("x")); err != nil {
				t.Fatal(err)
			}
			wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
			ch, err := w.Next(wctx)
			wcancel()
			seen = err == nil && ch.Key == key
			if ctx.Err() != nil {
				t.Fatalf("the watch never saw a write through %s", ep)
			}
		}
	}
}
