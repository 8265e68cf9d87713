package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/internal/storetest"
	"github.com/zmesh/zmesh/store/server"
)

var (
	quiet = storetest.Quiet
	must  = storetest.Must
)

func testCtx(t testing.TB) context.Context { return storetest.Context(t, 2*time.Minute) }

// env is a storage server serving its socket and its HTTP face, with a
// socket client.
type env struct {
	t    testing.TB
	srv  *server.Server
	url  string
	cli  *store.Client
	http *http.Client
}

func mem(name, ke string) server.Storage {
	return server.Storage{Name: name, KeyExpr: ke, Store: memory.New(), Volume: "memory"}
}

// newEnv starts a server with opts (Socket filled in) and its HTTP face.
func newEnv(t testing.TB, opts server.Options, hopts httpapi.Options) *env {
	t.Helper()
	zctx := socket.NewCtx(quiet)
	t.Cleanup(func() { zctx.Close() })
	sock, ep := storetest.ServerSocket(t, zctx)
	opts.Socket = sock
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	srv, err := server.NewServer(testCtx(t), opts)
	must(t, err)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		// ErrClosed: a test that ends at once may clean up (Close) before
		// this goroutine got to Serve.
		if err := srv.Serve(ctx); err != nil && !errors.Is(err, server.ErrClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	t.Cleanup(func() {
		stop()
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		wg.Wait()
	})
	if hopts.Logger == nil {
		hopts.Logger = quiet
	}
	hs := httptest.NewServer(httpapi.NewHandler(srv, hopts))
	t.Cleanup(hs.Close)
	cli, err := store.Connect(ep, store.ClientOptions{Ctx: zctx, Logger: quiet, Timeout: 30 * time.Second})
	must(t, err)
	t.Cleanup(func() { cli.Close() })
	hc := hs.Client()
	hc.Timeout = 60 * time.Second
	return &env{t: t, srv: srv, url: hs.URL, cli: cli, http: hc}
}

// do sends one request and returns the status code, the body and the
// headers.
func (e *env) do(method, path, contentType string, body io.Reader, header ...string) (int, string, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	must(e.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.http.Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(e.t, err)
	return resp.StatusCode, string(b), resp.Header
}

// want sends a request and checks its status code; it returns the body.
func (e *env) want(code int, method, path, contentType, body string, header ...string) string {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	got, b, _ := e.do(method, path, contentType, r, header...)
	if got != code {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, got, b, code)
	}
	return b
}

// samples decodes a GET's JSON answer.
func samples(t testing.TB, body string) []httpapi.Sample {
	t.Helper()
	var out []httpapi.Sample
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("answer is not a JSON array of samples: %v\n%s", err, body)
	}
	return out
}

// errorText decodes an error answer and checks that it explains itself.
func errorText(t testing.TB, body string) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("error answer without a message: %q", body)
	}
	return e.Error
}

// flakyStore is a memory store whose calls fail, as a backend whose medium
// is down, while down is set.
type flakyStore struct {
	backend.Store
	down atomic.Bool
}

var errDown = errors.New("connection refused")

func (f *flakyStore) fail(op string) error {
	if f.down.Load() {
		return backend.Fail(op, errDown)
	}
	return nil
}

func (f *flakyStore) Apply(ctx context.Context, e backend.Entry) (bool, error) {
	if err := f.fail("apply"); err != nil {
		return false, err
	}
	return f.Store.Apply(ctx, e)
}

func (f *flakyStore) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	if err := f.fail("get"); err != nil {
		return backend.Entry{}, false, err
	}
	return f.Store.Get(ctx, key)
}

func (f *flakyStore) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	if err := f.fail("scan"); err != nil {
		return err
	}
	return f.Store.Scan(ctx, prefix, mode, fn)
}

// eventually polls cond until it holds, failing the test after a minute.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
