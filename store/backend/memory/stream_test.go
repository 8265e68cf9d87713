package memory

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

func TestByteBudget(t *testing.T) {
	ctx := context.Background()
	v, err := backend.NewVolume(ctx, Kind, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(ctx)
	s, err := v.Open(ctx, "budget", backend.StorageConfig{Options: backend.Options{"max_bytes": 100}})
	if err != nil {
		t.Fatal(err)
	}
	ts := func(n int64) hlc.Timestamp { return hlc.Timestamp{Time: n} }
	apply := func(key string, n int, at int64) error {
		_, err := s.Apply(ctx, backend.Entry{Key: key, Value: make([]byte, n), Timestamp: ts(at)})
		return err
	}
	if err := apply("a", 60, 1); err != nil {
		t.Fatal(err)
	}
	if err := apply("b", 41, 1); !errors.Is(err, backend.ErrFull) {
		t.Fatalf("over the budget: %v, want ErrFull", err)
	}
	if err := apply("b", 40, 1); err != nil {
		t.Fatalf("up to the budget: %v", err)
	}
	st := s.(backend.Streamer)
	e := backend.StreamEntry{Entry: backend.Entry{Key: "c", Timestamp: ts(1)}, Size: 1}
	if _, err := st.PutStream(ctx, e, bytes.NewReader([]byte("x"))); !errors.Is(err, backend.ErrFull) {
		t.Fatalf("streamed put over the budget: %v, want ErrFull", err)
	}
	// Deleting frees the value's bytes; an overwrite needs room for both
	// for a moment.
	if _, err := s.Apply(ctx, backend.Entry{Key: "a", Timestamp: ts(2), Deleted: true}); err != nil {
		t.Fatal(err)
	}
	if applied, err := st.PutStream(ctx, e, bytes.NewReader([]byte("x"))); err != nil || !applied {
		t.Fatalf("streamed put after a delete: %v, %v", applied, err)
	}
	if got := s.(*Store).Used(); got != 41 {
		t.Fatalf("Used = %d, want 41", got)
	}
	if _, err := v.Open(ctx, "negative", backend.StorageConfig{Options: backend.Options{"max_bytes": -1}}); !errors.Is(err, backend.ErrInvalidConfig) {
		t.Fatalf("negative max_bytes: %v", err)
	}
}

func TestReadOnlyStreamer(t *testing.T) {
	ctx := context.Background()
	s := New()
	defer s.Close(ctx)
	e := backend.StreamEntry{Entry: backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 1}}, Size: 2, Hash: [32]byte{1}}
	if _, err := s.PutStream(ctx, e, bytes.NewReader([]byte("hi"))); err != nil {
		t.Fatal(err)
	}
	ro, ok := backend.ReadOnly(s).(backend.Streamer)
	if !ok {
		t.Fatal("ReadOnly of a Streamer is not a Streamer")
	}
	if _, err := ro.PutStream(ctx, e, bytes.NewReader([]byte("hi"))); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("PutStream on a read-only store: %v", err)
	}
	got, rc, ok, err := ro.OpenStream(ctx, "k", 1)
	if err != nil || !ok || got.Hash != e.Hash {
		t.Fatalf("OpenStream through ReadOnly = %+v, %v, %v", got, ok, err)
	}
	rc.Close()
}
