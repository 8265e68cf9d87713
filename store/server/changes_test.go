package server

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Subscribe gives every applied put and delete, one per storage that
// applied it, with the full key, until cancelled.
func TestSubscribeSeesAppliedChanges(t *testing.T) {
	f := start(t, setup{opts: Options{Storages: []Storage{mem("a", "k/**", "k"), mem("b", "k/x/**", "")}}})
	ctx := testCtx(t)
	var mu sync.Mutex
	var got []string
	cancel := f.srv.Subscribe(func(c Change) {
		mu.Lock()
		defer mu.Unlock()
		s := c.Storage + " " + c.Key
		if c.Deleted {
			s += " deleted"
		} else {
			s += " " + string(c.Value) + " " + c.Encoding
		}
		if c.Timestamp.IsZero() {
			s += " no timestamp"
		}
		got = append(got, s)
	})
	must(t, f.cli.Put(ctx, "k/1", []byte("v1")))
	must(t, f.cli.Put(ctx, "k/x/2", []byte("v2")))
	must(t, f.cli.Delete(ctx, "k/1"))
	cancel()
	cancel() // twice is harmless
	must(t, f.cli.Put(ctx, "k/3", []byte("after cancel")))
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	want := []string{"a k/1 deleted", "a k/1 v1 ", "a k/x/2 v2 ", "b k/x/2 v2 "}
	if !slices.Equal(got, want) {
		t.Fatalf("changes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f.srv.watched() {
		t.Fatal("still watched after cancel")
	}
}

// Peers lists the connected clients, and forgets one that leaves.
func TestPeers(t *testing.T) {
	f := startOne(t)
	ctx := testCtx(t)
	must(t, f.cli.Put(ctx, "x", []byte("v"))) // the client has handshaken
	deadline := time.Now().Add(time.Minute)
	for len(f.srv.Peers()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("peers %v, want the one client", f.srv.Peers())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p := f.srv.Peers()[0]
	if !strings.HasPrefix(p.Remote, "127.0.0.1:") || p.Endpoint != f.ep || p.Since.IsZero() {
		t.Fatalf("peer %+v (endpoint %s)", p, f.ep)
	}
	two := f.client(t)
	must(t, two.Put(ctx, "y", []byte("v")))
	for len(f.srv.Peers()) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("peers %v, want two", f.srv.Peers())
		}
		time.Sleep(10 * time.Millisecond)
	}
	two.Close()
	for len(f.srv.Peers()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("peers %v after one client left, want one", f.srv.Peers())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
