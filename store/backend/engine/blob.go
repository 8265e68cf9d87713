package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// Large values (backend.Streamer). A value PutStream stores that is larger
// than InlineMax is a blob: a file of its own in the directory "blobs"
// beside the Pebble files, named by 16 random bytes in hex, and the
// Pebble entry (flag blob) holds its size, hash and name instead of the
// value. The blob is written to "blobs/tmp-NAME", fsync'd, renamed to
// "blobs/NAME" and the directory fsync'd, and only then is the entry
// written (synced), under the key's lock after the timestamp check: a
// crash before the entry leaves an orphan blob and no visible change;
// the previous blob of the key is removed after the entry that replaces it
// (a value, a blob or a tombstone) is synced. NewVolume removes temporary
// files and blobs no entry names (left by a crash, or by a storage's
// delete_all), so blobs are collected like the entries that name them.
//
// Values up to InlineMax that PutStream stores stay in the entry, with
// their hash (flag hash).

const (
	// InlineMax is the largest value PutStream keeps inside its entry;
	// larger ones are blobs.
	InlineMax = 64 << 10
	// MaxGetSize is the largest blob Get and Scan return whole; larger
	// ones fail Get with backend.ErrTooLarge (read them with OpenStream),
	// and Scan in ScanValues mode reports them Omitted (backend.Entry),
	// without reading them.
	MaxGetSize = 64 << 20

	flagHash = 1 << 1 // the encoding is followed by the value's 32-byte hash
	flagBlob = 1 << 2 // the rest is a blob reference: u64 size, 16-byte name

	blobDir   = "blobs"
	blobIDLen = 16
	blobRef   = 8 + blobIDLen
	tmpPrefix = "tmp-"
)

var _ backend.Streamer = (*Store)(nil)

type blobID [blobIDLen]byte

// stored is an entry as the engine keeps it.
type stored struct {
	backend.Entry
	hash    [32]byte // zero unless flagHash
	blob    bool
	size    int64 // the blob's size
	id      blobID
	inlined []byte // the value bytes in the entry (aliasing raw), not a blob
}

// decodeStored decodes raw, the value of key's engine key.
func decodeStored(key string, raw []byte) (stored, error) {
	ts, flags, err := decodeTimestamp(raw)
	if err != nil {
		return stored{}, err
	}
	st := stored{Entry: backend.Entry{Key: key, Timestamp: ts, Deleted: flags&flagTombstone != 0}}
	if st.Deleted {
		return st, nil
	}
	rest := raw[1+hlc.EncodedLen:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)-w) {
		return stored{}, fmt.Errorf("%w: bad encoding length", backend.ErrCorrupt)
	}
	st.Encoding = string(rest[w : w+int(n)])
	rest = rest[w+int(n):]
	if flags&flagHash != 0 {
		if len(rest) < 32 {
			return stored{}, fmt.Errorf("%w: truncated hash", backend.ErrCorrupt)
		}
		copy(st.hash[:], rest)
		rest = rest[32:]
	}
	if flags&flagBlob != 0 {
		if len(rest) != blobRef {
			return stored{}, fmt.Errorf("%w: blob reference of %d bytes", backend.ErrCorrupt, len(rest))
		}
		st.blob = true
		st.size = int64(binary.BigEndian.Uint64(rest))
		copy(st.id[:], rest[8:])
		if st.size < 0 {
			return stored{}, fmt.Errorf("%w: blob size", backend.ErrCorrupt)
		}
		return st, nil
	}
	st.inlined = rest
	return st, nil
}

// appendStored encodes an entry PutStream stores: with its hash, and
// either its value or a blob reference.
func appendStored(b []byte, e backend.Entry, hash [32]byte, blob *blobID, size int64) []byte {
	flags := byte(flagHash)
	if blob != nil {
		flags |= flagBlob
	}
	b = append(b, flags)
	b = e.Timestamp.Append(b)
	b = binary.AppendUvarint(b, uint64(len(e.Encoding)))
	b = append(b, e.Encoding...)
	b = append(b, hash[:]...)
	if blob == nil {
		return append(b, e.Value...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	return append(b, blob[:]...)
}

// blobPath returns the file of blob id.
func (v *Volume) blobPath(id blobID) string {
	return filepath.Join(v.cfg.Root, blobDir, hex.EncodeToString(id[:]))
}

// entryOf turns a stored entry into the entry Get and Scan return,
// reading a blob (up to MaxGetSize) when withValue. A larger blob fails
// it with backend.ErrTooLarge, unless omit: then the entry is returned
// Omitted, its value unread.
func (s *Store) entryOf(st stored, withValue, omit bool) (backend.Entry, error) {
	e := st.Entry
	if e.Deleted || !withValue {
		return e, nil
	}
	if !st.blob {
		e.Value = append([]byte{}, st.inlined...)
		return e, nil
	}
	if st.size > s.v.getMax {
		if omit {
			e.Omitted = true
			return e, nil
		}
		return backend.Entry{}, fmt.Errorf("%w: a value of %d bytes, more than %d: read it with OpenStream", backend.ErrTooLarge, st.size, s.v.getMax)
	}
	v, err := os.ReadFile(s.v.blobPath(st.id))
	if err != nil {
		return backend.Entry{}, backend.Fail("read blob", err)
	}
	if int64(len(v)) != st.size {
		return backend.Entry{}, fmt.Errorf("%w: blob of %d bytes, its entry says %d", backend.ErrCorrupt, len(v), st.size)
	}
	e.Value = v
	return e, nil
}

// PutStream stores e with the value read from r (see backend.Streamer):
// inside the entry up to InlineMax, as a blob beyond (see above). The key
// is not locked while the blob is written, only for the check and the
// entry's write, so other writers of the key do not wait for an upload.
func (s *Store) PutStream(ctx context.Context, e backend.StreamEntry, r io.Reader) (bool, error) {
	if err := s.enter(ctx, "put stream"); err != nil {
		return false, err
	}
	defer s.ops.Done()
	if s.v.cfg.ReadOnly {
		return false, fmt.Errorf("engine: put stream %q: %w", e.Key, backend.ErrReadOnly)
	}
	if err := backend.CheckStreamEntry(e); err != nil {
		return false, fmt.Errorf("engine: put stream: %w", err)
	}
	k := s.key(e.Key)
	if cur, ok, err := s.current(k); err != nil || ok && cur.Compare(e.Timestamp) >= 0 {
		return false, err // r is not read
	}
	if err := s.v.checkSpace(int(min(e.Size, 1<<40))); err != nil {
		return false, fmt.Errorf("engine: put stream %q: %w", e.Key, err)
	}
	if e.Size <= InlineMax {
		v, err := io.ReadAll(backend.ExactReader(ctxReader{ctx, r}, e.Size))
		if err != nil {
			return false, fmt.Errorf("engine: put stream %q: %w", e.Key, err)
		}
		e.Value = v
		return s.write("put stream", e.Key, appendStored(nil, e.Entry, e.Hash, nil, 0), e.Timestamp)
	}
	var id blobID
	rand.Read(id[:])
	if err := s.v.writeBlob(ctx, id, backend.ExactReader(ctxReader{ctx, r}, e.Size)); err != nil {
		return false, fmt.Errorf("engine: put stream %q: %w", e.Key, err)
	}
	applied, err := s.write("put stream", e.Key, appendStored(nil, e.Entry, e.Hash, &id, e.Size), e.Timestamp)
	if !applied {
		os.Remove(s.v.blobPath(id))
	}
	return applied, err
}

// held is last writer wins' look at key (engine key k, hash h, of stripe
// st, which the caller holds) before a write stamped ts: what the key
// holds, from the stripe's remembered timestamps (known: an inline entry,
// so no blob to remove) or else read from the engine; ok is false if it
// holds nothing. stale reports an entry at least as new as ts, which the
// write must leave alone; one read from the engine is then remembered.
func (s *Store) held(st *keyStripe, h uint64, key string, k []byte, ts hlc.Timestamp) (old stored, known *knownSlot, ok, stale bool, err error) {
	if known = st.find(h, key); known != nil {
		old.Timestamp, ok = known.ts, true
	} else if old, ok, err = s.stored(k); err != nil {
		return stored{}, nil, false, false, err
	}
	stale = ok && old.Timestamp.Compare(ts) >= 0
	if stale && known == nil && !old.blob {
		st.remember(h, key, old.Timestamp, nil) // as read from the engine
	}
	return old, known, ok, stale, nil
}

// write stores val, an encoded entry stamped ts, under key unless the key
// holds an entry at least as new, and removes the blob the key held
// before, once the write is synced.
func (s *Store) write(op, key string, val []byte, ts hlc.Timestamp) (bool, error) {
	var err error
	k := s.key(key)
	h := s.hash(key)
	mu := s.lock(h)
	mu.Lock()
	defer mu.Unlock()
	old, known, ok, stale, err := s.held(mu, h, key, k, ts)
	if err != nil {
		return false, fmt.Errorf("engine: %s %q: %w", op, key, err)
	}
	if stale {
		return false, nil
	}
	sync := s.v.sync || ok && old.blob // the old blob goes: its entry must not come back
	b := s.v.db.NewBatch()
	err = b.Set(k, val, nil)
	if err == nil {
		err = s.v.commit(b, sync)
	}
	b.Close()
	if err != nil {
		mu.forget(h, key) // the engine may or may not hold val
		return false, backend.Fail(fmt.Sprintf("engine: %s %q", op, key), err)
	}
	if val[0]&flagBlob == 0 {
		mu.remember(h, key, ts, known)
	} else {
		mu.forget(h, key)
	}
	if ok && old.blob {
		s.v.removeBlob(old.id)
	}
	return true, nil
}

// stored returns the entry engine key k holds, decoded (without copying
// its value).
func (s *Store) stored(k []byte) (stored, bool, error) {
	raw, closer, err := s.v.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return stored{}, false, nil
	}
	if err != nil {
		return stored{}, false, backend.Fail("read", err)
	}
	defer closer.Close()
	st, err := decodeStored("", raw)
	st.inlined = nil // raw is released
	return st, err == nil, err
}

// OpenStream returns key's entry and a reader of its value from off (see
// backend.Streamer). A blob is read from its file, which is never changed
// once renamed into place, and stays readable while open even if the key
// is overwritten (on POSIX systems the file outlives its removal).
func (s *Store) OpenStream(ctx context.Context, key string, off int64) (backend.StreamEntry, io.ReadCloser, bool, error) {
	if err := s.enter(ctx, "open stream"); err != nil {
		return backend.StreamEntry{}, nil, false, err
	}
	defer s.ops.Done()
	if err := backend.CheckKey(key); err != nil {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("engine: open stream: %w", err)
	}
	for attempt := 0; ; attempt++ {
		raw, closer, err := s.v.db.Get(s.key(key))
		if errors.Is(err, pebble.ErrNotFound) {
			return backend.StreamEntry{}, nil, false, nil
		}
		if err != nil {
			return backend.StreamEntry{}, nil, false, backend.Fail(fmt.Sprintf("engine: open stream %q", key), err)
		}
		st, err := decodeStored(key, raw)
		if err != nil {
			closer.Close()
			return backend.StreamEntry{}, nil, false, fmt.Errorf("engine: open stream %q: %w", key, err)
		}
		se := backend.StreamEntry{Entry: st.Entry, Hash: st.hash}
		if st.Deleted {
			closer.Close()
			return se, nil, true, nil
		}
		if !st.blob {
			v := append([]byte{}, st.inlined...)
			closer.Close()
			se.Size = int64(len(v))
			if off < 0 || off > se.Size {
				return backend.StreamEntry{}, nil, false, fmt.Errorf("engine: open stream %q: %w: offset %d of a %d-byte value", key, backend.ErrInvalidInput, off, se.Size)
			}
			return se, io.NopCloser(bytes.NewReader(v[off:])), true, nil
		}
		closer.Close()
		se.Size = st.size
		if off < 0 || off > se.Size {
			return backend.StreamEntry{}, nil, false, fmt.Errorf("engine: open stream %q: %w: offset %d of a %d-byte value", key, backend.ErrInvalidInput, off, se.Size)
		}
		f, err := os.Open(s.v.blobPath(st.id))
		if errors.Is(err, iofs.ErrNotExist) && attempt < 3 {
			continue // overwritten meanwhile: read the new entry
		}
		if err != nil {
			return backend.StreamEntry{}, nil, false, backend.Fail(fmt.Sprintf("engine: open stream %q", key), err)
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return backend.StreamEntry{}, nil, false, backend.Fail(fmt.Sprintf("engine: open stream %q", key), err)
		}
		return se, f, true, nil
	}
}

// writeBlob writes r to blob id: a temporary file, fsync'd, renamed into
// place, the directory fsync'd. On error nothing is left.
func (v *Volume) writeBlob(ctx context.Context, id blobID, r io.Reader) error {
	dir := filepath.Join(v.cfg.Root, blobDir)
	tmp := filepath.Join(dir, tmpPrefix+hex.EncodeToString(id[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return backend.Fail("create blob", err)
	}
	err = copySyncing(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, v.blobPath(id))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		os.Remove(v.blobPath(id))
		if errors.Is(err, backend.ErrStreamSize) || ctx.Err() != nil {
			return err
		}
		var pe *os.PathError
		if errors.As(err, &pe) || errors.As(err, new(*os.LinkError)) {
			return backend.Fail("write blob", err)
		}
		return err
	}
	return nil
}

// syncEvery is how much of a blob is written between fsyncs: the final
// fsync then has at most that much to write, so a put's answer never
// waits for the whole value to reach the disk at once.
const syncEvery = 64 << 20

// copySyncing copies r to f, fsyncing every syncEvery bytes.
func copySyncing(f *os.File, r io.Reader) error {
	buf := make([]byte, 256<<10)
	unsynced := 0
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := f.Write(buf[:n]); werr != nil {
				return werr
			}
			if unsynced += n; unsynced >= syncEvery {
				if serr := f.Sync(); serr != nil {
					return serr
				}
				unsynced = 0
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// removeBlob removes a blob no entry names any more.
func (v *Volume) removeBlob(id blobID) {
	if err := os.Remove(v.blobPath(id)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		v.log.Warn("engine: cannot remove a blob", "blob", hex.EncodeToString(id[:]), "err", err)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// sweepBlobs makes the blob directory if needed and removes what no
// entry names: temporary files and orphan blobs (a crash, delete_all).
func (v *Volume) sweepBlobs() error {
	dir := filepath.Join(v.cfg.Root, blobDir)
	if v.cfg.ReadOnly {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return backend.Fail("engine: blob directory", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		return err
	}
	named := map[blobID]bool{}
	it, err := v.db.NewIter(&pebble.IterOptions{LowerBound: []byte{'d'}, UpperBound: []byte{'e'}})
	if err != nil {
		return backend.Fail("engine: sweep blobs", err)
	}
	for it.First(); it.Valid(); it.Next() {
		raw, err := it.ValueAndErr()
		if err != nil || len(raw) < 1 || raw[0]&flagBlob == 0 {
			continue
		}
		if st, err := decodeStored("", raw); err == nil && st.blob {
			named[st.id] = true
		}
	}
	if err := it.Close(); err != nil {
		return backend.Fail("engine: sweep blobs", err)
	}
	for _, e := range ents {
		n := e.Name()
		var id blobID
		b, err := hex.DecodeString(n)
		if err == nil && len(b) == blobIDLen {
			copy(id[:], b)
			if named[id] {
				continue
			}
		} else if !strings.HasPrefix(n, tmpPrefix) {
			continue // not ours
		}
		os.Remove(filepath.Join(dir, n))
	}
	return nil
}

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
