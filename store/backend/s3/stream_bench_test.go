package s3

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// BenchmarkS3Stream measures a large value's streamed put (PutStream, a
// multipart upload from a reader) and streamed get (OpenStream copied to
// io.Discard) on MinIO, each next to the same transfer done with minio-go
// directly (PutObject from the same kind of reader with the same part
// size; GetObject copied to io.Discard), alternated within each iteration
// so both see the same load. Reported: zmesh-MB/s, minio-go-MB/s and
// x-minio-go (zmesh's rate over minio-go's; 1 is parity). Run with
// -benchtime 2x or so: each iteration moves the value four times.
func BenchmarkS3Stream(b *testing.B) {
	srv := s3test.StartMinIO(b)
	s := openStore(b, newVolume(b, srv), newBucket(), backend.Options{"on_closure": "destroy_bucket"}).(*Store)
	for _, size := range []int64{64 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) { benchStream(b, s, size) })
	}
}

func benchStream(b *testing.B, s *Store, size int64) {
	ctx := context.Background()
	clock := hlc.NewClock(hlc.NewID())
	var dPut, zPut, dGet, zGet time.Duration
	timed := func(d *time.Duration, f func() error) {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		*d += time.Since(start)
	}
	b.SetBytes(4 * size)
	for b.Loop() {
		timed(&dPut, func() error {
			_, err := s.v.client.PutObject(ctx, s.bucket, "direct-object", &patternReader{n: size}, size,
				minio.PutObjectOptions{PartSize: uint64(partSize(size))})
			return err
		})
		timed(&zPut, func() error {
			e := backend.StreamEntry{Entry: backend.Entry{Key: "stream", Timestamp: clock.Now()}, Size: size}
			_, err := s.PutStream(ctx, e, &patternReader{n: size})
			return err
		})
		timed(&dGet, func() error {
			rc, _, _, err := s.v.core.GetObject(ctx, s.bucket, "direct-object", minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			return err
		})
		timed(&zGet, func() error {
			_, rc, _, err := s.OpenStream(ctx, "stream", 0)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			return err
		})
	}
	rate := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(rate(zPut), "put-zmesh-MB/s")
	b.ReportMetric(rate(dPut), "put-minio-go-MB/s")
	b.ReportMetric(rate(zPut)/rate(dPut), "put-x-minio-go")
	b.ReportMetric(rate(zGet), "get-zmesh-MB/s")
	b.ReportMetric(rate(dGet), "get-minio-go-MB/s")
	b.ReportMetric(rate(zGet)/rate(dGet), "get-x-minio-go")
}
