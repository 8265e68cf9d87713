package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

// TestApplyBatch: a batch applies its entries in order as Apply would —
// against what the store holds (remembered or read), against earlier
// entries of the batch for the same key — and what it stored survives a
// reopen; a malformed entry stores nothing.
func TestApplyBatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openDir(t, dir)
	at := func(key string, ts int64) backend.Entry {
		return backend.Entry{Key: key, Value: []byte(fmt.Sprint(ts)), Timestamp: hlc.Timestamp{Time: ts}}
	}
	backendtest.MustApply(t, s, at("held", 10), true)
	backendtest.MustApply(t, s, backend.Entry{Key: "gone", Deleted: true, Timestamp: hlc.Timestamp{Time: 10}}, true)
	es := []backend.Entry{
		at("new", 5),
		at("held", 9),  // older than what the store holds
		at("held", 11), // newer
		at("new", 7),   // newer than the batch's own
		at("new", 6),   // older than the batch's own
		at("gone", 10), // as new as the tombstone
		at("held", 11), // as new as the batch's own
	}
	want := []bool{true, false, true, true, false, false, false}
	applied := make([]bool, len(es))
	if err := s.ApplyBatch(ctx, es, applied); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if applied[i] != want[i] {
			t.Errorf("entry %d (%s at %d): applied %v, want %v", i, es[i].Key, es[i].Timestamp.Time, applied[i], want[i])
		}
	}
	check := func(what string) {
		t.Helper()
		for key, v := range map[string]string{"new": "7", "held": "11"} {
			if e, ok, err := s.Get(ctx, key); err != nil || !ok || string(e.Value) != v {
				t.Errorf("%s: %s = %+v, %v, %v; want %s", what, key, e, ok, err, v)
			}
		}
		if e, ok, err := s.Get(ctx, "gone"); err != nil || !ok || !e.Deleted {
			t.Errorf("%s: gone = %+v, %v, %v; want its tombstone", what, e, ok, err)
		}
	}
	check("after the batch")
	// Remembered as written: an older single put is refused.
	backendtest.MustApply(t, s, at("new", 6), false)
	// A malformed entry: nothing of the batch is stored.
	err := s.ApplyBatch(ctx, []backend.Entry{at("new", 20), {Key: "bad"}}, make([]bool, 2))
	if !errors.Is(err, backend.ErrInvalidEntry) {
		t.Fatalf("a batch with an entry without timestamp: %v", err)
	}
	if err := s.ApplyBatch(ctx, es, make([]bool, 1)); !errors.Is(err, backend.ErrInvalidEntry) {
		t.Fatalf("results slice of the wrong length: %v", err)
	}
	check("after the refused batches")
	backendtest.MustClose(t, s)
	s = openDir(t, dir)
	defer backendtest.MustClose(t, s)
	check("reopened")
}

// TestApplyBatchConcurrent: batches and single puts race on a few keys;
// each key ends holding its newest timestamp, whatever the interleaving.
func TestApplyBatchConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openDir(t, t.TempDir())
	defer backendtest.MustClose(t, s)
	const keys, rounds, writers = 8, 40, 6
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				ts := int64(r*writers + w + 1)
				es := make([]backend.Entry, 0, keys)
				for k := range keys {
					es = append(es, backend.Entry{Key: fmt.Sprint("k", (k+w)%keys), Value: []byte(fmt.Sprint(ts)), Timestamp: hlc.Timestamp{Time: ts}})
				}
				if w%2 == 0 {
					if err := s.ApplyBatch(ctx, es, make([]bool, len(es))); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				for _, e := range es {
					if _, err := s.Apply(ctx, e); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	newest := fmt.Sprint(rounds * writers)
	for k := range keys {
		if e, ok, err := s.Get(ctx, fmt.Sprint("k", k)); err != nil || !ok || string(e.Value) != newest {
			t.Errorf("k%d = %q, %v, %v; want %s", k, e.Value, ok, err, newest)
		}
	}
}

// TestApplyBatchReplacesBlob: a batch entry that supersedes a blob removes
// the blob file once its own entry is stored.
func TestApplyBatchReplacesBlob(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := Open(Config{Root: root, MinFreeSpace: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer backendtest.MustClose(t, s)
	big := bytes.Repeat([]byte("0123456789abcdef"), (InlineMax+100)/16)
	backendtest.MustPutStream(t, s, backend.StreamEntry{Entry: backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 1}},
		Size: int64(len(big)), Hash: [32]byte{7}}, big, true)
	if n := blobs(t, root); len(n) != 1 {
		t.Fatalf("blobs after a large put: %v", n)
	}
	applied := make([]bool, 1)
	if err := s.ApplyBatch(ctx, []backend.Entry{{Key: "k", Value: []byte("small"), Timestamp: hlc.Timestamp{Time: 2}}}, applied); err != nil || !applied[0] {
		t.Fatalf("batch over a blob: %v, applied %v", err, applied)
	}
	if n := blobs(t, root); len(n) != 0 {
		t.Fatalf("blobs after the batch replaced it: %v", n)
	}
	if e, ok, err := s.Get(ctx, "k"); err != nil || !ok || string(e.Value) != "small" {
		t.Fatalf("Get: %+v %v %v", e, ok, err)
	}
}
