package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
)

// TestScanOmitsLargeValues: Scan in ScanValues mode reports a value over
// the volume's Get limit Omitted (its encoding and timestamp from the
// object's metadata, Value nil) instead of failing, so that a wildcard
// query over a storage holding one succeeds; the values at or under the
// limit and the tombstones are reported as usual, Get still refuses the
// large one, and OpenStream reads it. The limit is lowered so that the
// "large" value stays small.
func TestScanOmitsLargeValues(t *testing.T) {
	srv := s3test.StartMinIO(t)
	v := newVolume(t, srv)
	v.getMax = 100 // before any request: read by Get and Scan only
	s := openStore(t, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"}).(*Store)
	big := []byte(strings.Repeat("large value ", 20)) // 240 bytes
	mid := bytes.Repeat([]byte{'m'}, 100)
	bigTS, streamTS := ts(time.Second, 1), ts(2*time.Second, 1)
	mustApply(t, s, backend.Entry{Key: "d/big", Value: big, Encoding: "text/plain", Timestamp: bigTS}, true)
	mustApply(t, s, backend.Entry{Key: "d/mid", Value: mid, Encoding: "zenoh/bytes", Timestamp: bigTS}, true)
	mustApply(t, s, putEntry("d/small", "v", bigTS), true)
	mustApply(t, s, backend.Entry{Key: "d/gone", Timestamp: bigTS, Deleted: true}, true)
	se := streamed("d/streamed", 1000, 2*time.Second)
	se.Encoding = "application/octet-stream"
	if applied, err := s.PutStream(context.Background(), se, &patternReader{n: 1000}); err != nil || !applied {
		t.Fatalf("PutStream = %v, %v", applied, err)
	}

	got := scanKeys(t, s, "d/", backend.ScanValues)
	if len(got) != 5 {
		t.Fatalf("scan found %d entries, want 5: %v", len(got), got)
	}
	if e := got["d/big"]; !e.Omitted || e.Value != nil || e.Encoding != "text/plain" || e.Timestamp != bigTS || e.Deleted {
		t.Fatalf("scanned value over the limit: %+v, want it Omitted with its encoding and timestamp", e)
	}
	if e := got["d/streamed"]; !e.Omitted || e.Value != nil || e.Encoding != se.Encoding || e.Timestamp != streamTS {
		t.Fatalf("scanned streamed value over the limit: %+v", e)
	}
	if e := got["d/mid"]; e.Omitted || !bytes.Equal(e.Value, mid) || e.Encoding != "zenoh/bytes" {
		t.Fatalf("scanned value at the limit: omitted %v, %d bytes", e.Omitted, len(e.Value))
	}
	if e := got["d/small"]; e.Omitted || string(e.Value) != "v" {
		t.Fatalf("scanned small value: %+v", e)
	}
	if e := got["d/gone"]; !e.Deleted || e.Omitted {
		t.Fatalf("scanned tombstone: %+v", e)
	}
	// ScanMeta reports no value at all, so nothing is Omitted.
	if e := scanKeys(t, s, "d/", backend.ScanMeta)["d/big"]; e.Omitted || e.Value != nil || e.Timestamp != bigTS {
		t.Fatalf("ScanMeta of the large value: %+v", e)
	}
	if _, _, err := s.Get(context.Background(), "d/big"); !errors.Is(err, backend.ErrTooLarge) {
		t.Fatalf("Get over the limit: %v, want ErrTooLarge", err)
	}
	e, rc, ok, err := s.OpenStream(context.Background(), "d/big", 0)
	if err != nil || !ok || e.Size != int64(len(big)) {
		t.Fatalf("OpenStream = %+v, %v, %v", e, ok, err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(b, big) {
		t.Fatalf("OpenStream read %q, %v", b, err)
	}
	// An Omitted entry cannot be stored back.
	if _, err := s.Apply(context.Background(), got["d/big"]); !errors.Is(err, backend.ErrInvalidEntry) {
		t.Fatalf("Apply of an Omitted entry: %v, want ErrInvalidEntry", err)
	}
}

// The conformance suite's case for backends whose Scan omits large values.
func TestScanOmitsConformance(t *testing.T) {
	srv := s3test.StartMinIO(t)
	v := newVolume(t, srv)
	v.getMax = 1000 // before any request: read by Get and Scan only
	s := openStore(t, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"})
	backendtest.RunScanOmits(t, s, 1000)
}
