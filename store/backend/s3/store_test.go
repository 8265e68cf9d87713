package s3

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
)

// TestConformance runs the backend conformance suite against MinIO and
// versitygw, one fresh bucket per subtest, destroyed when the store closes.
func TestConformance(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		v := newVolume(t, start(t))
		backendtest.Run(t, func(t *testing.T) backend.Store {
			return openStore(t, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"})
		})
	})
}

// TestConformancePersistent checks that entries, tombstones and
// collections survive closing the store and opening the bucket again.
func TestConformancePersistent(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		v := newVolume(t, start(t))
		backendtest.RunPersistent(t, func(t *testing.T) backendtest.Opener {
			bucket := newBucket()
			return func(t *testing.T) backend.Store {
				s, err := v.Open(context.Background(), "persistent-"+bucket, backend.StorageConfig{
					Options: backend.Options{"bucket": bucket},
				})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return s
			}
		})
	})
}

// TestTLS opens storages over HTTPS with the test CA given as a file and
// inline in base64, and checks that without it the certificate is refused.
func TestTLS(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		srv := start(t, s3test.WithTLS())
		ctx := context.Background()
		for name, tlsOpts := range map[string]map[string]any{
			"file":          {"root_ca_certificate_file": srv.CAFile},
			"base64":        {"root_ca_certificate_base64": base64.StdEncoding.EncodeToString(srv.CAPEM)},
			"zenoh private": {"private": map[string]any{"root_ca_certificate_file": srv.CAFile}},
		} {
			t.Run(name, func(t *testing.T) {
				o := volumeOptions(srv)
				o["tls"] = tlsOpts
				v, err := NewVolume(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				defer mustClose(t, v)
				s := openStore(t, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"})
				e := putEntry("over/tls", "secret", ts(0, 1))
				mustApply(t, s, e, true)
				mustGet(t, s, e)
			})
		}
		o := volumeOptions(srv)
		delete(o, "tls")
		o["max_retries"] = 1
		v, err := NewVolume(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		defer mustClose(t, v)
		_, err = v.Open(ctx, "untrusted", backend.StorageConfig{Options: backend.Options{"bucket": newBucket()}})
		if !errors.Is(err, backend.ErrBackend) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("Open without the CA: %v, want a certificate error", err)
		}
	})
}

// TestScanPaginates stores more keys than one listing page holds (1000) and
// checks Scan and Collect see all of them, narrowed by prefix, and that
// destroy_bucket empties every page before removing the bucket.
func TestScanPaginates(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		srv := start(t)
		v := newVolume(t, srv)
		bucket := newBucket()
		s, err := v.Open(context.Background(), "many", backend.StorageConfig{
			Options: backend.Options{"bucket": bucket, "on_closure": "destroy_bucket"},
		})
		if err != nil {
			t.Fatal(err)
		}
		const n = 1100
		keys := make(chan int)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for i := range keys {
					e := putEntry(fmt.Sprintf("many/%d/%04d", i%3, i), fmt.Sprint(i), ts(time.Duration(i), 1))
					if i%10 == 0 {
						e = backend.Entry{Key: e.Key, Timestamp: ts(-time.Hour, 1), Deleted: true}
					}
					if _, err := s.Apply(context.Background(), e); err != nil {
						t.Errorf("Apply: %v", err)
						return
					}
				}
			})
		}
		for i := range n {
			keys <- i
		}
		close(keys)
		wg.Wait()
		mustApply(t, s, putEntry("other", "x", ts(0, 1)), true)

		for _, tt := range []struct {
			prefix string
			want   int
		}{{"", n + 1}, {"many/", n}, {"many/1/", 367}, {"many/2/", 366}, {"many/2/01", 33}, {"other", 1}, {"none", 0}} {
			for _, mode := range []backend.ScanMode{backend.ScanMeta, backend.ScanValues} {
				if got := len(scanKeys(t, s, tt.prefix, mode)); got != tt.want {
					t.Errorf("Scan(%q, %v) found %d keys, want %d", tt.prefix, mode, got, tt.want)
				}
			}
		}
		if got, err := s.Collect(context.Background(), time.Unix(0, ts(0, 1).Time)); err != nil || got != n/10 {
			t.Errorf("Collect = %d, %v; want %d", got, err, n/10)
		}
		if got := len(scanKeys(t, s, "many/", backend.ScanMeta)); got != n-n/10 {
			t.Errorf("after Collect Scan finds %d keys, want %d", got, n-n/10)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatalf("Close with destroy_bucket: %v", err)
		}
		if exists, err := v.client.BucketExists(context.Background(), bucket); err != nil || exists {
			t.Fatalf("bucket after destroy_bucket: exists %v, %v", exists, err)
		}
	})
}

// TestForeignObjects checks that objects zmesh did not write are ignored by
// Scan and Collect, left in place, and reported as corrupt by Get when
// their name is a key's.
func TestForeignObjects(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		srv := start(t)
		v := newVolume(t, srv)
		s := openStore(t, v, newBucket(), nil).(*Store)
		ctx := context.Background()
		mine := putEntry("a/mine", "v", ts(0, 1))
		mustApply(t, s, mine, true)
		for _, name := range []string{"README.txt", "a_/foreign!", "a_/raw!", "zz"} {
			body := "not zmesh"
			opts := minio.PutObjectOptions{}
			if name == "a_/raw!" { // a zmesh-looking body without metadata
				body = string(appendBody(nil, mine))
			}
			if _, err := v.client.PutObject(ctx, s.bucket, name, strings.NewReader(body), int64(len(body)), opts); err != nil {
				t.Fatal(err)
			}
		}
		for _, mode := range []backend.ScanMode{backend.ScanMeta, backend.ScanValues} {
			if got := scanKeys(t, s, "", mode); len(got) != 1 || got["a/mine"].Key != "a/mine" {
				t.Errorf("Scan(%v) = %v, want only a/mine", mode, got)
			}
		}
		for _, k := range []string{"a/foreign", "a/raw"} {
			if _, _, err := s.Get(ctx, k); !errors.Is(err, backend.ErrCorrupt) {
				t.Errorf("Get(%q) of a foreign object: %v, want ErrCorrupt", k, err)
			}
			if _, err := s.Apply(ctx, putEntry(k, "x", ts(time.Hour, 1))); !errors.Is(err, backend.ErrCorrupt) {
				t.Errorf("Apply(%q) over a foreign object: %v, want ErrCorrupt", k, err)
			}
		}
		if n, err := s.Collect(ctx, time.Now()); err != nil || n != 0 {
			t.Errorf("Collect = %d, %v", n, err)
		}
		if _, err := v.client.StatObject(ctx, s.bucket, "README.txt", minio.StatObjectOptions{}); err != nil {
			t.Errorf("foreign object touched: %v", err)
		}
	})
}

// TestEncodingsRoundTrip checks encodings that HTTP headers cannot carry
// as they are.
func TestEncodingsRoundTrip(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		s := openStore(t, newVolume(t, start(t)), newBucket(), nil)
		for i, enc := range []string{
			"", "text/plain", "application/json; charset=utf-8", " leading", "trailing ", "tab\tinside",
			"=?utf-8?B?w6k=?=", "é", "a\nb", "%20", strings.Repeat("é", backend.MaxEncodingLen/2),
			strings.Repeat("x", backend.MaxEncodingLen),
		} {
			e := backend.Entry{Key: fmt.Sprint("enc/", i), Value: []byte("v"), Encoding: enc, Timestamp: ts(0, 1)}
			mustApply(t, s, e, true)
			mustGet(t, s, e)
			for _, mode := range []backend.ScanMode{backend.ScanMeta, backend.ScanValues} {
				if got := scanKeys(t, s, e.Key, mode)[e.Key]; got.Encoding != enc {
					t.Errorf("Scan(%v) encoding %q, want %q", mode, got.Encoding, enc)
				}
			}
		}
	})
}

// TestETagCacheSurvivesOtherWriters checks that a stale ETag cache costs a
// retry, not a wrong result: server A caches key k, server B overwrites it
// (with the same value, so only the header tells the bodies apart), and A
// must still refuse an older write and accept a newer one.
func TestETagCacheSurvivesOtherWriters(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		srv := start(t)
		bucket := newBucket()
		a := openStore(t, newVolume(t, srv), bucket, nil)
		b := openStore(t, newVolume(t, srv), bucket, nil)
		mustApply(t, a, putEntry("k", "same", ts(1*time.Second, 1)), true) // A caches (etag1, t1)
		mustApply(t, b, putEntry("k", "same", ts(5*time.Second, 2)), true) // B replaces it
		mustApply(t, a, putEntry("k", "stale", ts(3*time.Second, 1)), false)
		if n := a.(*Store).conflicts.Load(); n != 1 {
			t.Fatalf("A's write through its stale cache saw %d failed preconditions, want 1", n)
		}
		mustGet(t, a, putEntry("k", "same", ts(5*time.Second, 2)))
		mustApply(t, b, backend.Entry{Key: "k", Timestamp: ts(6*time.Second, 2), Deleted: true}, true)
		mustApply(t, a, backend.Entry{Key: "k", Timestamp: ts(5500*time.Millisecond, 1), Deleted: true}, false)
		newest := putEntry("k", "newest", ts(7*time.Second, 1))
		mustApply(t, a, newest, true)
		mustGet(t, b, newest)
	})
}

// TestServerStoppedMidApply stops the S3 server while Apply calls are in
// flight: each returns an error or reports applied, an applied write is
// there after the restart, and the store works again without reopening.
func TestServerStoppedMidApply(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		srv := start(t)
		o := volumeOptions(srv)
		o["max_retries"] = 1
		v, err := NewVolume(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := v.Close(context.Background()); err != nil {
				t.Errorf("Volume.Close: %v", err)
			}
		}()
		s := openStore(t, v, newBucket(), nil)
		value := strings.Repeat("v", 256<<10) // slow enough to be caught mid-request

		type result struct {
			e       backend.Entry
			applied bool
			err     error
		}
		results := make(chan result, 1000)
		var wg sync.WaitGroup
		var stopped atomic.Bool // tells the writers to stop
		// going is closed once the writers have finished 2×6 Apply calls:
		// the server takes writes, and each writer has its next in flight.
		var finished atomic.Int64
		going := make(chan struct{})
		for w := range 6 {
			wg.Go(func() {
				for i := 0; !stopped.Load(); i++ {
					e := putEntry(fmt.Sprintf("fault/%d/%d", w, i), value, ts(time.Duration(i), byte(w+1)))
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					applied, err := s.Apply(ctx, e)
					cancel()
					results <- result{e, applied, err}
					if finished.Add(1) == 12 {
						close(going)
					}
					if err != nil {
						return // the server is gone: this writer is done
					}
				}
			})
		}
		select {
		case <-going:
		case <-time.After(time.Minute):
			stopped.Store(true)
			wg.Wait()
			t.Fatal("the writers did not get going within a minute")
		}
		srv.Stop()
		stopped.Store(true)
		wg.Wait()
		close(results)

		var applied []backend.Entry
		failures := 0
		for r := range results {
			switch {
			case r.err != nil && r.applied:
				t.Errorf("Apply(%q) reported applied with error %v", r.e.Key, r.err)
			case r.err != nil:
				failures++
				if !errors.Is(r.err, backend.ErrBackend) {
					t.Errorf("Apply(%q) with the server down: %v, want ErrBackend", r.e.Key, r.err)
				}
			case r.applied:
				applied = append(applied, r.e)
			}
		}
		if failures == 0 {
			t.Fatal("no Apply failed while the server was down")
		}
		t.Logf("%d writes applied, %d failed when the server stopped", len(applied), failures)
		ctx := context.Background()
		if _, _, err := s.Get(ctx, "fault/0/0"); !errors.Is(err, backend.ErrBackend) {
			t.Errorf("Get with the server down: %v, want ErrBackend", err)
		}

		srv.Start()
		for _, e := range applied {
			mustGet(t, s, e)
		}
		after := putEntry("fault/after", "back", ts(time.Hour, 9))
		mustApply(t, s, after, true)
		mustGet(t, s, after)
	})
}
