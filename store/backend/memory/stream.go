package memory

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/zmesh/zmesh/store/backend"
)

var _ backend.Streamer = (*Store)(nil)

// PutStream stores e with the value read from r (see backend.Streamer).
// The value ends up in memory like any other, but it is read in pieces
// as it grows, so a reader that stops early or a size over the byte
// budget fails before the whole declared size is allocated.
func (s *Store) PutStream(ctx context.Context, e backend.StreamEntry, r io.Reader) (bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return false, err
	}
	if err := backend.CheckStreamEntry(e); err != nil {
		return false, fmt.Errorf("memory: put stream: %w", err)
	}
	sh := s.shard(e.Key)
	sh.mu.RLock()
	if sh.m == nil {
		sh.mu.RUnlock()
		return false, errClosed("put stream")
	}
	cur := sh.m[e.Key]
	sh.mu.RUnlock()
	if cur != nil && cur.Timestamp.Compare(e.Timestamp) >= 0 {
		return false, nil // r is not read
	}
	if err := s.reserve(e.Size); err != nil {
		return false, fmt.Errorf("memory: put stream %q: %w", e.Key, err)
	}
	value, err := readValue(ctx, backend.ExactReader(r, e.Size), e.Size)
	if err != nil {
		s.used.Add(-e.Size)
		return false, fmt.Errorf("memory: put stream %q: %w", e.Key, err)
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		s.used.Add(-e.Size)
		return false, errClosed("put stream")
	}
	cur = sh.m[e.Key]
	if cur != nil && cur.Timestamp.Compare(e.Timestamp) >= 0 {
		s.used.Add(-e.Size) // a newer write arrived while we read
		return false, nil
	}
	s.store(sh, cur, &backend.Entry{Key: e.Key, Value: value, Encoding: e.Encoding, Timestamp: e.Timestamp})
	sh.sums[e.Key] = e.Hash
	return true, nil
}

// readValue reads r (exactly size bytes) in pieces, checking ctx between
// them.
func readValue(ctx context.Context, r io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<20)))
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := io.CopyN(&buf, r, 1<<20); err == io.EOF {
			return buf.Bytes()[:buf.Len():buf.Len()], nil
		} else if err != nil {
			return nil, err
		}
	}
}

// OpenStream returns key's entry and a reader of its value from off (see
// backend.Streamer). The value is immutable once stored, so the reader
// keeps giving it whatever is written to the key afterwards.
func (s *Store) OpenStream(ctx context.Context, key string, off int64) (backend.StreamEntry, io.ReadCloser, bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return backend.StreamEntry{}, nil, false, err
	}
	if err := backend.CheckKey(key); err != nil {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("memory: open stream: %w", err)
	}
	sh := s.shard(key)
	sh.mu.RLock()
	if sh.m == nil {
		sh.mu.RUnlock()
		return backend.StreamEntry{}, nil, false, errClosed("open stream")
	}
	p, sum := sh.m[key], sh.sums[key]
	sh.mu.RUnlock()
	if p == nil {
		return backend.StreamEntry{}, nil, false, nil
	}
	e := *p
	if e.Deleted {
		return backend.StreamEntry{Entry: e}, nil, true, nil
	}
	value := e.Value
	if off < 0 || off > int64(len(value)) {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("memory: open stream %q: %w: offset %d of a %d-byte value",
			key, backend.ErrInvalidInput, off, len(value))
	}
	e.Value = nil
	se := backend.StreamEntry{Entry: e, Size: int64(len(value)), Hash: sum}
	return se, io.NopCloser(bytes.NewReader(value[off:])), true, nil
}

// Used returns how many value bytes the store holds (what max_bytes
// bounds).
func (s *Store) Used() int64 { return s.used.Load() }
