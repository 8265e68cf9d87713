package engine

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
)

// openBench opens a store alone in an engine in a temporary directory.
func openBench(b *testing.B, cfg Config) *Store {
	cfg.Root, cfg.Logger = b.TempDir(), quiet
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// BenchmarkApply overwrites existing keys with 16-byte values from one
// goroutine, each write synced.
func BenchmarkApply(b *testing.B) {
	backendtest.BenchApply(b, openBench(b, Config{}), backendtest.BenchKeys(64))
}

// BenchmarkApplyParallel writes from 64 goroutines to different keys:
// their writes share the log's syncs.
func BenchmarkApplyParallel(b *testing.B) {
	ctx := context.Background()
	s := openBench(b, Config{})
	ks := backendtest.BenchKeys(1024)
	var t atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := t.Add(1)
			if _, err := s.Apply(ctx, backendtest.Entry16(ks[n%1024], n)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkApplyStale is the cost of refusing an older write.
func BenchmarkApplyStale(b *testing.B) { backendtest.BenchApplyStale(b, openBench(b, Config{})) }

func BenchmarkGet(b *testing.B) {
	s := openBench(b, Config{SyncWindow: DefaultSyncWindow})
	ks := backendtest.BenchKeys(1000)
	backendtest.Fill(b, s, ks)
	backendtest.BenchGet(b, s, ks)
}

// BenchmarkScanPrefix scans the 100 keys under one prefix among 10 000:
// a range of the engine's keys.
func BenchmarkScanPrefix(b *testing.B) {
	s := openBench(b, Config{SyncWindow: DefaultSyncWindow})
	prefix := backendtest.FillGroups(b, s, 100)
	for _, mode := range []backend.ScanMode{backend.ScanMeta, backend.ScanValues} {
		b.Run(mode.String(), func(b *testing.B) { backendtest.BenchScan(b, s, prefix, mode, 100) })
	}
}
