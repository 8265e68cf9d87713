package s3

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// volumeOptions are the YAML options of a volume on srv.
func volumeOptions(srv *s3test.Server) backend.Options {
	o := backend.Options{
		"url":        srv.Endpoint(),
		"access_key": srv.AccessKey,
		"secret_key": srv.SecretKey,
	}
	if srv.Secure() {
		o["tls"] = map[string]any{"root_ca_certificate_file": srv.CAFile}
	}
	return o
}

// newVolume builds a volume on srv from YAML-like options, closed when the
// test ends.
func newVolume(t testing.TB, srv *s3test.Server) *Volume {
	t.Helper()
	v, err := NewVolume(context.Background(), volumeOptions(srv))
	if err != nil {
		t.Fatalf("NewVolume: %v", err)
	}
	backendtest.CloseOnCleanup(t, v)
	return v
}

var bucketSeq atomic.Int64

// newBucket returns a bucket name no other test uses.
func newBucket() string {
	return fmt.Sprintf("zmesh-%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
}

// openStore opens a storage on v in bucket, with more options on top of
// the bucket's; it is closed when the test ends.
func openStore(t testing.TB, v *Volume, bucket string, opts backend.Options) backend.Store {
	t.Helper()
	o := backend.Options{"bucket": bucket}
	for k, val := range opts {
		o[k] = val
	}
	s, err := v.Open(context.Background(), "storage-"+bucket, backend.StorageConfig{Options: o})
	if err != nil {
		t.Fatalf("Open bucket %s: %v", bucket, err)
	}
	backendtest.CloseOnCleanup(t, s)
	return s
}

// The conformance suite's helpers, under the names these tests use.
var (
	mustApply = backendtest.MustApply
	mustGet   = backendtest.MustGet
	mustClose = backendtest.MustClose
	scanKeys  = backendtest.Scan
)

// ts returns a timestamp d after a fixed instant, from source id.
func ts(d time.Duration, id byte) hlc.Timestamp {
	return hlc.Timestamp{Time: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Add(d).UnixNano(), Source: hlc.ID{0: id}}
}

func putEntry(key, value string, at hlc.Timestamp) backend.Entry {
	return backend.Entry{Key: key, Value: []byte(value), Encoding: "text/plain", Timestamp: at}
}
