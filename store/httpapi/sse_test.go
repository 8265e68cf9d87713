package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// sseEvent is one server-sent event as a client parses it.
type sseEvent struct {
	name, data string
}

// openStream starts GET path with Accept: text/event-stream and returns
// the stream's events and a function that ends it.
func (e *env) openStream(path string) (<-chan sseEvent, *http.Response, func()) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+path, nil)
	must(e.t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := e.http.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	events := make(chan sseEvent, 64)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	})
	stop := func() {
		cancel()
		resp.Body.Close()
		wg.Wait()
	}
	e.t.Cleanup(stop)
	return events, resp, stop
}

func next(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30s")
	}
	return sseEvent{}
}

// Puts and deletes of matching keys arrive as PUT and DELETE events
// carrying a Sample and the storage; other keys do not.
func TestEventStreamCarriesChangesOfMatchingKeys(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**"), mem("other", "other/**")}}, httpapi.Options{})
	events, resp, _ := e.openStream("/demo/**")
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Fatalf("Cache-Control %q", cc)
	}
	// The stream is subscribed once its first bytes arrived (the retry
	// line is written after Subscribe), so what follows cannot be missed.
	e.want(200, "PUT", "/other/x", "text/plain", "not for this stream")
	e.want(200, "PUT", "/demo/a", "text/plain", "line1\nline2")
	e.want(200, "PUT", "/demo/j", "application/json", `{"n": 1}`)
	e.want(200, "DELETE", "/demo/a", "", "")
	big := strings.Repeat("x", httpapi.StreamMaxValue+1)
	e.want(200, "PUT", "/demo/big", "text/plain", big)

	want := []struct{ name, key, value, enc string }{
		{"PUT", "demo/a", `"line1\nline2"`, "text/plain"},
		{"PUT", "demo/j", `{"n":1}`, "application/json"},
		{"DELETE", "demo/a", "null", ""},
		{"PUT", "demo/big", "null", "text/plain"},
	}
	for _, w := range want {
		ev := next(t, events)
		var got httpapi.EventChange
		if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
			t.Fatalf("event %q: data is not JSON: %v", ev.name, err)
		}
		if ev.name != w.name || got.Key != w.key || string(got.Value) != w.value || got.Encoding != w.enc || got.Storage != "demo" || got.Timestamp == "" {
			t.Fatalf("event %s %s, want %s key %s value %s encoding %q storage demo", ev.name, ev.data, w.name, w.key, w.value, w.enc)
		}
		if big := w.key == "demo/big"; got.Truncated != big || big && got.Size != httpapi.StreamMaxValue+1 {
			t.Fatalf("event %s: truncated %v size %d", ev.data, got.Truncated, got.Size)
		}
	}
}

func TestEventStreamRefusesBadKeyExpr(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{})
	b := e.want(400, "GET", "/demo/**/**", "", "", "Accept", "text/event-stream")
	errorText(t, b)
}

// CloseStreams (what Serve calls at shutdown) ends every stream with a
// close event.
func TestEventStreamEndsWhenClosed(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{})
	h := httpapi.NewHandler(e.srv, httpapi.Options{Logger: quiet})
	hs := httptest.NewServer(h)
	defer hs.Close()
	e2 := *e
	e2.url = hs.URL
	events, _, _ := e2.openStream("/**")
	h.CloseStreams()
	if ev := next(t, events); ev.name != "close" {
		t.Fatalf("got %q %s, want a close event", ev.name, ev.data)
	}
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("the stream went on after its close event")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stream did not end")
	}
}

// Serve shuts down with streams open without waiting for them: they end,
// so its graceful shutdown completes and it never gives up on requests
// still in flight after ShutdownTimeout (which it would log).
func TestServeEndsEventStreamsAtShutdown(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logged bytes.Buffer // written by Serve before done, read after
	logger := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() {
		done <- httpapi.Serve(ctx, ln, httpapi.NewHandler(e.srv, httpapi.Options{Logger: quiet}), logger)
	}()
	e2 := *e
	e2.url = "http://" + ln.Addr().String()
	events, _, _ := e2.openStream("/**")
	e2.want(200, "PUT", "/demo/x", "text/plain", "v")
	if ev := next(t, events); ev.name != "PUT" {
		t.Fatalf("got %q, want PUT", ev.name)
	}
	stop()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(httpapi.ShutdownTimeout + 20*time.Second):
		t.Fatal("Serve did not return")
	}
	if strings.Contains(logged.String(), "still in flight") {
		t.Fatalf("Serve waited out its shutdown timeout for the stream: %s", logged.String())
	}
}

// blockingWriter is a ResponseWriter whose writes after the first wait
// until release is closed: a client that stopped reading.
type blockingWriter struct {
	header  http.Header
	mu      sync.Mutex
	writes  int
	out     strings.Builder
	release chan struct{}
	first   chan struct{}
	blocked chan struct{} // closed when the second write starts waiting
}

func (b *blockingWriter) Header() http.Header { return b.header }
func (b *blockingWriter) WriteHeader(int)     {}
func (b *blockingWriter) Flush()              {}
func (b *blockingWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.writes++
	n := b.writes
	b.mu.Unlock()
	switch n {
	case 1:
		close(b.first)
	case 2:
		close(b.blocked)
		<-b.release
	default:
		<-b.release
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.Write(p)
}

// A client that falls behind costs at most StreamMaxEvents queued events:
// past them its stream gets an overflow event saying how many were
// dropped, and ends.
func TestEventStreamDropsClientThatFallsBehind(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{})
	h := httpapi.NewHandler(e.srv, httpapi.Options{Logger: quiet})
	w := &blockingWriter{header: http.Header{}, release: make(chan struct{}), first: make(chan struct{}), blocked: make(chan struct{})}
	req := httptest.NewRequest("GET", "/demo/**", nil)
	req.Header.Set("Accept", "text/event-stream")
	served := make(chan struct{})
	go func() { defer close(served); h.ServeHTTP(w, req) }()
	<-w.first
	ctx := testCtx(t)
	put := func(i int) {
		must(t, e.srv.Do(ctx, proto.Message{Kind: proto.KindPut, Key: fmt.Sprintf("demo/k%d", i), Value: []byte("v"), Encoding: "text/plain"}, nil))
	}
	// The first event wakes the writer, which then blocks writing it; the
	// next StreamMaxEvents fill the queue, and the ones after overflow.
	const extra = 10
	put(0)
	<-w.blocked
	for i := range httpapi.StreamMaxEvents + extra {
		put(i + 1)
	}
	close(w.release)
	select {
	case <-served:
	case <-time.After(60 * time.Second):
		t.Fatal("the stream did not end")
	}
	out := w.out.String()
	if n := strings.Count(out, "event: PUT\n"); n > httpapi.StreamMaxEvents+1 {
		t.Fatalf("%d events written, more than the bound %d + the one in flight", n, httpapi.StreamMaxEvents)
	}
	i := strings.Index(out, "event: overflow\n")
	if i < 0 || !strings.HasSuffix(out, "\n\n") || strings.Contains(out[i:], "event: PUT") {
		t.Fatalf("no overflow event at the end of the stream:\n%s", out[max(0, len(out)-400):])
	}
	if !strings.Contains(out[i:], fmt.Sprintf(`"dropped":%d`, extra)) {
		t.Fatalf("overflow event does not count the %d dropped events: %s", extra, out[i:])
	}
}

// An idle stream gets a heartbeat comment every Options.StreamHeartbeat.
func TestEventStreamHeartbeat(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{StreamHeartbeat: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+"/demo/**", nil)
	must(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := e.http.Do(req)
	must(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	for beats := 0; beats < 3 && sc.Scan(); {
		lines = append(lines, sc.Text())
		if sc.Text() == ": heartbeat" {
			beats++
		}
	}
	if len(lines) < 5 || lines[0] != "retry: 2000" || lines[1] != ": watching demo/**" {
		t.Fatalf("stream began %q", lines)
	}
}

// When the client goes away the stream's handler returns (it is counted in
// the metrics then) and unsubscribes.
func TestEventStreamEndsWhenClientLeaves(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{})
	events, _, stop := e.openStream("/demo/**")
	e.want(200, "PUT", "/demo/x", "text/plain", "v")
	if ev := next(t, events); ev.name != "PUT" {
		t.Fatalf("got %q", ev.name)
	}
	stop()
	eventually(t, "the stream's handler returned", func() bool {
		return strings.Contains(e.want(200, "GET", "/metrics", "", ""), `zmesh_http_requests_total{route="events",method="GET",code="200"} 1`)
	})
	e.want(200, "PUT", "/demo/y", "text/plain", "nobody watching")
}

// A stream outlives the http.Server's ReadTimeout and WriteTimeout (Serve
// sets both to 2 minutes): it gives each write its own deadline (net/http
// clears the read deadline itself once the handler runs).
func TestEventStreamOutlivesServerTimeouts(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{})
	h := httpapi.NewHandler(e.srv, httpapi.Options{Logger: quiet, StreamHeartbeat: 50 * time.Millisecond})
	hs := httptest.NewUnstartedServer(h)
	hs.Config.ReadTimeout = 200 * time.Millisecond
	hs.Config.WriteTimeout = 200 * time.Millisecond
	hs.Start()
	defer hs.Close()
	defer h.CloseStreams()
	e2 := *e
	e2.url = hs.URL
	events, _, _ := e2.openStream("/demo/**")
	time.Sleep(time.Second) // five times both timeouts
	e2.want(200, "PUT", "/demo/late", "text/plain", "still here")
	if ev := next(t, events); ev.name != "PUT" || !strings.Contains(ev.data, "demo/late") {
		t.Fatalf("got %q %s", ev.name, ev.data)
	}
}
