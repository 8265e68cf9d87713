package s3

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
)

// FuzzObjectEntry feeds bodyEntry what an S3 server returns for an
// object: its body and its user metadata, both untrusted (another program
// may have written the bucket, or a proxy rewritten the headers). It must
// refuse anything malformed with ErrCorrupt and never panic; what it
// accepts must be exactly what this backend would have written.
func FuzzObjectEntry(f *testing.F) {
	for _, e := range sampleEntries() {
		meta, _ := userMetadata(e)
		f.Add(appendBody(nil, e), meta[metaTimestamp], meta[metaDeleted], meta[metaEncoding], meta[metaEncodingB64])
	}
	f.Add([]byte("zms3"), "yesterday", "false", "", "!!")
	f.Fuzz(func(t *testing.T, body []byte, tsText, deleted, enc, enc64 string) {
		meta := map[string]string{}
		for k, v := range map[string]string{metaTimestamp: tsText, metaDeleted: deleted, metaEncoding: enc, metaEncodingB64: enc64} {
			if v != "" {
				meta["X-Amz-Meta-"+k] = v
			}
		}
		e, err := bodyEntry("k", body, meta)
		if err != nil {
			if !errors.Is(err, backend.ErrCorrupt) {
				t.Fatalf("bodyEntry: %v, want ErrCorrupt", err)
			}
			return
		}
		// Accepted: the body is the one appendBody writes for e.
		if got := appendBody(nil, e); !bytes.Equal(got, body) {
			t.Fatalf("accepted body %x, but entry %+v writes %x", body, e, got)
		}
		if e.Deleted && (e.Value != nil || e.Encoding != "") {
			t.Fatalf("tombstone with a value or encoding: %+v", e)
		}
		if !e.Deleted && e.Value == nil {
			t.Fatalf("live entry with a nil value: %+v", e)
		}
		// The metadata entry alone (a listing) agrees with the body.
		m, ok, err := metaEntry("k", meta)
		if err != nil || !ok || m.Timestamp != e.Timestamp || m.Deleted != e.Deleted || m.Encoding != e.Encoding {
			t.Fatalf("metaEntry = %+v, %v, %v; bodyEntry = %+v", m, ok, err, e)
		}
	})
}
