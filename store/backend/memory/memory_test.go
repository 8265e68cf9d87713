package memory

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backend.Store { return New() })
}

func TestConformanceThroughVolume(t *testing.T) {
	v, err := backend.NewVolume(context.Background(), Kind, nil)
	if err != nil {
		t.Fatal(err)
	}
	backendtest.CloseOnCleanup(t, v)
	n := 0
	backendtest.Run(t, func(t *testing.T) backend.Store {
		n++
		s, err := v.Open(context.Background(), fmt.Sprint("storage", n), backend.StorageConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestIndexMatchesSortedSet drives the skip list with random inserts and
// removes and compares it, after every step, with a sorted slice.
func TestIndexMatchesSortedSet(t *testing.T) {
	ix := newIndex()
	var want []string
	rng := rand.New(rand.NewPCG(3, 4))
	for step := range 5000 {
		k := fmt.Sprintf("k%03d", rng.IntN(400))
		i, found := slices.BinarySearch(want, k)
		if rng.IntN(3) == 0 {
			if got := ix.remove(k); got != found {
				t.Fatalf("step %d: remove(%q) = %v, want %v", step, k, got, found)
			}
			if found {
				want = slices.Delete(want, i, i+1)
			}
		} else {
			if got := ix.insert(k); got == found {
				t.Fatalf("step %d: insert(%q) = %v, want %v", step, k, got, !found)
			}
			if !found {
				want = slices.Insert(want, i, k)
			}
		}
		if ix.n != len(want) {
			t.Fatalf("step %d: n = %d, want %d", step, ix.n, len(want))
		}
		if step%500 == 0 || step == 4999 {
			var got []string
			for n := ix.seek(""); n != nil; n = n.next[0] {
				got = append(got, n.key)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: index holds %q, want %q", step, got, want)
			}
		}
		probe := fmt.Sprintf("k%03d", rng.IntN(400))
		j, _ := slices.BinarySearch(want, probe)
		n := ix.seek(probe)
		switch {
		case j == len(want) && n != nil:
			t.Fatalf("step %d: seek(%q) = %q, want nil", step, probe, n.key)
		case j < len(want) && (n == nil || n.key != want[j]):
			t.Fatalf("step %d: seek(%q) = %v, want %q", step, probe, n, want[j])
		}
	}
}

func TestLenCountsTombstones(t *testing.T) {
	s := New()
	defer s.Close(context.Background())
	ctx := context.Background()
	ts := hlc.Timestamp{Time: 1}
	for _, e := range []backend.Entry{{Key: "a", Value: []byte("v"), Timestamp: ts}, {Key: "b", Timestamp: ts, Deleted: true}} {
		if ok, err := s.Apply(ctx, e); !ok || err != nil {
			t.Fatalf("Apply(%q) = %v, %v", e.Key, ok, err)
		}
	}
	if got := s.Len(); got != 2 {
		t.Fatalf("Len = %d, want 2", got)
	}
	if n, err := s.Collect(ctx, time.Unix(0, 2)); n != 1 || err != nil || s.Len() != 1 {
		t.Fatalf("after Collect removed %d (%v): Len = %d, want 1", n, err, s.Len())
	}
}

func TestVolumeNilContext(t *testing.T) {
	backendtest.RunVolumeNilContext(t, Kind, nil, backend.StorageConfig{})
}

func TestVolume(t *testing.T) {
	ctx := context.Background()
	v := NewVolume()
	s, err := v.Open(ctx, "one", backend.StorageConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(ctx, "one", backend.StorageConfig{}); !errors.Is(err, backend.ErrInUse) {
		t.Fatalf("second Open of an open storage: %v, want ErrInUse", err)
	}
	if _, err := v.Open(ctx, "two", backend.StorageConfig{Options: backend.Options{"dir": "x"}}); !errors.Is(err, backend.ErrInvalidConfig) {
		t.Fatalf("Open with an unknown option: %v, want ErrInvalidConfig", err)
	}
	ro, err := v.Open(ctx, "ro", backend.StorageConfig{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Apply(ctx, backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 1}}); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("Apply on a read-only storage: %v, want ErrReadOnly", err)
	}
	if _, err := ro.Collect(ctx, time.Now()); !errors.Is(err, backend.ErrReadOnly) {
		t.Fatalf("Collect on a read-only storage: %v, want ErrReadOnly", err)
	}
	if _, ok, err := ro.Get(ctx, "k"); ok || err != nil {
		t.Fatalf("Get on a read-only storage = %v, %v", ok, err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s2, err := v.Open(ctx, "one", backend.StorageConfig{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	if err := v.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s2.Get(ctx, "k"); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Get on a store of a closed volume: %v, want ErrClosed", err)
	}
	if _, err := ro.Apply(ctx, backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 1}}); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Apply on a closed read-only store: %v, want ErrClosed", err)
	}
	if _, err := v.Open(ctx, "three", backend.StorageConfig{}); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Open on a closed volume: %v, want ErrClosed", err)
	}
	if err := v.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestRegisteredAsMemory(t *testing.T) {
	if !slices.Contains(backend.Kinds(), "memory") {
		t.Fatalf("Kinds() = %v, want memory among them", backend.Kinds())
	}
	if _, err := backend.NewVolume(context.Background(), "memory", backend.Options{"root": "/x"}); !errors.Is(err, backend.ErrInvalidConfig) {
		t.Fatalf("memory volume with an option: %v, want ErrInvalidConfig", err)
	}
}
