package httpapi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"lukechampine.com/blake3"

	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// putStream stores a request body whose Content-Length is over the
// server's max_value_size, streamed into the one storage holding key
// (server.Server.PutStream): then the limit is requests.max_stream_size.
// A body without Content-Length is read whole, within max_value_size.
func (h *Handler) putStream(w http.ResponseWriter, r *http.Request, key string) {
	enc := r.Header.Get("Content-Type")
	if enc == "" {
		enc = DefaultEncoding
	}
	if err := h.srv.PutStream(r.Context(), key, enc, r.Body, r.ContentLength); err != nil {
		h.refused(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// getStream answers GET /<key>?_raw for one plain key with the value
// streamed from the storage: Content-Length, an ETag (the value's BLAKE3
// hash in hex, quoted), Range and If-None-Match as http.ServeContent
// handles them.
func (h *Handler) getStream(w http.ResponseWriter, r *http.Request, key string) {
	v, ok, err := h.srv.OpenStream(r.Context(), key)
	if err != nil {
		var se *proto.StatusError
		if errors.As(err, &se) && se.Status == proto.StatusNoStorage {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no value matches %q", key))
			return
		}
		h.refused(w, r, err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no value matches %q", key))
		return
	}
	hash := v.Hash
	if hash == ([32]byte{}) {
		// Stored whole, without its hash: a first pass computes it.
		rc, err := v.Open(r.Context(), 0)
		if err != nil {
			h.refused(w, r, err)
			return
		}
		hs := blake3.New(32, nil)
		_, err = io.Copy(hs, rc)
		rc.Close()
		if err != nil {
			h.refused(w, r, err)
			return
		}
		copy(hash[:], hs.Sum(nil))
	}
	ct := "application/octet-stream"
	if _, _, err := mime.ParseMediaType(v.Encoding); err == nil {
		ct = v.Encoding
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", `"`+hex.EncodeToString(hash[:])+`"`)
	w.Header().Set("X-Zmesh-Key", headerKey(v.Key))
	w.Header().Set("X-Zmesh-Timestamp", v.Timestamp.String())
	rs := &valueSeeker{ctx: r.Context(), v: v}
	defer rs.Close()
	http.ServeContent(w, r, "", time.Time{}, rs)
}

// valueSeeker is an io.ReadSeeker over a stored value that opens it at
// the offset of the first read after a seek: what http.ServeContent needs
// for ranges without holding the value.
type valueSeeker struct {
	ctx context.Context
	v   server.StreamedValue
	pos int64
	rc  io.ReadCloser
}

func (s *valueSeeker) Read(p []byte) (int, error) {
	if s.pos >= s.v.Size {
		return 0, io.EOF
	}
	if s.rc == nil {
		rc, err := s.v.Open(s.ctx, s.pos)
		if err != nil {
			return 0, err
		}
		s.rc = rc
	}
	n, err := s.rc.Read(p)
	s.pos += int64(n)
	return n, err
}

func (s *valueSeeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += s.pos
	case io.SeekEnd:
		off += s.v.Size
	}
	if off < 0 {
		return 0, errors.New("httpapi: seek before the start")
	}
	if off != s.pos {
		s.Close()
		s.pos = off
	}
	return off, nil
}

// Close closes the reader in use, if any.
func (s *valueSeeker) Close() error {
	if s.rc != nil {
		s.rc.Close()
		s.rc = nil
	}
	return nil
}
