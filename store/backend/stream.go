package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Streamer is an optional interface of a Store that keeps large values
// without holding them in memory: it stores a value read from an
// io.Reader and hands values back as an io.ReadCloser. The storage server
// asks a Store for it with a type assertion, and falls back on Apply and
// Get (whole values in memory) for stores without it.
//
// The rules of Store hold (last writer wins, tombstones, durability when
// applied, errors), and in addition:
//
//   - Atomic visibility. A streamed value becomes visible whole, at once,
//     when PutStream returns applied=true: no reader (Get, Scan,
//     OpenStream, here or in another process) ever sees part of it, a mix
//     of it and the previous value, or a "torn" object.
//   - A failed put leaves nothing. If r fails, gives fewer or more than
//     size bytes, or ctx ends, PutStream returns an error and the key
//     keeps what it held; what the backend wrote on the way (an S3
//     multipart upload, a temporary file) is aborted or removed before
//     PutStream returns, as far as the medium lets it (a crash may leave
//     an S3 multipart upload for the bucket's lifecycle rules to collect,
//     never a visible object).
//   - Bounded memory. Neither method holds the value: a backend buffers
//     at most a part of it (S3: one multipart part).
type Streamer interface {
	// PutStream stores the entry e.Entry (a value, not a tombstone; its
	// Value must be nil) whose value is the next e.Size bytes of r, with
	// e.Hash kept beside it. It returns applied=false, without reading r,
	// when the key already holds an entry at least as new (it may have
	// read part of r when a newer entry arrived meanwhile). A reader that
	// gives fewer or more than e.Size bytes fails it with an error matching
	// ErrStreamSize; a value over the backend's limits, ErrTooLarge or
	// ErrFull.
	PutStream(ctx context.Context, e StreamEntry, r io.Reader) (applied bool, err error)

	// OpenStream returns key's entry (Value nil, Size and Hash set) and a
	// reader of its value from byte offset off on, which the caller must
	// close. The reader gives the value the entry held when OpenStream
	// returned, even if the key is written meanwhile (or fails with an
	// error rather than mix two values). A key that holds nothing gives
	// ok=false; a tombstone gives ok=true, Deleted set and a nil reader.
	// An offset past the value's end gives an error matching
	// ErrInvalidInput.
	OpenStream(ctx context.Context, key string, off int64) (e StreamEntry, rc io.ReadCloser, ok bool, err error)
}

// StreamEntry is an entry whose value travels as a stream.
type StreamEntry struct {
	Entry
	// Size is the value's length in bytes.
	Size int64
	// Hash is the value's BLAKE3-256 hash, stored as given (the storage
	// server verified the value against it while it arrived) and returned
	// by OpenStream; zero when unknown (the value was stored by Apply).
	Hash [32]byte
}

// Errors of streamed values.
var (
	// ErrStreamSize: a streamed value's reader gave fewer or more bytes
	// than the declared size. Nothing was stored.
	ErrStreamSize = errors.New("backend: stream size disagrees with the declared size")
	// ErrTooLarge: the value is larger than the backend takes in this way,
	// for example a value too large for Get to return whole (read it with
	// OpenStream).
	ErrTooLarge = errors.New("backend: value too large")
	// ErrFull: storing the value would exceed the storage's configured
	// space (memory's max_bytes).
	ErrFull = errors.New("backend: storage full")
)

// CheckStreamEntry reports whether e may be stored by PutStream: it passes
// CheckEntry, is not a tombstone, has no Value and a size of at least 0.
// Errors match ErrInvalidKey or ErrInvalidEntry.
func CheckStreamEntry(e StreamEntry) error {
	if err := CheckEntry(e.Entry); err != nil {
		return err
	}
	switch {
	case e.Deleted:
		return fmt.Errorf("%w: key %q: a streamed value cannot be a tombstone", ErrInvalidEntry, e.Key)
	case e.Value != nil:
		return fmt.Errorf("%w: key %q: a streamed entry carries its value in the reader, not Value", ErrInvalidEntry, e.Key)
	case e.Size < 0:
		return fmt.Errorf("%w: key %q: size %d", ErrInvalidEntry, e.Key, e.Size)
	}
	return nil
}

// ExactReader returns a reader of exactly size bytes of r: it fails with
// an error matching ErrStreamSize when r ends before them, and when r has
// more to give after them (it reads one byte past size to know). Backends
// read PutStream's reader through it.
func ExactReader(r io.Reader, size int64) io.Reader {
	return &exactReader{r: r, left: size}
}

type exactReader struct {
	r    io.Reader
	left int64
	done bool
}

func (x *exactReader) Read(p []byte) (int, error) {
	if x.left == 0 {
		if !x.done {
			x.done = true
			var one [1]byte
			n, err := io.ReadFull(x.r, one[:])
			if n > 0 {
				return 0, fmt.Errorf("%w: more bytes than declared", ErrStreamSize)
			}
			if err != nil && err != io.EOF {
				return 0, err
			}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if err == io.EOF {
		if x.left > 0 {
			return n, fmt.Errorf("%w: %d bytes missing", ErrStreamSize, x.left)
		}
		err = nil
	}
	return n, err
}

// readOnlyStreamer is ReadOnly of a Streamer.
type readOnlyStreamer struct {
	*readOnly
	st Streamer
}

func (r *readOnlyStreamer) PutStream(ctx context.Context, e StreamEntry, _ io.Reader) (bool, error) {
	return false, r.refuse(ctx, fmt.Sprintf("put stream %q", e.Key))
}

func (r *readOnlyStreamer) OpenStream(ctx context.Context, key string, off int64) (StreamEntry, io.ReadCloser, bool, error) {
	return r.st.OpenStream(ctx, key, off)
}
