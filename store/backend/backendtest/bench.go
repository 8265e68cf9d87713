package backendtest

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// Value16 is the 16-byte value the benchmark helpers write.
var Value16 = []byte("0123456789abcdef")

// Entry16 is the entry the benchmarks write: Value16 under key at time t
// (source 0).
func Entry16(key string, t int64) backend.Entry {
	return backend.Entry{Key: key, Value: Value16, Timestamp: hlc.Timestamp{Time: t}}
}

// BenchKeys returns n distinct keys shaped like sensor readings,
// "demo/sensors/<i>/temperature".
func BenchKeys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = fmt.Sprintf("demo/sensors/%d/temperature", i)
	}
	return ks
}

// Fill writes Value16 at timestamp 1 under every key of keys, failing tb
// if a write fails or is refused.
func Fill(tb testing.TB, s backend.Store, keys []string) {
	tb.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if ok, err := s.Apply(ctx, Entry16(k, 1)); !ok || err != nil {
			tb.Fatalf("fill %q: applied %v, %v", k, ok, err)
		}
	}
}

// BenchApply overwrites keys in turn with Value16 at increasing
// timestamps, the steady state of a storage server.
func BenchApply(b *testing.B, s backend.Store, keys []string) {
	ctx := context.Background()
	var t int64
	b.ReportAllocs()
	for b.Loop() {
		t++
		if _, err := s.Apply(ctx, Entry16(keys[t%int64(len(keys))], t)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchApplyStale measures refusing a write older than the stored one.
func BenchApplyStale(b *testing.B, s backend.Store) {
	ctx := context.Background()
	if ok, err := s.Apply(ctx, Entry16("demo/k", 10)); !ok || err != nil {
		b.Fatal(ok, err)
	}
	stale := Entry16("demo/k", 1)
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := s.Apply(ctx, stale); ok || err != nil {
			b.Fatal("stale write:", ok, err)
		}
	}
}

// BenchGet reads keys in turn; each must be present (see Fill).
func BenchGet(b *testing.B, s backend.Store, keys []string) {
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.Get(ctx, keys[i%len(keys)]); !ok || err != nil {
			b.Fatal("get:", ok, err)
		}
		i++
	}
}

// FillGroups writes groups×100 keys "demo/<group>/<nn>" (see Fill) and
// returns the scan prefix of the middle group, "demo/<groups/2>/", which
// holds 100 of them.
func FillGroups(tb testing.TB, s backend.Store, groups int) string {
	tb.Helper()
	w := len(strconv.Itoa(groups))
	keys := make([]string, 0, groups*100)
	for i := range groups * 100 {
		keys = append(keys, fmt.Sprintf("demo/%0*d/%02d", w, i/100, i%100))
	}
	Fill(tb, s, keys)
	return fmt.Sprintf("demo/%0*d/", w, groups/2)
}

// BenchScan scans prefix in mode, which must yield want entries.
func BenchScan(b *testing.B, s backend.Store, prefix string, mode backend.ScanMode, want int) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := s.Scan(ctx, prefix, mode, func(backend.Entry) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("scanned %d, want %d", n, want)
		}
	}
}
