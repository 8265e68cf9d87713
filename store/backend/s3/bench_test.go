package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// benchParallelism × GOMAXPROCS goroutines run each benchmark.
const benchParallelism = 4

// keysPerWorker is how many keys each benchmark goroutine cycles through:
// Apply overwrites them (the storage server's steady state), Get reads them.
const keysPerWorker = 16

// BenchmarkS3 measures Apply and Get of 1 KiB and 1 MiB values through the
// backend next to the same operation done directly with the same minio-go
// client (one PutObject; one GetObject read whole), on MinIO and versitygw.
//
// The two are interleaved: every benchmark goroutine alternates one direct
// operation and one through the backend, so both run at the same
// concurrency against the same server under the same background load (on a
// shared machine, runs one after the other drift apart more than the
// difference being measured). Reported beside the usual figures (which mix
// both): zmesh-ns/call and minio-go-ns/call, the mean latency of one call
// through the backend and directly, and x-minio-go, their ratio.
//
// Apply overwrites keys written before (a server's steady state, where the
// ETag cache saves the HEAD); Insert writes new keys (HEAD, then PUT with
// If-None-Match).
func BenchmarkS3(b *testing.B) {
	for _, k := range []struct {
		kind  s3test.Kind
		start s3test.StartFunc
	}{{s3test.MinIO, s3test.StartMinIO}, {s3test.VersityGW, s3test.StartVersityGW}} {
		b.Run(string(k.kind), func(b *testing.B) {
			srv := k.start(b)
			v := newVolume(b, srv)
			s := openStore(b, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"}).(*Store)
			for _, size := range []int{1 << 10, 1 << 20} {
				value := bytes.Repeat([]byte{'v'}, size)
				label := fmt.Sprintf("%dKiB", size>>10)
				b.Run("Apply/"+label, func(b *testing.B) { benchApply(b, s, value) })
				b.Run("Get/"+label, func(b *testing.B) { benchGet(b, s, value) })
				b.Run("OpenStream/"+label, func(b *testing.B) { benchOpenStream(b, s, value) })
			}
			b.Run("Insert/1KiB", func(b *testing.B) { benchInsert(b, s, bytes.Repeat([]byte{'v'}, 1<<10)) })
		})
	}
}

var workerSeq atomic.Int64

// interleave runs b.N operations on benchParallelism × GOMAXPROCS
// goroutines, alternating direct(worker, i) and zmesh(worker, i), and
// reports the mean time of each. Worker numbers are the same from one
// round of the benchmark to the next, so overwrite benchmarks keep
// overwriting the same keys.
func interleave(b *testing.B, direct, zmesh func(w int64, i int) error) {
	workers := int64(benchParallelism * runtime.GOMAXPROCS(0))
	var nanos, counts [2]atomic.Int64 // 0: direct, 1: zmesh
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := workerSeq.Add(1) % workers
		for i := 0; pb.Next(); i++ {
			which, op := i%2, direct
			if which == 1 {
				op = zmesh
			}
			start := time.Now()
			if err := op(w, i/2); err != nil {
				b.Error(err)
				return
			}
			nanos[which].Add(int64(time.Since(start)))
			counts[which].Add(1)
		}
	})
	b.StopTimer()
	if counts[0].Load() == 0 || counts[1].Load() == 0 {
		return
	}
	directNs := float64(nanos[0].Load()) / float64(counts[0].Load())
	zmeshNs := float64(nanos[1].Load()) / float64(counts[1].Load())
	b.ReportMetric(zmeshNs, "zmesh-ns/call")
	b.ReportMetric(directNs, "minio-go-ns/call")
	b.ReportMetric(zmeshNs/directNs, "x-minio-go")
}

func benchApply(b *testing.B, s *Store, value []byte) {
	ctx := context.Background()
	clock := hlc.NewClock(hlc.NewID())
	interleave(b,
		func(w int64, i int) error {
			name := encodeKey(fmt.Sprintf("bench/direct/%d/%d", w, i%keysPerWorker))
			_, err := s.v.client.PutObject(ctx, s.bucket, name, bytes.NewReader(value), int64(len(value)),
				minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
			return err
		},
		func(w int64, i int) error {
			e := backend.Entry{
				Key:       fmt.Sprintf("bench/apply/%d/%d", w, i%keysPerWorker),
				Value:     value,
				Encoding:  "application/octet-stream",
				Timestamp: clock.Now(),
			}
			if applied, err := s.Apply(ctx, e); err != nil || !applied {
				return fmt.Errorf("Apply = %v, %v", applied, err)
			}
			return nil
		})
}

// readKeys stores value under 64 keys below prefix and returns the key
// worker w reads at its i-th operation.
func readKeys(b *testing.B, s *Store, prefix string, value []byte) func(w int64, i int) string {
	clock := hlc.NewClock(hlc.NewID())
	const keys = 64
	for i := range keys {
		e := backend.Entry{Key: fmt.Sprintf("%s/%d", prefix, i), Value: value, Timestamp: clock.Now()}
		if _, err := s.Apply(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
	return func(w int64, i int) string {
		return fmt.Sprintf("%s/%d", prefix, (int(w)*keysPerWorker+i%keysPerWorker)%keys)
	}
}

func benchGet(b *testing.B, s *Store, value []byte) {
	ctx := context.Background()
	key := readKeys(b, s, "bench/get", value)
	interleave(b,
		func(w int64, i int) error {
			rc, info, _, err := s.v.core.GetObject(ctx, s.bucket, encodeKey(key(w, i)), minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer rc.Close()
			buf := make([]byte, info.Size)
			_, err = io.ReadFull(rc, buf)
			return err
		},
		func(w int64, i int) error {
			e, ok, err := s.Get(ctx, key(w, i))
			if err != nil || !ok || len(e.Value) != len(value) {
				return fmt.Errorf("Get = %d bytes, %v, %v", len(e.Value), ok, err)
			}
			return nil
		})
}

var insertSeq atomic.Int64

func benchInsert(b *testing.B, s *Store, value []byte) {
	ctx := context.Background()
	clock := hlc.NewClock(hlc.NewID())
	interleave(b,
		func(w int64, i int) error {
			name := encodeKey(fmt.Sprint("bench/insert-direct/", insertSeq.Add(1)))
			_, err := s.v.client.PutObject(ctx, s.bucket, name, bytes.NewReader(value), int64(len(value)),
				minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
			return err
		},
		func(w int64, i int) error {
			e := backend.Entry{Key: fmt.Sprint("bench/insert/", insertSeq.Add(1)), Value: value, Timestamp: clock.Now()}
			if applied, err := s.Apply(ctx, e); err != nil || !applied {
				return fmt.Errorf("Apply = %v, %v", applied, err)
			}
			return nil
		})
}

// benchOpenStream compares a streamed read of a whole value (OpenStream,
// copied to io.Discard) with minio-go's GetObject copied the same way.
func benchOpenStream(b *testing.B, s *Store, value []byte) {
	ctx := context.Background()
	key := readKeys(b, s, "bench/stream", value)
	interleave(b,
		func(w int64, i int) error {
			rc, _, _, err := s.v.core.GetObject(ctx, s.bucket, encodeKey(key(w, i)), minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			return err
		},
		func(w int64, i int) error {
			_, rc, ok, err := s.OpenStream(ctx, key(w, i), 0)
			if err != nil || !ok {
				return fmt.Errorf("OpenStream = %v, %v", ok, err)
			}
			defer rc.Close()
			n, err := io.Copy(io.Discard, rc)
			if err == nil && n != int64(len(value)) {
				err = fmt.Errorf("read %d bytes", n)
			}
			return err
		})
}
