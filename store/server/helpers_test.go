package server

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/storetest"
	"github.com/zmesh/zmesh/store/proto"
)

// quiet is the logger of test servers and clients.
var quiet = storetest.Quiet

func testCtx(t testing.TB) context.Context { return storetest.Context(t, 0) }

// fixture is a running server with a client connected to it.
type fixture struct {
	t    testing.TB
	zctx *socket.Ctx
	srv  *Server
	cli  *store.Client
	ep   string // the server's request endpoint
	feed string // its change feed endpoint, if any
}

// setup is how a test wants its server.
type setup struct {
	opts     Options // Socket, Feed and Ingest are filled in
	feed     bool
	feedOpts socket.Options // the radio's
	ingest   bool
	zctx     *socket.Ctx // the sockets' context; default a new one, closed when the test ends
}

// mem returns a storage on a fresh memory store.
func mem(name, ke, strip string) Storage {
	return Storage{Name: name, KeyExpr: ke, StripPrefix: strip, Store: memory.New(), Volume: "memory"}
}

func start(t testing.TB, su setup) *fixture {
	t.Helper()
	f := &fixture{t: t, zctx: su.zctx}
	if f.zctx == nil {
		f.zctx = socket.NewCtx(quiet)
		t.Cleanup(func() { f.zctx.Close() })
	}
	opts := su.opts
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	var err error
	opts.Socket, f.ep = storetest.ServerSocket(t, f.zctx)
	if su.feed {
		opts.Feed, err = patterns.NewRadio(f.zctx, su.feedOpts, patterns.RadioOptions{})
		must(t, err)
		must(t, opts.Feed.Bind("tcp://127.0.0.1:*"))
		f.feed = storetest.Endpoint(t, opts.Feed)
	}
	if su.ingest {
		opts.Ingest, err = patterns.NewGather(f.zctx, socket.Options{})
		must(t, err)
		must(t, opts.Ingest.Bind("tcp://127.0.0.1:*"))
	}
	f.srv, err = NewServer(testCtx(t), opts)
	must(t, err)
	f.serve(t)
	f.cli = f.client(t)
	return f
}

// serve runs the fixture's server until the test ends.
func (f *fixture) serve(t testing.TB) {
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		// ErrClosed: a test that ends at once may clean up (Close) before
		// this goroutine got to Serve.
		if err := f.srv.Serve(ctx); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	t.Cleanup(func() {
		stop()
		// Close waits for the requests in flight, and abandons them when
		// its context ends (a test may leave one stuck on purpose).
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := f.srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		wg.Wait()
	})
}

// client returns a new client of the fixture's server, closed when the
// test ends.
func (f *fixture) client(t testing.TB) *store.Client {
	c, err := store.Connect(f.ep, store.ClientOptions{Ctx: f.zctx, Logger: quiet, Timeout: 20 * time.Second})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// must fails the test at once on an error.
var must = storetest.Must

// wantStatus checks that err is a refusal with status st.
func wantStatus(t testing.TB, err error, st proto.Status) {
	t.Helper()
	var se *proto.StatusError
	if !errors.As(err, &se) || !errors.Is(err, st) {
		t.Fatalf("got error %v, want status %v (%d)", err, st, st)
	}
	if st != proto.StatusOK && se.Text == "" {
		t.Fatalf("status %v without an explanation", st)
	}
}

// ts returns a timestamp d after a fixed, recent time, from source src:
// tests order writes with them.
func ts(d time.Duration, src byte) hlc.Timestamp {
	return hlc.Timestamp{Time: time.Now().Add(-time.Hour).Truncate(time.Hour).Add(d).UnixNano(), Source: hlc.ID{0: src}}
}

// kv flattens samples into key=value strings for comparisons.
func kv(samples []store.Sample) []string {
	out := make([]string, len(samples))
	for i, s := range samples {
		out[i] = s.Key + "=" + string(s.Value)
	}
	return out
}

// getKV queries and flattens.
func (f *fixture) getKV(sel string) []string {
	f.t.Helper()
	got, err := f.cli.Get(testCtx(f.t), sel)
	if err != nil {
		f.t.Fatalf("get %s: %v", sel, err)
	}
	return kv(got)
}

// wantKV fails the test unless a query of sel answers exactly want, as
// key=value strings in key order (nothing: an empty answer).
func (f *fixture) wantKV(sel string, want ...string) {
	f.t.Helper()
	if got := f.getKV(sel); !slices.Equal(got, want) {
		f.t.Fatalf("get %s: %q, want %q", sel, got, want)
	}
}

// startOne starts a server with one memory storage, "s", holding every key.
func startOne(t testing.TB) *fixture {
	t.Helper()
	return start(t, setup{opts: Options{Storages: []Storage{mem("s", "**", "")}}})
}

// putAt puts value under key through cli with the timestamp at, failing
// the test on an error.
func putAt(t testing.TB, cli *store.Client, key, value string, at hlc.Timestamp) {
	t.Helper()
	must(t, cli.Put(testCtx(t), key, []byte(value), store.WithTimestamp(at)))
}

// deleteAt deletes key through cli with the timestamp at, failing the test
// on an error.
func deleteAt(t testing.TB, cli *store.Client, key string, at hlc.Timestamp) {
	t.Helper()
	must(t, cli.Delete(testCtx(t), key, store.WithTimestamp(at)))
}

// entries lists what a store holds, tombstones included, by key.
func entries(t testing.TB, s backend.Store) map[string]backend.Entry {
	t.Helper()
	out := map[string]backend.Entry{}
	must(t, s.Scan(testCtx(t), "", backend.ScanValues, func(e backend.Entry) error {
		out[e.Key] = e
		return nil
	}))
	return out
}
