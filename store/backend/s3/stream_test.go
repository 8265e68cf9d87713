package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
)

// patternReader gives n bytes of a pattern without holding them.
type patternReader struct{ off, n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) * 13)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// failAfter gives n bytes of a pattern, then fails.
type failAfter struct{ patternReader }

func (f *failAfter) Read(b []byte) (int, error) {
	n, err := f.patternReader.Read(b)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func streamed(key string, size int64, at time.Duration) backend.StreamEntry {
	return backend.StreamEntry{Entry: backend.Entry{Key: key, Timestamp: ts(at, 1)}, Size: size, Hash: [32]byte{7}}
}

// pendingUploads lists the bucket's unfinished multipart uploads.
func pendingUploads(t *testing.T, s *Store) []string {
	t.Helper()
	var ids []string
	for u := range s.v.client.ListIncompleteUploads(context.Background(), s.bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		ids = append(ids, u.UploadID)
	}
	return ids
}

// TestPutStreamFailureAborts checks that a streamed put whose reader fails
// half-way, or whose context ends, leaves neither an object nor a pending
// multipart upload.
func TestPutStreamFailureAborts(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		v := newVolume(t, start(t))
		s := openStore(t, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"}).(*Store)
		const size = 3*MinPartSize + 5
		r := &failAfter{patternReader{n: 2*MinPartSize + 100}}
		if applied, err := s.PutStream(context.Background(), streamed("k", size, 0), r); applied || err == nil {
			t.Fatalf("PutStream with a failing reader = %v, %v", applied, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cr := &cancelAt{patternReader: patternReader{n: size}, at: MinPartSize + 10, cancel: cancel}
		if applied, err := s.PutStream(ctx, streamed("k", size, 0), cr); applied || !errors.Is(err, context.Canceled) {
			t.Fatalf("PutStream cancelled half-way = %v, %v", applied, err)
		}
		if _, ok, err := s.Get(context.Background(), "k"); ok || err != nil {
			t.Fatalf("Get after failed puts = %v, %v; want nothing", ok, err)
		}
		if ids := pendingUploads(t, s); len(ids) != 0 {
			t.Fatalf("failed puts left %d multipart uploads: %v", len(ids), ids)
		}
	})
}

// cancelAt cancels its context once at bytes have been read.
type cancelAt struct {
	patternReader
	at     int64
	cancel context.CancelFunc
}

func (c *cancelAt) Read(b []byte) (int, error) {
	if c.off >= c.at {
		c.cancel()
	}
	return c.patternReader.Read(b)
}

// TestCompleteIsConditional pins what PutStream's compare-and-swap relies
// on: the servers refuse to complete a multipart upload whose If-Match
// or If-None-Match condition fails, so a streamed write never overwrites
// one it did not compare with.
func TestCompleteIsConditional(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		v := newVolume(t, start(t))
		s := openStore(t, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"}).(*Store)
		ctx := context.Background()
		mustApply(t, s, putEntry("k", "current", ts(0, 1)), true)
		name := encodeKey("k")
		for _, cond := range []func(o *minio.PutObjectOptions){
			func(o *minio.PutObjectOptions) { o.SetMatchETag("0123456789abcdef0123456789abcdef") },
			func(o *minio.PutObjectOptions) { o.SetMatchETagExcept("*") },
		} {
			id, err := s.v.core.NewMultipartUpload(ctx, s.bucket, name, minio.PutObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.v.core.PutObjectPart(ctx, s.bucket, name, id, 1, bytes.NewReader([]byte("x")), 1, minio.PutObjectPartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var opts minio.PutObjectOptions
			cond(&opts)
			_, err = s.v.core.CompleteMultipartUpload(ctx, s.bucket, name, id, []minio.CompletePart{{PartNumber: 1, ETag: p.ETag}}, opts)
			if !isConflict(err) {
				t.Fatalf("completing with a failing condition: %v, want a precondition failure", err)
			}
			s.abort(ctx, name, id)
		}
		mustGet(t, s, putEntry("k", "current", ts(0, 1)))
	})
}

// TestPutStreamMemory streams a value of 12 parts and checks, with a wide
// margin, that PutStream allocated far less than the value: one part at
// a time, not the whole.
func TestPutStreamMemory(t *testing.T) {
	srv := s3test.StartMinIO(t)
	s := openStore(t, newVolume(t, srv), newBucket(), backend.Options{"on_closure": "destroy_bucket"}).(*Store)
	const size = 12 * MinPartSize
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if applied, err := s.PutStream(context.Background(), streamed("big", size, 0), &patternReader{n: size}); err != nil || !applied {
		t.Fatalf("PutStream = %v, %v", applied, err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/2 {
		t.Fatalf("PutStream of %d MiB allocated %d MiB; want about one %d MiB part", size>>20, alloc>>20, MinPartSize>>20)
	} else {
		t.Logf("PutStream of %d MiB allocated %.1f MiB", size>>20, float64(alloc)/(1<<20))
	}
	// Reading it back streams it; Get refuses what it would hold whole
	// only above MaxGetSize.
	e, rc, ok, err := s.OpenStream(context.Background(), "big", 0)
	if err != nil || !ok || e.Size != size || e.Hash != ([32]byte{7}) {
		t.Fatalf("OpenStream = %+v, %v, %v", e, ok, err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	if _, _, err := s.Get(context.Background(), "big"); !errors.Is(err, backend.ErrTooLarge) {
		t.Fatalf("Get of a %d MiB value: %v, want ErrTooLarge (over MaxGetSize)", size>>20, err)
	}
}

func TestPartSize(t *testing.T) {
	for _, c := range []struct{ total, want int64 }{
		{1, MinPartSize},
		{MinPartSize * maxParts, MinPartSize},
		{MinPartSize*maxParts + 1, MinPartSize + 1<<20},
		{5 << 40, 525 << 20},
	} {
		if got := partSize(c.total); got != c.want || c.total > got*maxParts {
			t.Errorf("partSize(%d) = %d, want %d", c.total, got, c.want)
		}
	}
}
