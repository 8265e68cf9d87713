package backendtest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
)

// RunScanOmits checks, on s (a Streamer whose Get and Scan read values
// whole only up to limit bytes, a limit the caller may have lowered for
// the test), that Scan in ScanValues mode reports a streamed value of
// limit+1 bytes Omitted (Value nil, its encoding and timestamp kept)
// instead of failing, and the value of limit bytes, a small value and a
// tombstone as usual; that ScanMeta omits nothing; that Get refuses the
// large value with backend.ErrTooLarge while OpenStream reads it; and that
// an Omitted entry cannot be applied. The run's keys start with "omit/".
func RunScanOmits(t *testing.T, s backend.Store, limit int) {
	t.Helper()
	st, ok := s.(backend.Streamer)
	if !ok {
		t.Fatalf("%T does not implement backend.Streamer", s)
	}
	over, atLimit := streamValue(limit+1, 1), streamValue(limit, 2)
	eOver, eAt := streamEntry("omit/over", over, time.Second), streamEntry("omit/at", atLimit, 2*time.Second)
	MustPutStream(t, st, eOver, over, true)
	MustPutStream(t, st, eAt, atLimit, true)
	small := backend.Entry{Key: "omit/small", Value: []byte("v"), Encoding: "text/plain", Timestamp: at(3 * time.Second)}
	MustApply(t, s, small, true)
	MustApply(t, s, backend.Entry{Key: "omit/gone", Timestamp: at(3 * time.Second), Deleted: true}, true)

	got := Scan(t, s, "omit/", backend.ScanValues)
	if len(got) != 4 {
		t.Fatalf("Scan found %d entries, want 4: %v", len(got), got)
	}
	if e := got[eOver.Key]; !e.Omitted || e.Value != nil || e.Deleted || e.Encoding != eOver.Encoding || e.Timestamp != eOver.Timestamp {
		t.Fatalf("Scan of a value of %d bytes (limit %d): %+v, want it Omitted with its metadata", limit+1, limit, e)
	}
	if e := got[eAt.Key]; e.Omitted || !bytes.Equal(e.Value, atLimit) {
		t.Fatalf("Scan of a value at the limit: omitted %v, %d bytes", e.Omitted, len(e.Value))
	}
	if e := got[small.Key]; e.Omitted || string(e.Value) != "v" {
		t.Fatalf("Scan of a small value: %+v", e)
	}
	if e := got["omit/gone"]; !e.Deleted || e.Omitted {
		t.Fatalf("Scan of a tombstone: %+v", e)
	}
	if e := Scan(t, s, "omit/", backend.ScanMeta)[eOver.Key]; e.Omitted || e.Value != nil || e.Timestamp != eOver.Timestamp {
		t.Fatalf("ScanMeta of the large value: %+v", e)
	}
	if _, _, err := s.Get(context.Background(), eOver.Key); !errors.Is(err, backend.ErrTooLarge) {
		t.Fatalf("Get of the large value: %v, want ErrTooLarge", err)
	}
	MustReadStream(t, st, eOver, 0, over)
	if _, err := s.Apply(context.Background(), got[eOver.Key]); !errors.Is(err, backend.ErrInvalidEntry) {
		t.Fatalf("Apply of an Omitted entry: %v, want ErrInvalidEntry", err)
	}
}
