package fs

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

var value16 = []byte("0123456789abcdef")

func benchKeys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("demo/sensors/%d/temperature", i)
	}
	return ks
}

// BenchmarkApply overwrites existing keys with 16-byte values, fsync
// included (two per write: the file and its directory).
func BenchmarkApply(b *testing.B) { benchApply(b, nil) }

// BenchmarkApplyNoSync is the same without fsync: the cost of the code and
// the file system calls alone.
func BenchmarkApplyNoSync(b *testing.B) { benchApply(b, []Option{noSync()}) }

func benchApply(b *testing.B, opts []Option) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), append(opts, quiet())...)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	ks := benchKeys(64)
	var t int64
	b.ReportAllocs()
	for b.Loop() {
		t++
		if _, err := s.Apply(ctx, backend.Entry{Key: ks[t%64], Value: value16, Timestamp: hlc.Timestamp{Time: t}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyParallel writes from many goroutines to different keys:
// writes to different keys proceed in parallel, fsyncs included.
func BenchmarkApplyParallel(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	ks := benchKeys(1024)
	var t atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := t.Add(1)
			if _, err := s.Apply(ctx, backend.Entry{Key: ks[n%1024], Value: value16, Timestamp: hlc.Timestamp{Time: n}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkApplyStale is the cost of refusing an older write (one header
// read, no write).
func BenchmarkApplyStale(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	s.Apply(ctx, backend.Entry{Key: "demo/k", Value: value16, Timestamp: hlc.Timestamp{Time: 10}})
	stale := backend.Entry{Key: "demo/k", Value: value16, Timestamp: hlc.Timestamp{Time: 1}}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := s.Apply(ctx, stale); ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), quiet(), noSync())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	ks := benchKeys(1000)
	for _, k := range ks {
		s.Apply(ctx, backend.Entry{Key: k, Value: value16, Timestamp: hlc.Timestamp{Time: 1}})
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.Get(ctx, ks[i%len(ks)]); !ok || err != nil {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkScanPrefix scans the 100 keys under one prefix among 10 000:
// only that prefix's directory is listed.
func BenchmarkScanPrefix(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir(), quiet(), noSync())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	for i := range 10_000 {
		k := fmt.Sprintf("demo/%03d/%02d", i/100, i%100)
		s.Apply(ctx, backend.Entry{Key: k, Value: value16, Timestamp: hlc.Timestamp{Time: 1}})
	}
	for _, mode := range []backend.ScanMode{backend.ScanMeta, backend.ScanValues} {
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				s.Scan(ctx, "demo/050/", mode, func(backend.Entry) error { n++; return nil })
				if n != 100 {
					b.Fatalf("scanned %d, want 100", n)
				}
			}
		})
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
