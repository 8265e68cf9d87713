package s3

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// An object holds one entry. Its body is a fixed header and then the value:
//
//	offset  size  field
//	0       4     magic "zms3"
//	4       1     format version, 1
//	5       1     flags: bit 0 set for a tombstone, other bits zero
//	6       28    timestamp, hlc binary form (hlc.Timestamp.Append)
//	34      n     value (empty for a tombstone)
//
// The header makes every write's body, and so its ETag (the MD5 of the
// body), unique: two writes of the same value at different timestamps get
// different ETags. Without it, compare-and-swap on the ETag would suffer
// from ABA: a writer that read "v at t1" could overwrite "v at t5" written
// meanwhile, because both have the ETag of "v" (and every tombstone the
// ETag of the empty body).
//
// The user metadata repeats what listings and HEAD need without the body:
//
//	x-amz-meta-zmesh-timestamp     the timestamp's text form (hlc String)
//	x-amz-meta-zmesh-deleted       "true" on a tombstone, absent otherwise
//	x-amz-meta-zmesh-encoding      the encoding, when it is printable ASCII
//	x-amz-meta-zmesh-encoding-b64  otherwise, the encoding in base64
//
// No encoding header means the empty encoding. Names are hyphenated (NGINX
// drops headers with '_' by default). Content-Type is the encoding when it
// parses as a MIME type, for other tools; zmesh reads only its own headers.
const (
	bodyMagic     = "zms3"
	formatVersion = 1
	flagTombstone = 1
	headerLen     = len(bodyMagic) + 2 + hlc.EncodedLen

	metaTimestamp   = "Zmesh-Timestamp"
	metaDeleted     = "Zmesh-Deleted"
	metaEncoding    = "Zmesh-Encoding"
	metaEncodingB64 = "Zmesh-Encoding-B64"
)

// appendBody appends the body of e (already normalised) to b.
func appendBody(b []byte, e backend.Entry) []byte {
	var flags byte
	if e.Deleted {
		flags |= flagTombstone
	}
	b = append(b, bodyMagic...)
	b = append(b, formatVersion, flags)
	b = e.Timestamp.Append(b)
	return append(b, e.Value...)
}

// parseBody returns the timestamp, tombstone flag and value of a body. The
// value aliases body.
func parseBody(body []byte) (ts hlc.Timestamp, deleted bool, value []byte, err error) {
	if len(body) < headerLen || string(body[:len(bodyMagic)]) != bodyMagic {
		return ts, false, nil, fmt.Errorf("%w: not a zmesh object (%d bytes, no header)", backend.ErrCorrupt, len(body))
	}
	if v := body[4]; v != formatVersion {
		return ts, false, nil, fmt.Errorf("%w: object format version %d, this build reads %d", backend.ErrCorrupt, v, formatVersion)
	}
	flags := body[5]
	if flags&^flagTombstone != 0 {
		return ts, false, nil, fmt.Errorf("%w: unknown object flags %#x", backend.ErrCorrupt, flags)
	}
	ts, err = hlc.DecodeTimestamp(body[6:headerLen])
	if err != nil {
		return ts, false, nil, fmt.Errorf("%w: object timestamp: %w", backend.ErrCorrupt, err)
	}
	deleted = flags&flagTombstone != 0
	value = body[headerLen:]
	if deleted && len(value) != 0 {
		return ts, false, nil, fmt.Errorf("%w: tombstone with a %d-byte value", backend.ErrCorrupt, len(value))
	}
	return ts, deleted, value, nil
}

// userMetadata returns the user metadata of e (already normalised) and
// its Content-Type.
func userMetadata(e backend.Entry) (meta map[string]string, contentType string) {
	meta = map[string]string{metaTimestamp: e.Timestamp.String()}
	contentType = "application/octet-stream"
	if e.Deleted {
		meta[metaDeleted] = "true"
		return meta, contentType
	}
	switch {
	case e.Encoding == "":
	case headerSafe(e.Encoding):
		meta[metaEncoding] = e.Encoding
		if _, _, err := mime.ParseMediaType(e.Encoding); err == nil {
			contentType = e.Encoding
		}
	default:
		meta[metaEncodingB64] = base64.StdEncoding.EncodeToString([]byte(e.Encoding))
	}
	return meta, contentType
}

// headerSafe reports whether s survives an HTTP header and every S3
// server's metadata handling unchanged: printable ASCII, no leading or
// trailing space (trimmed by HTTP), and no "=?" (AWS decodes RFC 2047
// encoded words in metadata).
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s == strings.TrimSpace(s) && !strings.Contains(s, "=?")
}

// metaLookup finds a user metadata value whatever form the server or
// minio-go gave its name in ("Zmesh-Timestamp", "X-Amz-Meta-Zmesh-Timestamp",
// lower case...).
func metaLookup(m map[string]string, name string) (string, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if len(k) > len("x-amz-meta-") && strings.EqualFold(k[:len("x-amz-meta-")], "x-amz-meta-") {
			k = k[len("x-amz-meta-"):]
		}
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// metaEntry reads key's entry (without value) from user metadata. ok is
// false when the metadata has no zmesh timestamp (a listing without
// metadata, or a foreign object).
func metaEntry(key string, m map[string]string) (e backend.Entry, ok bool, err error) {
	tsText, ok := metaLookup(m, metaTimestamp)
	if !ok {
		return e, false, nil
	}
	e.Key = key
	if e.Timestamp, err = hlc.ParseTimestamp(tsText); err != nil {
		return e, false, fmt.Errorf("%w: metadata of key %q: %w", backend.ErrCorrupt, key, err)
	}
	if d, ok := metaLookup(m, metaDeleted); ok {
		if d != "true" {
			return e, false, fmt.Errorf("%w: metadata of key %q: %s %q", backend.ErrCorrupt, key, metaDeleted, d)
		}
		e.Deleted = true
		return e, true, nil
	}
	if enc, ok := metaLookup(m, metaEncoding); ok {
		e.Encoding = enc
	} else if b64, ok := metaLookup(m, metaEncodingB64); ok {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return e, false, fmt.Errorf("%w: metadata of key %q: %s: %w", backend.ErrCorrupt, key, metaEncodingB64, err)
		}
		e.Encoding = string(raw)
	}
	return e, true, nil
}

// bodyEntry builds key's entry from a whole object: its body and its user
// metadata, which must agree.
func bodyEntry(key string, body []byte, m map[string]string) (backend.Entry, error) {
	ts, deleted, value, err := parseBody(body)
	if err != nil {
		return backend.Entry{}, fmt.Errorf("key %q: %w", key, err)
	}
	e, ok, err := metaEntry(key, m)
	switch {
	case err != nil:
		return backend.Entry{}, err
	case !ok:
		return backend.Entry{}, fmt.Errorf("%w: key %q: object has no %s metadata", backend.ErrCorrupt, key, metaTimestamp)
	case e.Timestamp != ts || e.Deleted != deleted:
		return backend.Entry{}, fmt.Errorf("%w: key %q: body says %v (deleted %v), metadata %v (deleted %v)",
			backend.ErrCorrupt, key, ts, deleted, e.Timestamp, e.Deleted)
	}
	if !deleted {
		e.Value = value
		if e.Value == nil {
			e.Value = []byte{}
		}
	}
	return e, nil
}

// bodyReader reads an object body, the header then the value, without
// copying the value into one buffer: an io.ReadSeeker and io.ReaderAt,
// which minio-go wraps in a SectionReader so that it can hash and resend
// the body. It must not outlive the Apply call that made it (the caller
// may reuse the value afterwards).
type bodyReader struct {
	header []byte
	value  []byte
	off    int64
}

func newBodyReader(e backend.Entry) *bodyReader {
	return &bodyReader{header: appendBody(make([]byte, 0, headerLen), backend.Entry{Timestamp: e.Timestamp, Deleted: e.Deleted}), value: e.Value}
}

// Size returns the body's length.
func (r *bodyReader) Size() int64 { return int64(len(r.header) + len(r.value)) }

// ReadAt implements io.ReaderAt.
func (r *bodyReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("s3: negative offset")
	}
	n := 0
	if off < int64(len(r.header)) {
		n = copy(p, r.header[off:])
	}
	if rest := off + int64(n) - int64(len(r.header)); n < len(p) && rest < int64(len(r.value)) {
		n += copy(p[n:], r.value[rest:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Read implements io.Reader.
func (r *bodyReader) Read(p []byte) (int, error) {
	if r.off >= r.Size() {
		return 0, io.EOF
	}
	n, _ := r.ReadAt(p, r.off)
	r.off += int64(n)
	return n, nil
}

// Seek implements io.Seeker.
func (r *bodyReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.Size()
	default:
		return 0, errors.New("s3: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("s3: negative position")
	}
	r.off = offset
	return offset, nil
}
