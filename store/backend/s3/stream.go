package s3

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// Streamed values (backend.Streamer).
const (
	// MaxGetSize is the largest value Get and Scan read whole into memory;
	// a larger one fails them with backend.ErrTooLarge and is read with
	// OpenStream.
	MaxGetSize = 64 << 20
	// MinPartSize is the part size of a streamed put's multipart upload
	// (larger only for values over MinPartSize × maxParts): PutStream
	// holds one part in memory at a time.
	MinPartSize = 8 << 20
	// maxParts is S3's limit on the parts of one upload.
	maxParts = 10000
	// abortTimeout bounds the abort of a failed upload, which runs even
	// when the put's context has ended.
	abortTimeout = 30 * time.Second
	// metaBlake3 holds a streamed value's BLAKE3 hash, in hex.
	metaBlake3 = "Zmesh-Blake3"
)

var _ backend.Streamer = (*Store)(nil)

// partSize returns the part size of a body of total bytes: MinPartSize,
// or more (in whole MiB) when that would take over maxParts parts.
func partSize(total int64) int64 {
	p := max(int64(MinPartSize), (total+maxParts-1)/maxParts)
	return (p + 1<<20 - 1) &^ (1<<20 - 1)
}

// PutStream stores e with its value read from r (see backend.Streamer). The
// object is the same as Apply writes (header, then the value), plus the
// hash in metadata, so Get and Scan read it like any other (up to
// MaxGetSize).
//
// A body up to one part goes up as one conditional PUT, as in Apply.
// Larger ones go up as a multipart upload, one part of partSize buffered
// at a time; the object appears only when the upload is completed, with
// the same compare-and-swap condition as Apply's PUT (If-Match on the ETag
// compared with, or If-None-Match: *), retried on a conflict like Apply's.
// Any failure aborts the upload, with a context of its own so that a
// cancelled put still cleans up.
func (s *Store) PutStream(ctx context.Context, e backend.StreamEntry, r io.Reader) (bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return false, err
	}
	if err := s.checkOpen("put stream"); err != nil {
		return false, err
	}
	if err := backend.CheckStreamEntry(e); err != nil {
		return false, fmt.Errorf("s3: put stream: %w", err)
	}
	name, err := ObjectName(e.Key)
	if err != nil {
		return false, fmt.Errorf("s3: put stream: %w", err)
	}
	meta, contentType := userMetadata(e.Entry)
	if e.Hash != ([32]byte{}) {
		meta[metaBlake3] = hex.EncodeToString(e.Hash[:])
	}
	header := appendBody(make([]byte, 0, headerLen), backend.Entry{Timestamp: e.Timestamp})
	body := io.MultiReader(bytes.NewReader(header), backend.ExactReader(r, e.Size))
	total := int64(headerLen) + e.Size
	base := minio.PutObjectOptions{UserMetadata: meta, ContentType: contentType}

	unlock := s.locks.lock(e.Key)
	defer unlock()
	// Compare first, so that a write that loses does not upload anything.
	if cur, _, exists, err := s.head(ctx, e.Key, name); err != nil {
		return false, fail(ctx, fmt.Sprintf("s3: put stream %q", e.Key), err)
	} else if exists && cur.Timestamp.Compare(e.Timestamp) >= 0 {
		return false, nil
	}

	psize := partSize(total)
	if total <= psize {
		buf, err := readAll(body, total)
		if err != nil {
			return false, fmt.Errorf("s3: put stream %q: %w", e.Key, err)
		}
		base.DisableMultipart = true
		return s.casWrite(ctx, e.Key, name, e.Timestamp, base, func(opts minio.PutObjectOptions) (minio.UploadInfo, error) {
			return s.v.client.PutObject(ctx, s.bucket, name, bytes.NewReader(buf), total, opts)
		})
	}

	uploadID, err := s.v.core.NewMultipartUpload(ctx, s.bucket, name, base)
	if err != nil {
		return false, fail(ctx, fmt.Sprintf("s3: put stream %q: begin upload", e.Key), err)
	}
	done := false
	defer func() {
		if !done {
			s.abort(ctx, name, uploadID)
		}
	}()
	parts, err := s.uploadParts(ctx, name, uploadID, body, psize)
	if err != nil {
		return false, fmt.Errorf("s3: put stream %q: %w", e.Key, err)
	}
	applied, err := s.casWrite(ctx, e.Key, name, e.Timestamp, base, func(opts minio.PutObjectOptions) (minio.UploadInfo, error) {
		return s.v.core.CompleteMultipartUpload(ctx, s.bucket, name, uploadID, parts, opts)
	})
	done = applied // a completed upload is gone; any other is aborted
	return applied, err
}

// readAll reads exactly n bytes of body and checks that it has no more.
func readAll(body io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	var one [1]byte
	if _, err := body.Read(one[:]); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("%w: more bytes than declared", backend.ErrStreamSize)
		}
		return nil, err
	}
	return buf, nil
}

// uploadParts uploads body in parts of psize bytes (the last one shorter)
// with one buffer, and returns the parts for the completion.
func (s *Store) uploadParts(ctx context.Context, name, uploadID string, body io.Reader, psize int64) ([]minio.CompletePart, error) {
	buf := make([]byte, psize)
	var parts []minio.CompletePart
	for num := 1; ; num++ {
		n, rerr := io.ReadFull(body, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return nil, rerr
		}
		if n > 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			p, err := s.v.core.PutObjectPart(ctx, s.bucket, name, uploadID, num, bytes.NewReader(buf[:n]), int64(n), minio.PutObjectPartOptions{})
			if err != nil {
				return nil, fail(ctx, fmt.Sprintf("upload part %d", num), err)
			}
			parts = append(parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
		}
		if rerr != nil { // the body ended, at exactly its size (ExactReader checked)
			return parts, nil
		}
	}
}

// abort aborts a multipart upload that will not be completed, even when
// ctx has ended; a failure is logged (the bucket's lifecycle rules, or a
// later ListMultipartUploads, collect what is left; it is never visible
// as an object).
func (s *Store) abort(ctx context.Context, name, uploadID string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	if err := s.v.core.AbortMultipartUpload(actx, s.bucket, name, uploadID); err != nil && !isNoSuchUpload(err) {
		s.log.WarnContext(ctx, "could not abort a failed upload", "object", name, "upload", uploadID, "error", err)
	}
}

func isNoSuchUpload(err error) bool {
	r, ok := errorResponse(err)
	return ok && r.Code == "NoSuchUpload"
}

// OpenStream returns key's entry and a reader of its value from off (see
// backend.Streamer): one GET (ranged unless off is 0), whose body is
// handed over as it comes, never held. The GET is of one object version: S3 serves one
// request from one version, so an overwrite meanwhile either does not
// show or (if the server drops the old data) ends the read with an error.
func (s *Store) OpenStream(ctx context.Context, key string, off int64) (backend.StreamEntry, io.ReadCloser, bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return backend.StreamEntry{}, nil, false, err
	}
	if err := s.checkOpen("open stream"); err != nil {
		return backend.StreamEntry{}, nil, false, err
	}
	name, err := ObjectName(key)
	if err != nil {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("s3: open stream: %w", err)
	}
	if off < 0 {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("s3: open stream %q: %w: offset %d", key, backend.ErrInvalidInput, off)
	}
	op := fmt.Sprintf("s3: open stream %q", key)
	if off == 0 {
		return s.openWhole(ctx, key, name)
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(int64(headerLen)+off, 0); err != nil {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("%s: %w: %w", op, backend.ErrInvalidInput, err)
	}
	rc, info, hdr, err := s.v.core.GetObject(ctx, s.bucket, name, opts)
	switch {
	case err == nil:
	case isNoSuchKey(err):
		return backend.StreamEntry{}, nil, false, nil
	case isInvalidRange(err):
		// Nothing at or after the offset: a tombstone, an empty rest, or
		// an offset past the end.
		return s.openEmpty(ctx, key, name, off)
	default:
		return backend.StreamEntry{}, nil, false, fail(ctx, op, err)
	}
	se, err := streamEntryOf(key, info.UserMetadata)
	if err == nil {
		se.Size, err = rangeTotal(hdr)
		se.Size -= int64(headerLen)
	}
	if err == nil && se.Deleted {
		err = fmt.Errorf("%w: a tombstone with a value", backend.ErrCorrupt)
	}
	if err != nil {
		rc.Close()
		return backend.StreamEntry{}, nil, false, fail(ctx, op, err)
	}
	s.etags.put(key, info.ETag, se.Timestamp, false)
	return se, rc, true, nil
}

// openWhole answers OpenStream from offset 0 with a plain GET (no range,
// which MinIO serves faster for large objects): it reads and checks the
// header, then hands the body over positioned at the value.
func (s *Store) openWhole(ctx context.Context, key, name string) (backend.StreamEntry, io.ReadCloser, bool, error) {
	op := fmt.Sprintf("s3: open stream %q", key)
	rc, info, _, err := s.v.core.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	switch {
	case err == nil:
	case isNoSuchKey(err):
		return backend.StreamEntry{}, nil, false, nil
	default:
		return backend.StreamEntry{}, nil, false, fail(ctx, op, err)
	}
	se, err := streamEntryOf(key, info.UserMetadata)
	var head [headerLen]byte
	if err == nil {
		_, err = io.ReadFull(rc, head[:])
	}
	if err == nil {
		var ts hlc.Timestamp
		var deleted bool
		ts, deleted, _, err = parseBody(head[:])
		if err == nil && (ts != se.Timestamp || deleted != se.Deleted) {
			err = fmt.Errorf("%w: object %q: header and metadata disagree", backend.ErrCorrupt, name)
		}
	}
	if err == nil && se.Deleted && info.Size != int64(headerLen) {
		err = fmt.Errorf("%w: a tombstone with a value", backend.ErrCorrupt)
	}
	if err != nil {
		rc.Close()
		return backend.StreamEntry{}, nil, false, fail(ctx, op, err)
	}
	s.etags.put(key, info.ETag, se.Timestamp, false)
	if se.Deleted {
		rc.Close()
		return backend.StreamEntry{Entry: se.Entry}, nil, true, nil
	}
	se.Size = info.Size - int64(headerLen)
	return se, rc, true, nil
}

// openEmpty answers OpenStream when the range is empty, with a HEAD.
func (s *Store) openEmpty(ctx context.Context, key, name string, off int64) (backend.StreamEntry, io.ReadCloser, bool, error) {
	op := fmt.Sprintf("s3: open stream %q", key)
	info, err := s.v.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if isNoSuchKey(err) {
		return backend.StreamEntry{}, nil, false, nil
	}
	if err != nil {
		return backend.StreamEntry{}, nil, false, fail(ctx, op, err)
	}
	se, err := streamEntryOf(key, info.UserMetadata)
	if err != nil {
		return backend.StreamEntry{}, nil, false, fail(ctx, op, err)
	}
	if se.Deleted {
		return backend.StreamEntry{Entry: se.Entry}, nil, true, nil
	}
	se.Size = info.Size - int64(headerLen)
	if off != se.Size {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("%s: %w: offset %d of a %d-byte value", op, backend.ErrInvalidInput, off, se.Size)
	}
	return se, io.NopCloser(bytes.NewReader(nil)), true, nil
}

// streamEntryOf reads key's entry and hash from an object's metadata.
func streamEntryOf(key string, m map[string]string) (backend.StreamEntry, error) {
	e, ok, err := metaEntry(key, m)
	if err != nil {
		return backend.StreamEntry{}, err
	}
	if !ok {
		return backend.StreamEntry{}, fmt.Errorf("%w: no %s metadata (not written by zmesh)", backend.ErrCorrupt, metaTimestamp)
	}
	se := backend.StreamEntry{Entry: e}
	if h, ok := metaLookup(m, metaBlake3); ok {
		if b, err := hex.DecodeString(h); err == nil && len(b) == len(se.Hash) {
			copy(se.Hash[:], b)
		} else {
			return backend.StreamEntry{}, fmt.Errorf("%w: %s metadata %q is not a hash", backend.ErrCorrupt, metaBlake3, h)
		}
	}
	return se, nil
}

// rangeTotal returns the object size from a ranged GET's Content-Range
// ("bytes 34-99/100").
func rangeTotal(h http.Header) (int64, error) {
	cr := h.Get("Content-Range")
	_, total, ok := strings.Cut(cr, "/")
	n, err := strconv.ParseInt(total, 10, 64)
	if !ok || err != nil || n < int64(headerLen) {
		return 0, fmt.Errorf("%w: Content-Range %q", backend.ErrCorrupt, cr)
	}
	return n, nil
}

func isInvalidRange(err error) bool {
	r, ok := errorResponse(err)
	return ok && (r.Code == "InvalidRange" || r.StatusCode == http.StatusRequestedRangeNotSatisfiable)
}
