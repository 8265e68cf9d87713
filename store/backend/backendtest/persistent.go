package backendtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
)

// RunPersistent checks what a durable store keeps across Close and a new
// Open of the same data. newLocation makes a fresh, empty location (a
// directory, a bucket) for one test and returns an Opener for it; each call
// of that Opener opens the same location again. RunPersistent closes each
// store before opening the next.
func RunPersistent(t *testing.T, newLocation func(t *testing.T) Opener) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"EntriesSurviveReopen", testEntriesSurvive},
		{"TombstoneBlocksOlderPutAfterReopen", testTombstoneSurvives},
		{"CollectedStaysCollected", testCollectedStaysCollected},
		{"WritesAfterReopen", testWritesAfterReopen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newLocation(t)) })
	}
}

// reopen closes s and opens the same location again.
func reopen(t *testing.T, s backend.Store, open Opener) backend.Store {
	t.Helper()
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t)
	CloseOnCleanup(t, s)
	return s
}

func testEntriesSurvive(t *testing.T, open Opener) {
	s := open(t)
	var all []backend.Entry
	big := []byte(strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB
	all = append(all,
		backend.Entry{Key: "big", Value: big, Encoding: "application/octet-stream", Timestamp: at(0)},
		put("", "empty key", at(1)),
		backend.Entry{Key: "no/value", Timestamp: at(2)},
		del("deleted", at(3)),
	)
	for i, k := range append(hostileKeys(), scanKeys...) {
		e := put(k, fmt.Sprint("v", i), at(time.Duration(10+i)))
		if i%3 == 0 {
			e = del(k, e.Timestamp)
		}
		if _, exists := find(all, k); exists {
			continue
		}
		all = append(all, e)
	}
	for _, e := range all {
		MustApply(t, s, e, true)
	}
	s = reopen(t, s, open)
	for _, e := range all {
		MustGet(t, s, e)
	}
	checkScan(t, s, "", all)
	checkScan(t, s, "a/", all)
}

func find(es []backend.Entry, key string) (backend.Entry, bool) {
	for _, e := range es {
		if e.Key == key {
			return e, true
		}
	}
	return backend.Entry{}, false
}

func testTombstoneSurvives(t *testing.T, open Opener) {
	s := open(t)
	MustApply(t, s, put("k", "v1", at(0)), true)
	tomb := del("k", at(3*time.Second))
	MustApply(t, s, tomb, true)
	s = reopen(t, s, open)
	MustGet(t, s, tomb)
	MustApply(t, s, put("k", "stale put after restart", at(2*time.Second)), false)
	MustGet(t, s, tomb)
}

func testCollectedStaysCollected(t *testing.T, open Opener) {
	s := open(t)
	MustApply(t, s, del("old", at(-2*time.Hour)), true)
	keep := del("new", at(0))
	MustApply(t, s, keep, true)
	if n, err := s.Collect(context.Background(), base.Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("Collect = %d, %v; want 1, nil", n, err)
	}
	s = reopen(t, s, open)
	mustMiss(t, s, "old")
	MustGet(t, s, keep)
	checkScan(t, s, "", []backend.Entry{keep})
}

func testWritesAfterReopen(t *testing.T, open Opener) {
	s := open(t)
	MustApply(t, s, put("k", "v1", at(0)), true)
	s = reopen(t, s, open)
	MustApply(t, s, put("k", "older", at(-time.Second)), false)
	v2 := put("k", "v2", at(time.Second))
	MustApply(t, s, v2, true)
	s = reopen(t, s, open)
	MustGet(t, s, v2)
}

// RunVolumeNilContext checks that a nil context.Context is refused with an
// error matching backend.ErrInvalidInput by backend.NewVolume of kind, and
// by Open and Close of a volume built from opts (Open with cfg); the
// volume stays usable, and is closed at the end. It needs no running
// service: nothing is contacted before the context is checked.
func RunVolumeNilContext(t *testing.T, kind string, opts backend.Options, cfg backend.StorageConfig) {
	t.Helper()
	var nilCtx context.Context
	ctx := context.Background()
	if _, err := backend.NewVolume(nilCtx, kind, opts); !errors.Is(err, backend.ErrInvalidInput) {
		t.Errorf("NewVolume(%s) with a nil context: %v, want ErrInvalidInput", kind, err)
	}
	v, err := backend.NewVolume(ctx, kind, opts)
	if err != nil {
		t.Fatalf("NewVolume(%s): %v", kind, err)
	}
	if _, err := v.Open(nilCtx, "nil-context", cfg); !errors.Is(err, backend.ErrInvalidInput) {
		t.Errorf("Open with a nil context: %v, want ErrInvalidInput", err)
	}
	if err := v.Close(nilCtx); !errors.Is(err, backend.ErrInvalidInput) {
		t.Errorf("Close with a nil context: %v, want ErrInvalidInput", err)
	}
	if err := v.Close(ctx); err != nil {
		t.Errorf("Close after the refusals: %v", err)
	}
}
