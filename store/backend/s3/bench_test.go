package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// benchParallelism × GOMAXPROCS goroutines run each benchmark, for the
// backend and for minio-go alike.
const benchParallelism = 4

// keysPerWorker is how many keys each benchmark goroutine cycles through:
// Apply overwrites them (the storage server's steady state), Get reads them.
const keysPerWorker = 16

// baseline remembers the ns/op of the last minio-go run of each benchmark,
// so the zmesh run right after it can report the ratio in the same run.
var baseline sync.Map // benchmark name → float64

func nsPerOp(b *testing.B) float64 { return float64(b.Elapsed().Nanoseconds()) / float64(b.N) }

// BenchmarkS3 measures Apply and Get of 1 KiB and 1 MiB values through the
// backend ("zmesh") next to the same operation done directly with the same
// minio-go client ("minio-go": one PutObject, or one GetObject read whole),
// at the same concurrency, on MinIO and versitygw. Each zmesh result
// reports x-minio-go, its time per operation over minio-go's.
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
				b.Run("Apply/"+label, func(b *testing.B) { benchPair(b, s, value, benchApply) })
				b.Run("Get/"+label, func(b *testing.B) { benchPair(b, s, value, benchGet) })
			}
		})
	}
}

// benchPair runs op through minio-go, then through the backend.
func benchPair(b *testing.B, s *Store, value []byte, op func(b *testing.B, s *Store, value []byte, direct bool)) {
	b.Run("minio-go", func(b *testing.B) {
		op(b, s, value, true)
		baseline.Store(b.Name(), nsPerOp(b))
	})
	b.Run("zmesh", func(b *testing.B) {
		op(b, s, value, false)
		name := b.Name()
		direct := name[:len(name)-len("zmesh")] + "minio-go"
		if base, ok := baseline.Load(direct); ok {
			b.ReportMetric(nsPerOp(b)/base.(float64), "x-minio-go")
		}
	})
}

var workerSeq atomic.Int64

func benchApply(b *testing.B, s *Store, value []byte, direct bool) {
	ctx := context.Background()
	clock := hlc.NewClock(hlc.NewID())
	b.SetBytes(int64(len(value)))
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := workerSeq.Add(1)
		for i := 0; pb.Next(); i++ {
			key := fmt.Sprintf("bench/apply/%d/%d", w, i%keysPerWorker)
			if direct {
				name := encodeKey(key)
				_, err := s.v.client.PutObject(ctx, s.bucket, name, bytes.NewReader(value), int64(len(value)),
					minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true})
				if err != nil {
					b.Error(err)
					return
				}
				continue
			}
			e := backend.Entry{Key: key, Value: value, Encoding: "application/octet-stream", Timestamp: clock.Now()}
			if applied, err := s.Apply(ctx, e); err != nil || !applied {
				b.Errorf("Apply = %v, %v", applied, err)
				return
			}
		}
	})
}

func benchGet(b *testing.B, s *Store, value []byte, direct bool) {
	ctx := context.Background()
	clock := hlc.NewClock(hlc.NewID())
	const keys = 64
	for i := range keys {
		e := backend.Entry{Key: fmt.Sprintf("bench/get/%d", i), Value: value, Timestamp: clock.Now()}
		if _, err := s.Apply(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(value)))
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := int(workerSeq.Add(1))
		for i := 0; pb.Next(); i++ {
			key := fmt.Sprintf("bench/get/%d", (w*keysPerWorker+i%keysPerWorker)%keys)
			if direct {
				rc, info, _, err := s.v.core.GetObject(ctx, s.bucket, encodeKey(key), minio.GetObjectOptions{})
				if err != nil {
					b.Error(err)
					return
				}
				buf := make([]byte, info.Size)
				_, err = io.ReadFull(rc, buf)
				rc.Close()
				if err != nil {
					b.Error(err)
					return
				}
				continue
			}
			e, ok, err := s.Get(ctx, key)
			if err != nil || !ok || len(e.Value) != len(value) {
				b.Errorf("Get = %d bytes, %v, %v", len(e.Value), ok, err)
				return
			}
		}
	})
}
