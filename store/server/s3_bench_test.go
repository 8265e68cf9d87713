package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	s3backend "github.com/zmesh/zmesh/store/backend/s3"
)

// BenchmarkS3EndToEnd measures Put and Get of 1 KiB and 1 MiB values
// through zmesh — store.Client, CLIENT socket over tcp loopback, SERVER
// socket, server.Server, the s3 backend, MinIO — next to the same operation
// done directly with minio-go (one PutObject; one GetObject read whole
// into a buffer of its size), with 1 and 8 callers.
//
// The two are interleaved, in short phases of each (see alternate), so
// that both run at the same concurrency against the same MinIO under the
// same background load (on a shared machine, runs one after the other
// drift apart more than the difference being measured). The direct client
// is a volume of its own built from the same settings, so it has the
// backend's HTTP transport and minio-go options but its own connections.
// Reported beside the usual figures (which mix both): zmesh-µs/op and
// direct-µs/op, the mean latency of one call each way, and x-direct, their
// ratio (1.10 is 10% slower); zmesh-cpu-µs/op and direct-cpu-µs/op, the
// CPU time this process spends per call (zmesh's client and server, or the
// minio-go client; MinIO's own is the same either way and not counted),
// and x-direct-cpu, their ratio. On a loaded machine the latencies are
// noisy; the CPU times much less so.
//
// Put overwrites keys written before, a server's steady state (the
// backend's ETag cache saves the HEAD before its conditional PUT); Get
// reads one key (a query without wildcards). Not run by make test:
//
//	go test -run '^$' -bench S3EndToEnd -count 6 ./store/server/ | tee new.txt
//	benchstat new.txt
func BenchmarkS3EndToEnd(b *testing.B) {
	s3 := s3test.StartMinIO(b)
	ctx := context.Background()
	newVolume := func() *s3backend.Volume {
		v, err := s3backend.New(ctx, s3backend.VolumeConfig{URL: s3.Endpoint(), AccessKey: s3.AccessKey,
			SecretKey: s3.SecretKey, Logger: quiet})
		must(b, err)
		return v
	}
	// zmesh: a server on the "bench" bucket; it closes the volume.
	zv := newVolume()
	st, err := zv.Open(ctx, "bench", backend.StorageConfig{Options: backend.Options{"bucket": "zmesh-bench"}})
	must(b, err)
	f := start(b, setup{opts: Options{Volumes: []backend.Volume{zv},
		Storages: []Storage{{Name: "bench", KeyExpr: "bench/**", StripPrefix: "bench", Store: st, Volume: "s3"}}}})
	// direct: minio-go on the "direct" bucket.
	dv := newVolume()
	b.Cleanup(func() { dv.Close(context.Background()) })
	direct := dv.Client()
	directCore := minio.Core{Client: direct}
	must(b, direct.MakeBucket(ctx, "direct", minio.MakeBucketOptions{}))

	for _, size := range []int{1 << 10, 1 << 20} {
		value := bytes.Repeat([]byte{'v'}, size)
		label := fmt.Sprintf("%dKiB", size>>10)
		if size >= 1<<20 {
			label = fmt.Sprintf("%dMiB", size>>20)
		}
		// The keys Get reads, written once for both caller counts.
		for i := range getKeys {
			must(b, f.cli.Put(ctx, fmt.Sprintf("bench/get/%d", i), value))
			_, err := direct.PutObject(ctx, "direct", fmt.Sprintf("get/%d", i), bytes.NewReader(value),
				int64(len(value)), minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
			must(b, err)
		}
		for _, callers := range []int{1, 8} {
			name := label + "/callers=" + strconv.Itoa(callers)
			b.Run("Put/"+name, func(b *testing.B) {
				alternate(b, callers,
					func(ctx context.Context, c, i int) error {
						_, err := direct.PutObject(ctx, "direct", fmt.Sprintf("put/%d/%d", c, i%keysPerCaller),
							bytes.NewReader(value), int64(len(value)),
							minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
						return err
					},
					func(ctx context.Context, c, i int) error {
						return f.cli.Put(ctx, fmt.Sprintf("bench/put/%d/%d", c, i%keysPerCaller), value)
					})
			})
			b.Run("Get/"+name, func(b *testing.B) {
				alternate(b, callers,
					func(ctx context.Context, c, i int) error {
						rc, info, _, err := directCore.GetObject(ctx, "direct",
							fmt.Sprintf("get/%d", (c*keysPerCaller+i)%getKeys), minio.GetObjectOptions{})
						if err != nil {
							return err
						}
						defer rc.Close()
						got := make([]byte, info.Size)
						if _, err := io.ReadFull(rc, got); err != nil {
							return err
						}
						if len(got) != len(value) {
							return fmt.Errorf("direct get: %d bytes", len(got))
						}
						return nil
					},
					func(ctx context.Context, c, i int) error {
						got, err := f.cli.Get(ctx, fmt.Sprintf("bench/get/%d", (c*keysPerCaller+i)%getKeys))
						if err == nil && (len(got) != 1 || len(got[0].Value) != len(value)) {
							err = fmt.Errorf("zmesh get: %d samples", len(got))
						}
						return err
					})
			})
		}
	}
}

const (
	// keysPerCaller is how many keys each caller cycles through.
	keysPerCaller = 16
	// getKeys is how many keys Get benchmarks read.
	getKeys = 64
)

// phaseOps is how many operations each caller makes in one phase.
const phaseOps = 4

// alternate runs b.N operations on callers goroutines, in phases of
// phaseOps operations per caller: direct(ctx, caller, i) in even phases,
// zmesh(ctx, caller, i) in odd ones, i counting that caller's operations
// of that kind. It reports, for each kind, the mean latency of one
// operation and the CPU time the process spent per operation (the zmesh
// server and client, or the minio-go client, with their garbage
// collection; not MinIO's), and the ratios zmesh/direct of both.
//
// Phases, not one operation of each kind in turn, because CPU time is per
// process: within a phase every operation in flight is of one kind. They
// are short, so that background load changing over time hits both alike.
func alternate(b *testing.B, callers int, direct, zmesh func(ctx context.Context, c, i int) error) {
	ctx := testCtx(b)
	var nanos, counts [2]atomic.Int64 // 0: direct, 1: zmesh
	var cpu [2]time.Duration
	n := make([][2]int, callers) // per caller, operations of each kind so far
	b.ReportAllocs()
	b.ResetTimer()
	for done, phase := 0, 0; done < b.N && !b.Failed(); phase++ {
		which, op := phase%2, direct
		if which == 1 {
			op = zmesh
		}
		var next atomic.Int64
		todo := int64(min(callers*phaseOps, b.N-done))
		cpu0 := cpuTime()
		var wg sync.WaitGroup
		for c := range callers {
			wg.Go(func() {
				for next.Add(1) <= todo {
					t0 := time.Now()
					if err := op(ctx, c, n[c][which]); err != nil {
						b.Error(err)
						return
					}
					nanos[which].Add(int64(time.Since(t0)))
					counts[which].Add(1)
					n[c][which]++
				}
			})
		}
		wg.Wait()
		cpu[which] += cpuTime() - cpu0
		done += int(todo)
	}
	b.StopTimer()
	if counts[0].Load() == 0 || counts[1].Load() == 0 {
		return
	}
	per := func(d int64, which int) float64 { return float64(d) / float64(counts[which].Load()) / 1e3 }
	directµs, zmeshµs := per(nanos[0].Load(), 0), per(nanos[1].Load(), 1)
	directCPU, zmeshCPU := per(int64(cpu[0]), 0), per(int64(cpu[1]), 1)
	b.ReportMetric(zmeshµs, "zmesh-µs/op")
	b.ReportMetric(directµs, "direct-µs/op")
	b.ReportMetric(zmeshµs/directµs, "x-direct")
	b.ReportMetric(zmeshCPU, "zmesh-cpu-µs/op")
	b.ReportMetric(directCPU, "direct-cpu-µs/op")
	b.ReportMetric(zmeshCPU/directCPU, "x-direct-cpu")
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
