package server

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend/engine"
)

// The storage server over tcp with the memory backend, 1 and 64 callers
// sharing one store.Client: operations per second and latency percentiles.
func BenchmarkPut(b *testing.B) {
	for _, callers := range []int{1, 64} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			f := start(b, setup{opts: Options{Storages: []Storage{mem("bench", "**", "")}}})
			value := make([]byte, 64)
			run(b, callers, func(ctx context.Context, i int) error {
				return f.cli.Put(ctx, "bench/"+strconv.Itoa(i%10000), value)
			})
		})
	}
}

// BenchmarkPutEngine is BenchmarkPut on an engine volume (sync: always):
// each put is answered once synced, concurrent puts share the syncs.
func BenchmarkPutEngine(b *testing.B) {
	for _, callers := range []int{1, 64} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			eng, err := engine.Open(engine.Config{Root: b.TempDir(), MinFreeSpace: -1, Logger: quiet})
			must(b, err)
			f := start(b, setup{opts: Options{Storages: []Storage{{Name: "bench", KeyExpr: "**", Store: eng, Volume: "engine"}}}})
			value := make([]byte, 64)
			run(b, callers, func(ctx context.Context, i int) error {
				return f.cli.Put(ctx, "bench/"+strconv.Itoa(i%10000), value)
			})
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, callers := range []int{1, 64} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			f := start(b, setup{opts: Options{Storages: []Storage{mem("bench", "**", "")}}})
			value := make([]byte, 64)
			ctx := testCtx(b)
			for i := range 1000 {
				must(b, f.cli.Put(ctx, "bench/"+strconv.Itoa(i), value))
			}
			run(b, callers, func(ctx context.Context, i int) error {
				got, err := f.cli.Get(ctx, "bench/"+strconv.Itoa(i%1000))
				if err == nil && len(got) != 1 {
					err = fmt.Errorf("%d samples", len(got))
				}
				return err
			})
		})
	}
}

// run calls op b.N times from callers goroutines and reports operations
// per second and latency percentiles (median, 99th, 99.9th, maximum), in
// microseconds.
func run(b *testing.B, callers int, op func(ctx context.Context, i int) error) {
	ctx := testCtx(b)
	lat := make([][]time.Duration, callers)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	begin := time.Now()
	for c := range callers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	µs := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / 1e3 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(µs(0.50), "p50-µs")
	b.ReportMetric(µs(0.99), "p99-µs")
	b.ReportMetric(µs(0.999), "p999-µs")
	b.ReportMetric(µs(1), "max-µs")
}
