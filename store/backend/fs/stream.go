package fs

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	iofs "io/fs"
	"os"
	"syscall"

	"github.com/zmesh/zmesh/store/backend"
)

var _ backend.Streamer = (*Store)(nil)

// copyBufLen is the buffer PutStream copies a value through.
const copyBufLen = 256 << 10

// PutStream stores e with the value read from r (see backend.Streamer),
// as Apply does: into a temporary file (header first, with a placeholder
// value checksum that is rewritten once the value has been read), fsync'd
// and renamed over the key's file, so the value appears whole or not at
// all. It holds one copy buffer, never the value. The key's mutex is held
// from the timestamp check to the rename, so other writers of the same
// key wait for the whole upload.
func (s *Store) PutStream(ctx context.Context, e backend.StreamEntry, r io.Reader) (bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return false, err
	}
	if err := backend.CheckStreamEntry(e); err != nil {
		return false, fmt.Errorf("fs: put stream: %w", err)
	}
	if err := s.enter("put stream"); err != nil {
		return false, err
	}
	defer s.ops.Done()
	if s.opts.readOnly {
		return false, fmt.Errorf("fs: put stream %q: %w", e.Key, backend.ErrReadOnly)
	}
	rel, err := entryPath(e.Key)
	if err != nil {
		return false, fmt.Errorf("fs: put stream: %w", err)
	}
	mu := s.keyMutex(e.Key)
	mu.Lock()
	defer mu.Unlock()
	if stale, err := s.stale("put stream", e.Key, rel, e.Timestamp); err != nil || stale {
		return false, err
	}
	s.dirMu.RLock()
	defer s.dirMu.RUnlock()
	write := func(f *os.File) error {
		hash := e.Hash
		hdr := appendHeaderOf(nil, e.Entry, uint64(e.Size), 0, &hash)
		if _, err := f.Write(hdr); err != nil {
			return backend.Fail("write", err)
		}
		crc, err := copyValue(ctx, f, backend.ExactReader(r, e.Size))
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(appendHeaderOf(hdr[:0], e.Entry, uint64(e.Size), crc, &hash), 0); err != nil {
			return backend.Fail("write", err)
		}
		return nil
	}
	if err := s.writeFile(ctx, rel, write); err != nil {
		return false, fmt.Errorf("fs: put stream %q: %w", e.Key, err)
	}
	return true, nil
}

// copyValue copies r to w through one buffer, checking ctx between
// reads, and returns the CRC-32C of what it copied.
func copyValue(ctx context.Context, w io.Writer, r io.Reader) (uint32, error) {
	buf := make([]byte, copyBufLen)
	var crc uint32
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := r.Read(buf)
		if n > 0 {
			crc = crc32.Update(crc, castagnoli, buf[:n])
			if _, werr := w.Write(buf[:n]); werr != nil {
				return 0, backend.Fail("write", werr)
			}
		}
		if err == io.EOF {
			return crc, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// OpenStream returns key's entry and a reader of its value from off (see
// backend.Streamer). The file is never modified once renamed into place,
// and the open descriptor keeps it whatever is written to the key
// afterwards, so the reader is a snapshot. A reader from offset 0 checks
// the value's CRC-32C at its end and fails with backend.ErrCorrupt on a
// mismatch.
func (s *Store) OpenStream(ctx context.Context, key string, off int64) (backend.StreamEntry, io.ReadCloser, bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return backend.StreamEntry{}, nil, false, err
	}
	if err := backend.CheckKey(key); err != nil {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("fs: open stream: %w", err)
	}
	if err := s.enter("open stream"); err != nil {
		return backend.StreamEntry{}, nil, false, err
	}
	defer s.ops.Done()
	rel, err := entryPath(key)
	if err != nil {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("fs: open stream: %w", err)
	}
	op := fmt.Sprintf("fs: open stream %q", key)
	f, err := s.root.Open(rel)
	if errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return backend.StreamEntry{}, nil, false, nil
	}
	if err != nil {
		return backend.StreamEntry{}, nil, false, backend.Fail(op, err)
	}
	se, rc, err := openValue(f, key, off)
	if err != nil {
		f.Close()
		if errors.Is(err, backend.ErrInvalidInput) {
			return backend.StreamEntry{}, nil, false, fmt.Errorf("%s: %w", op, err)
		}
		return backend.StreamEntry{}, nil, false, backend.Fail(op, err)
	}
	if rc == nil {
		f.Close()
	}
	return se, rc, true, nil
}

// openValue decodes f's header and returns the entry and a reader of the
// value from off (nil for a tombstone), which closes f.
func openValue(f *os.File, key string, off int64) (backend.StreamEntry, io.ReadCloser, error) {
	fi, err := f.Stat()
	if err != nil {
		return backend.StreamEntry{}, nil, err
	}
	if !fi.Mode().IsRegular() {
		return backend.StreamEntry{}, nil, fmt.Errorf("%w: not a regular file", backend.ErrCorrupt)
	}
	var buf [maxHeaderLen]byte
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && err != io.EOF {
		return backend.StreamEntry{}, nil, err
	}
	h, need, err := decodeHeader(buf[:n])
	if err == nil && need > 0 {
		err = fmt.Errorf("%w: file of %d bytes, shorter than its header", backend.ErrCorrupt, n)
	}
	if err != nil {
		return backend.StreamEntry{}, nil, err
	}
	if got := fi.Size() - int64(h.size); got != int64(h.valueLen) {
		return backend.StreamEntry{}, nil, fmt.Errorf("%w: value of %d bytes, header says %d", backend.ErrCorrupt, got, h.valueLen)
	}
	e := h.entry
	e.Key = key
	se := backend.StreamEntry{Entry: e, Size: int64(h.valueLen), Hash: h.hash}
	if e.Deleted {
		return se, nil, nil
	}
	if off < 0 || off > se.Size {
		return backend.StreamEntry{}, nil, fmt.Errorf("%w: offset %d of a %d-byte value", backend.ErrInvalidInput, off, se.Size)
	}
	vr := &valueReader{f: f, r: io.NewSectionReader(f, int64(h.size)+off, se.Size-off), check: off == 0, want: h.valueCRC}
	return se, vr, nil
}

// valueReader reads a value from its file, and when it reads the whole
// value checks its CRC-32C at the end.
type valueReader struct {
	f     *os.File
	r     io.Reader
	check bool
	crc   uint32
	want  uint32
}

func (v *valueReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	if v.check {
		v.crc = crc32.Update(v.crc, castagnoli, p[:n])
		if err == io.EOF && v.crc != v.want {
			return n, fmt.Errorf("%w: value checksum %08x, want %08x", backend.ErrCorrupt, v.crc, v.want)
		}
	}
	return n, err
}

func (v *valueReader) Close() error { return v.f.Close() }
