package memory

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

var value16 = []byte("0123456789abcdef")

func keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("demo/sensors/%d/temperature", i)
	}
	return ks
}

// BenchmarkApplyOverwrite rewrites existing keys with newer timestamps: the
// common write path (one shard lock, no index change).
func BenchmarkApplyOverwrite(b *testing.B) {
	ctx := context.Background()
	s := New()
	defer s.Close(ctx)
	ks := keys(1024)
	var t int64
	b.ReportAllocs()
	for b.Loop() {
		t++
		if _, err := s.Apply(ctx, backend.Entry{Key: ks[t&1023], Value: value16, Timestamp: hlc.Timestamp{Time: t}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyNewKey inserts fresh keys (shard and index).
func BenchmarkApplyNewKey(b *testing.B) {
	ctx := context.Background()
	s := New()
	defer s.Close(ctx)
	ks := keys(1 << 20)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == len(ks) {
			b.StopTimer()
			s.Close(ctx)
			s, i = New(), 0
			b.StartTimer()
		}
		if _, err := s.Apply(ctx, backend.Entry{Key: ks[i], Value: value16, Timestamp: hlc.Timestamp{Time: 1}}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkApplyStale is the cost of refusing an older write.
func BenchmarkApplyStale(b *testing.B) {
	ctx := context.Background()
	s := New()
	defer s.Close(ctx)
	s.Apply(ctx, backend.Entry{Key: "k", Value: value16, Timestamp: hlc.Timestamp{Time: 10}})
	e := backend.Entry{Key: "k", Value: value16, Timestamp: hlc.Timestamp{Time: 1}}
	b.ReportAllocs()
	for b.Loop() {
		if applied, _ := s.Apply(ctx, e); applied {
			b.Fatal("stale write applied")
		}
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s := New()
	defer s.Close(ctx)
	ks := keys(100_000)
	for _, k := range ks {
		s.Apply(ctx, backend.Entry{Key: k, Value: value16, Timestamp: hlc.Timestamp{Time: 1}})
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := s.Get(ctx, ks[i%len(ks)]); !ok {
			b.Fatal("missing")
		}
		i++
	}
}

// BenchmarkParallelMixed runs 90% Get and 10% Apply from GOMAXPROCS
// goroutines over 100k keys.
func BenchmarkParallelMixed(b *testing.B) {
	ctx := context.Background()
	s := New()
	defer s.Close(ctx)
	ks := keys(100_000)
	for _, k := range ks {
		s.Apply(ctx, backend.Entry{Key: k, Value: value16, Timestamp: hlc.Timestamp{Time: 1}})
	}
	var clock atomic.Int64
	clock.Store(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(clock.Add(7919))
		for pb.Next() {
			i++
			k := ks[i%len(ks)]
			if i%10 == 0 {
				s.Apply(ctx, backend.Entry{Key: k, Value: value16, Timestamp: hlc.Timestamp{Time: clock.Add(1)}})
			} else {
				s.Get(ctx, k)
			}
		}
	})
}

// BenchmarkScanPrefix scans 100 of 100k keys by prefix: the cost is in the
// matching keys, not the store's size.
func BenchmarkScanPrefix(b *testing.B) {
	ctx := context.Background()
	s := New()
	defer s.Close(ctx)
	for i := range 100_000 {
		k := fmt.Sprintf("demo/%04d/%02d", i/100, i%100)
		s.Apply(ctx, backend.Entry{Key: k, Value: value16, Timestamp: hlc.Timestamp{Time: 1}})
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		s.Scan(ctx, "demo/0500/", backend.ScanValues, func(backend.Entry) error { n++; return nil })
		if n != 100 {
			b.Fatalf("scanned %d, want 100", n)
		}
	}
}
