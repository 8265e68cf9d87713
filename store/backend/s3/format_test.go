package s3

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/zmesh/zmesh/store/backend"
)

// sampleEntries are one of each kind of entry the body and metadata
// encode: a value with a text encoding, an empty value, a binary encoding
// (carried in base64) and a tombstone.
func sampleEntries() []backend.Entry {
	return []backend.Entry{
		{Key: "k", Value: []byte("value"), Encoding: "text/plain", Timestamp: ts(0, 1)},
		{Key: "k", Value: []byte{}, Timestamp: ts(1, 2)},
		{Key: "k", Value: []byte("x"), Encoding: "bin\x00ary", Timestamp: ts(2, 3)},
		{Key: "k", Timestamp: ts(3, 4), Deleted: true},
	}
}

func TestBodyRoundTrip(t *testing.T) {
	for _, e := range sampleEntries() {
		body := appendBody(nil, e)
		if len(body) != headerLen+len(e.Value) {
			t.Fatalf("body of %d-byte value is %d bytes", len(e.Value), len(body))
		}
		meta, _ := userMetadata(e)
		got, err := bodyEntry(e.Key, body, meta)
		if err != nil || got.Timestamp != e.Timestamp || got.Deleted != e.Deleted ||
			!bytes.Equal(got.Value, e.Value) || got.Encoding != e.Encoding {
			t.Fatalf("bodyEntry = %+v, %v; want %+v", got, err, e)
		}
		// Every byte of the body, through the reader minio-go is given.
		if err := iotest.TestReader(newBodyReader(e), body); err != nil {
			t.Fatalf("bodyReader: %v", err)
		}
	}
}

func TestBodyReaderReadAt(t *testing.T) {
	e := backend.Entry{Value: []byte(strings.Repeat("0123456789", 10)), Timestamp: ts(0, 1)}
	want := appendBody(nil, e)
	r := newBodyReader(e)
	if r.Size() != int64(len(want)) {
		t.Fatalf("Size = %d, want %d", r.Size(), len(want))
	}
	for off := 0; off <= len(want); off++ {
		for _, n := range []int{1, 7, headerLen, len(want)} {
			buf := make([]byte, n)
			got, err := r.ReadAt(buf, int64(off))
			wantN := min(n, len(want)-off)
			if got != wantN || !bytes.Equal(buf[:got], want[off:off+wantN]) || (got < n) != errors.Is(err, io.EOF) {
				t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", n, off, got, err)
			}
		}
	}
}

func TestCorruptBodies(t *testing.T) {
	e := backend.Entry{Key: "k", Value: []byte("v"), Timestamp: ts(0, 1)}
	good := appendBody(nil, e)
	meta, _ := userMetadata(e)
	tomb := backend.Entry{Key: "k", Timestamp: ts(0, 1), Deleted: true}
	tombMeta, _ := userMetadata(tomb)
	for name, tt := range map[string]struct {
		body []byte
		meta map[string]string
	}{
		"short":              {good[:headerLen-1], meta},
		"bad magic":          {append([]byte("xxxx"), good[4:]...), meta},
		"future version":     {append(append([]byte{}, good[:4]...), append([]byte{2}, good[5:]...)...), meta},
		"unknown flag":       {append(append([]byte{}, good[:5]...), append([]byte{0x80}, good[6:]...)...), meta},
		"no metadata":        {good, map[string]string{}},
		"metadata disagrees": {good, tombMeta},
		"tombstone value":    {append(appendBody(nil, tomb), 'x'), tombMeta},
		"bad timestamp text": {good, map[string]string{metaTimestamp: "yesterday"}},
	} {
		if _, err := bodyEntry("k", tt.body, tt.meta); !errors.Is(err, backend.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}
