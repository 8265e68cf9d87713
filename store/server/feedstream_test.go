package server

import (
	"bytes"
	"sync"
	"testing"

	"github.com/zmesh/zmesh/store/internal/vstream"
)

// A streamed put is announced on the change feed and to Subscribe like a
// plain put, with its size and BLAKE3 hash and without its value; a small
// put still carries its value.
func TestStreamedPutOnFeedAndSubscribe(t *testing.T) {
	f := start(t, setup{feed: true, opts: Options{Storages: []Storage{mem("big", "big/**", "")}}})
	ctx := testCtx(t)
	var mu sync.Mutex
	var subs []Change
	cancel := f.srv.Subscribe(func(c Change) {
		mu.Lock()
		defer mu.Unlock()
		if c.Key == "big/v" || c.Key == "big/small" {
			c.Value = bytes.Clone(c.Value)
			subs = append(subs, c)
		}
	})
	defer cancel()
	w := watchReady(t, f, "big/**", "big/probe")

	val := randomValue(3<<20, 19)
	hash := [32]byte(vstream.Sum(val))
	must(t, f.cli.PutReader(ctx, "big/v", bytes.NewReader(val), int64(len(val))))
	must(t, f.cli.Put(ctx, "big/small", []byte("tiny")))

	ch, err := w.Next(ctx)
	must(t, err)
	if ch.Key != "big/v" || ch.Deleted || !ch.Omitted || ch.Value != nil || ch.Size != int64(len(val)) ||
		ch.Hash != hash || ch.Timestamp.IsZero() || ch.Storage != "big" {
		t.Fatalf("watcher: streamed put gave %+v", ch)
	}
	ch, err = w.Next(ctx)
	must(t, err)
	if ch.Key != "big/small" || ch.Omitted || string(ch.Value) != "tiny" || ch.Size != 4 {
		t.Fatalf("watcher: small put gave %+v", ch)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(subs) != 2 {
		t.Fatalf("subscriber saw %d changes, want 2: %+v", len(subs), subs)
	}
	if c := subs[0]; c.Key != "big/v" || c.Deleted || !c.Omitted || c.Value != nil || c.Size != int64(len(val)) ||
		c.Hash != hash || c.Timestamp.IsZero() || c.Storage != "big" {
		t.Fatalf("subscriber: streamed put gave %+v", c)
	}
	if c := subs[1]; c.Key != "big/small" || c.Omitted || string(c.Value) != "tiny" || c.Size != 4 || c.Hash != ([32]byte{}) {
		t.Fatalf("subscriber: small put gave %+v", c)
	}
}

// Server.PutStream (the HTTP face's large PUT) is announced like a streamed
// put over the protocol: on the change feed and to Subscribe, with its size
// and without its value (and without a hash, which it does not compute).
func TestLocalPutStreamOnFeedAndSubscribe(t *testing.T) {
	f := start(t, setup{feed: true, opts: Options{Storages: []Storage{mem("big", "big/**", "")}}})
	ctx := testCtx(t)
	got := make(chan Change, 4)
	cancel := f.srv.Subscribe(func(c Change) {
		if c.Key == "big/local" {
			got <- c
		}
	})
	defer cancel()
	w := watchReady(t, f, "big/**", "big/probe")

	val := randomValue(3<<20, 23)
	must(t, f.srv.PutStream(ctx, "big/local", "application/octet-stream", bytes.NewReader(val), int64(len(val))))

	ch, err := w.Next(ctx)
	must(t, err)
	if ch.Key != "big/local" || ch.Deleted || !ch.Omitted || ch.Value != nil || ch.Size != int64(len(val)) ||
		ch.Encoding != "application/octet-stream" || ch.Timestamp.IsZero() {
		t.Fatalf("watcher: PutStream gave %+v", ch)
	}
	select {
	case c := <-got:
		if !c.Omitted || c.Value != nil || c.Size != int64(len(val)) || c.Storage != "big" {
			t.Fatalf("subscriber: PutStream gave %+v", c)
		}
	case <-ctx.Done():
		t.Fatal("the subscriber never saw the PutStream")
	}
}
