package memory

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
)

// newBench returns a store closed when the benchmark ends.
func newBench(b *testing.B) *Store {
	s := New()
	b.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// BenchmarkApplyOverwrite rewrites existing keys with newer timestamps: the
// common write path (one shard lock, no index change).
func BenchmarkApplyOverwrite(b *testing.B) {
	backendtest.BenchApply(b, newBench(b), backendtest.BenchKeys(1024))
}

// BenchmarkApplyNewKey inserts fresh keys (shard and index).
func BenchmarkApplyNewKey(b *testing.B) {
	ctx := context.Background()
	s := New()
	defer func() { s.Close(ctx) }()
	ks := backendtest.BenchKeys(1 << 20)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == len(ks) {
			b.StopTimer()
			s.Close(ctx)
			s, i = New(), 0
			b.StartTimer()
		}
		if _, err := s.Apply(ctx, backendtest.Entry16(ks[i], 1)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkApplyStale is the cost of refusing an older write.
func BenchmarkApplyStale(b *testing.B) { backendtest.BenchApplyStale(b, newBench(b)) }

func BenchmarkGet(b *testing.B) {
	s := newBench(b)
	ks := backendtest.BenchKeys(100_000)
	backendtest.Fill(b, s, ks)
	backendtest.BenchGet(b, s, ks)
}

// BenchmarkParallelMixed runs 90% Get and 10% Apply from GOMAXPROCS
// goroutines over 100k keys.
func BenchmarkParallelMixed(b *testing.B) {
	ctx := context.Background()
	s := newBench(b)
	ks := backendtest.BenchKeys(100_000)
	backendtest.Fill(b, s, ks)
	var clock atomic.Int64
	clock.Store(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(clock.Add(7919))
		for pb.Next() {
			i++
			k := ks[i%len(ks)]
			if i%10 == 0 {
				s.Apply(ctx, backendtest.Entry16(k, clock.Add(1)))
			} else {
				s.Get(ctx, k)
			}
		}
	})
}

// BenchmarkScanPrefix scans 100 of 100k keys by prefix: the cost is in the
// matching keys, not the store's size.
func BenchmarkScanPrefix(b *testing.B) {
	s := newBench(b)
	prefix := backendtest.FillGroups(b, s, 1000)
	backendtest.BenchScan(b, s, prefix, backend.ScanValues, 100)
}
