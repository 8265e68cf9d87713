package fs

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
)

// openBench opens a store in a temporary directory for one benchmark.
func openBench(b *testing.B, opts ...Option) *Store {
	s, err := Open(b.TempDir(), append(opts, quiet())...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// BenchmarkApply overwrites existing keys with 16-byte values, fsync
// included (two per write: the file and its directory).
func BenchmarkApply(b *testing.B) {
	backendtest.BenchApply(b, openBench(b), backendtest.BenchKeys(64))
}

// BenchmarkApplyNoSync is the same without fsync: the cost of the code and
// the file system calls alone.
func BenchmarkApplyNoSync(b *testing.B) {
	backendtest.BenchApply(b, openBench(b, noSync()), backendtest.BenchKeys(64))
}

// BenchmarkApplyParallel writes from many goroutines to different keys:
// writes to different keys proceed in parallel, fsyncs included.
func BenchmarkApplyParallel(b *testing.B) {
	ctx := context.Background()
	s := openBench(b)
	ks := backendtest.BenchKeys(1024)
	var t atomic.Int64
	b.SetParallelism(8)
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
}

// BenchmarkApplyStale is the cost of refusing an older write (one header
// read, no write).
func BenchmarkApplyStale(b *testing.B) { backendtest.BenchApplyStale(b, openBench(b)) }

func BenchmarkGet(b *testing.B) {
	s := openBench(b, noSync())
	ks := backendtest.BenchKeys(1000)
	backendtest.Fill(b, s, ks)
	backendtest.BenchGet(b, s, ks)
}

// BenchmarkScanPrefix scans the 100 keys under one prefix among 10 000:
// only that prefix's directory is listed.
func BenchmarkScanPrefix(b *testing.B) {
	s := openBench(b, noSync())
	prefix := backendtest.FillGroups(b, s, 100)
	for _, mode := range []backend.ScanMode{backend.ScanMeta, backend.ScanValues} {
		b.Run(mode.String(), func(b *testing.B) { backendtest.BenchScan(b, s, prefix, mode, 100) })
	}
}

func BenchmarkKeyPath(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = keyPath("demo/sensors/Room-12/temperature")
	}
}

func BenchmarkPathKey(b *testing.B) {
	p := keyPath("demo/sensors/Room-12/temperature")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pathKey(p); err != nil {
			b.Fatal(err)
		}
	}
}
