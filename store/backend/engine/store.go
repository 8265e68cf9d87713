package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// keyLocks is the number of striped per-key locks of a store.
const keyLocks = 1024

// Store is a backend.Store keeping one storage's entries in a volume's
// engine, under the storage's namespace. Use Volume.Open, or Open for a
// store alone in its engine. It is safe for concurrent use.
type Store struct {
	v             *Volume
	own           bool   // the store owns v (Open): Close closes it
	name          string // the namespace
	prefix        []byte // namespacePrefix(name): every key of the store starts with it
	deleteOnClose bool

	mu     sync.Mutex
	closed bool
	ops    sync.WaitGroup // operations in flight; Close waits for them

	// keyLock[i] serialises Apply and Collect on the keys hashing to i, so
	// that reading the current timestamp and writing over it is atomic.
	seed    maphash.Seed
	keyLock [keyLocks]keyStripe
}

// keyStripe is one of a store's striped key locks, with the timestamps of
// the inline entries it last saw written to its keys.
type keyStripe struct {
	sync.Mutex
	// known holds keys of the stripe with the timestamp of the inline (not
	// blob) entry the engine holds for each, as written under this lock; a
	// key missing is read from the engine. Every write of a key under the
	// lock updates or forgets it, so it is never stale. It spares
	// last-writer-wins the engine read of a recently written key (a
	// memtable search: a tenth of a put's CPU under 64 callers). Allocated
	// at the stripe's first write.
	known *knownTable
	next  uint8 // the way a full set gives up next
}

// knownTable is a stripe's remembered keys: knownSets sets of knownWays
// slots; a key's set is given by its hash. Each slot holds its key, so a
// lookup reads one or two cache lines (a map of strings read three: its
// control word, its slot, the key's bytes elsewhere, and cost as much
// as the memtable search it spared).
type knownTable [knownSets][knownWays]knownSlot

// knownSlot is one remembered key: 128 bytes.
type knownSlot struct {
	h   uint64        // the key's hash (Store.hash)
	ts  hlc.Timestamp // the timestamp of its entry
	n   uint8         // len(key)+1; 0: the slot is free
	key [knownKeyLen]byte
}

// Bounds of keyStripe.known: 32 keys per stripe (4 KiB, 4 MiB for a
// store's 1024 stripes at most), of at most knownKeyLen bytes; longer
// keys are read from the engine.
const (
	knownSets   = 8
	knownWays   = 4
	knownKeyLen = 87
)

// find returns the slot remembering key (of hash h), or nil.
func (st *keyStripe) find(h uint64, key string) *knownSlot {
	if st.known == nil || len(key) > knownKeyLen {
		return nil
	}
	set := &st.known[(h/keyLocks)%knownSets]
	for i := range set {
		sl := &set[i]
		if sl.h == h && int(sl.n) == len(key)+1 && string(sl.key[:len(key)]) == key {
			return sl
		}
	}
	return nil
}

// remember records that key (of hash h) now holds an inline entry stamped
// ts; sl is its slot if find found one.
func (st *keyStripe) remember(h uint64, key string, ts hlc.Timestamp, sl *knownSlot) {
	if sl != nil {
		sl.ts = ts
		return
	}
	if len(key) > knownKeyLen {
		return
	}
	if st.known == nil {
		st.known = new(knownTable)
	}
	set := &st.known[(h/keyLocks)%knownSets]
	sl = &set[st.next%knownWays]
	for i := range set {
		if set[i].n == 0 {
			sl = &set[i]
			break
		}
	}
	if sl.n != 0 {
		st.next++ // the set is full: give up its slots in turn
	}
	sl.h, sl.ts, sl.n = h, ts, uint8(len(key)+1)
	copy(sl.key[:], key)
}

// forget drops what the stripe remembers of key (of hash h).
func (st *keyStripe) forget(h uint64, key string) {
	if sl := st.find(h, key); sl != nil {
		sl.n = 0
	}
}

var _ backend.Store = (*Store)(nil)

// Open opens the engine in directory cfg.Root (see NewVolume) and its one
// storage, with namespace "": a store alone in its engine, whose Close
// closes the engine too.
func Open(cfg Config) (*Store, error) {
	v, err := NewVolume(cfg)
	if err != nil {
		return nil, err
	}
	s, err := v.openStore("", backend.StorageConfig{})
	if err != nil {
		v.Close(context.Background())
		return nil, err
	}
	s.own = true
	return s, nil
}

// enter registers an operation in flight, or fails if the store is closed.
func (s *Store) enter(ctx context.Context, op string) error {
	if err := backend.CheckContext(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("engine: %s: %w", op, backend.ErrClosed)
	}
	s.ops.Add(1)
	return nil
}

// key returns the engine key of key.
func (s *Store) key(key string) []byte {
	k := make([]byte, 0, len(s.prefix)+len(key))
	return append(append(k, s.prefix...), key...)
}

// hash returns key's hash: it picks the key's lock stripe, and its set
// in the stripe's remembered keys.
func (s *Store) hash(key string) uint64 { return maphash.String(s.seed, key) }

// lock returns the lock stripe of key, of hash h.
func (s *Store) lock(h uint64) *keyStripe { return &s.keyLock[h%keyLocks] }

// Apply stores e unless the key holds an entry at least as new. With sync:
// always it returns once the write is synced; concurrent Apply calls
// share the log's syncs.
func (s *Store) Apply(ctx context.Context, e backend.Entry) (bool, error) {
	if err := s.enter(ctx, "apply"); err != nil {
		return false, err
	}
	defer s.ops.Done()
	if s.v.cfg.ReadOnly {
		return false, fmt.Errorf("engine: apply %q: %w", e.Key, backend.ErrReadOnly)
	}
	if err := backend.CheckEntry(e); err != nil {
		return false, err
	}
	e = backend.Normalize(e)
	k := s.key(e.Key)
	val := appendEntry(make([]byte, 0, entryHeaderLen+len(e.Encoding)+len(e.Value)), e)
	if err := s.v.checkSpace(len(k) + len(val)); err != nil {
		return false, fmt.Errorf("engine: apply %q: %w", e.Key, err)
	}
	return s.write("apply", e.Key, val, e.Timestamp)
}

// current returns the timestamp of the entry engine key k holds.
func (s *Store) current(k []byte) (hlc.Timestamp, bool, error) {
	raw, closer, err := s.v.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return hlc.Timestamp{}, false, nil
	}
	if err != nil {
		return hlc.Timestamp{}, false, backend.Fail("read", err)
	}
	defer closer.Close()
	ts, _, err := decodeTimestamp(raw)
	return ts, err == nil, err
}

// Get returns the entry key holds.
func (s *Store) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	if err := s.enter(ctx, "get"); err != nil {
		return backend.Entry{}, false, err
	}
	defer s.ops.Done()
	if err := backend.CheckKey(key); err != nil {
		return backend.Entry{}, false, err
	}
	raw, closer, err := s.v.db.Get(s.key(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return backend.Entry{}, false, nil
	}
	if err != nil {
		return backend.Entry{}, false, backend.Fail(fmt.Sprintf("engine: get %q", key), err)
	}
	st, err := decodeStored(key, raw)
	var e backend.Entry
	if err == nil {
		e, err = s.entryOf(st, true, false)
	}
	closer.Close()
	if err != nil {
		return backend.Entry{}, false, fmt.Errorf("engine: get %q: %w", key, err)
	}
	return e, true, nil
}

// Scan reports the entries whose keys start with prefix, in key order,
// from a consistent view of the engine: it reads only the range of keys
// under prefix.
func (s *Store) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	if err := s.enter(ctx, "scan"); err != nil {
		return err
	}
	defer s.ops.Done()
	lo := s.key(prefix)
	it, err := s.v.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: successor(lo)})
	if err != nil {
		return backend.Fail("engine: scan", err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		if n++; n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		key := string(it.Key()[len(s.prefix):])
		raw, err := it.ValueAndErr()
		if err != nil {
			return backend.Fail(fmt.Sprintf("engine: scan: read %q", key), err)
		}
		st, err := decodeStored(key, raw)
		var e backend.Entry
		if err == nil {
			e, err = s.entryOf(st, mode == backend.ScanValues, true)
		}
		if err != nil {
			return fmt.Errorf("engine: scan: %q: %w", key, err)
		}
		if err := fn(e); err != nil {
			if errors.Is(err, backend.ErrStopScan) {
				return nil
			}
			return err
		}
	}
	if err := it.Error(); err != nil {
		return backend.Fail("engine: scan", err)
	}
	return nil
}

// successor returns the least key greater than every key starting with p
// (p never is all 0xff here: it starts with 'd').
func successor(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Collect removes the tombstones older than olderThan that are still
// their key's entry. Each removal is checked and done under the key's
// lock; the log is synced once at the end. Entries it cannot decode are
// left alone (Get and Scan report them).
func (s *Store) Collect(ctx context.Context, olderThan time.Time) (int, error) {
	if err := s.enter(ctx, "collect"); err != nil {
		return 0, err
	}
	defer s.ops.Done()
	if s.v.cfg.ReadOnly {
		return 0, fmt.Errorf("engine: collect: %w", backend.ErrReadOnly)
	}
	limit := olderThan.UnixNano()
	removed := 0
	// Batches of collectBatch candidates, each found by a fresh iterator
	// from where the last stopped, so memory stays bounded however many
	// tombstones there are.
	lo := s.key("")
	for {
		old, next, err := s.oldTombstones(ctx, lo, limit)
		if err != nil {
			return removed, s.syncAfter(removed, err)
		}
		for _, key := range old {
			ok, err := s.collectOne(key, limit)
			if err != nil {
				return removed, s.syncAfter(removed, err)
			}
			if ok {
				removed++
			}
		}
		if next == nil {
			return removed, s.syncAfter(removed, nil)
		}
		if err := ctx.Err(); err != nil {
			return removed, s.syncAfter(removed, err)
		}
		lo = next
	}
}

// collectBatch is how many tombstones Collect gathers before removing
// them.
const collectBatch = 1024

// oldTombstones returns the keys of up to collectBatch tombstones older
// than limit, from engine key lo on, and the engine key to go on from
// (nil at the end of the store).
func (s *Store) oldTombstones(ctx context.Context, lo []byte, limit int64) (keys []string, next []byte, err error) {
	it, err := s.v.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: successor(s.prefix)})
	if err != nil {
		return nil, nil, backend.Fail("engine: collect", err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid(); it.Next() {
		if n++; n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		raw, err := it.ValueAndErr()
		if err != nil {
			return nil, nil, backend.Fail("engine: collect", err)
		}
		ts, flags, err := decodeTimestamp(raw)
		if err != nil || flags&flagTombstone == 0 || ts.Time >= limit {
			continue
		}
		keys = append(keys, string(it.Key()[len(s.prefix):]))
		if len(keys) == collectBatch {
			// The least key after this one: it with a 0 byte appended.
			return keys, append(append([]byte(nil), it.Key()...), 0), nil
		}
	}
	if err := it.Error(); err != nil {
		return nil, nil, backend.Fail("engine: collect", err)
	}
	return keys, nil, nil
}

// collectOne removes key's tombstone if it is still there and older than
// limit.
func (s *Store) collectOne(key string, limit int64) (bool, error) {
	h := s.hash(key)
	mu := s.lock(h)
	mu.Lock()
	defer mu.Unlock()
	k := s.key(key)
	raw, closer, err := s.v.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, backend.Fail(fmt.Sprintf("engine: collect %q", key), err)
	}
	e, err := decodeStored(key, raw)
	closer.Close()
	if err != nil || !e.Deleted || e.Timestamp.Time >= limit {
		return false, nil
	}
	mu.forget(h, key) // whether or not the delete happened
	b := s.v.db.NewBatch()
	err = b.Delete(k, nil)
	if err == nil {
		err = s.v.commit(b, false) // synced once for the collection: syncAfter
	}
	b.Close()
	if err != nil {
		return false, backend.Fail(fmt.Sprintf("engine: collect %q", key), err)
	}
	return true, nil
}

// syncAfter syncs the log if removed > 0, and returns err joined with the
// sync's error.
func (s *Store) syncAfter(removed int, err error) error {
	if removed == 0 {
		return err
	}
	return errors.Join(err, s.v.syncJournal())
}

// Close waits for the operations in flight, removes the store's entries if
// it was opened with on_closure: delete_all, and releases the namespace
// (and the engine, for a store from Open).
func (s *Store) Close(ctx context.Context) error {
	if ctx == nil {
		return backend.ErrNilContext
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.ops.Wait()
	var errs []error
	if s.deleteOnClose {
		b := s.v.db.NewBatch()
		err := b.DeleteRange(s.prefix, successor(s.prefix), nil)
		if err == nil {
			err = s.v.commit(b, true)
		}
		b.Close()
		if err != nil {
			errs = append(errs, backend.Fail("engine: delete_all "+s.name, err))
		}
	}
	s.v.forget(s)
	if s.own {
		errs = append(errs, s.v.Close(ctx))
	}
	return errors.Join(errs...)
}

// The value of an engine key (format 1): a flags byte (bit 0: tombstone;
// bits 1 and 2, hash and blob: see blob.go), the hlc timestamp
// (hlc.EncodedLen bytes), the encoding's length as a uvarint, the
// encoding, then the value. Pebble checksums the log and its
// tables, so the entry has no checksum of its own.
const (
	flagTombstone  = 1 << 0
	entryHeaderLen = 1 + hlc.EncodedLen + binary.MaxVarintLen16
)

func appendEntry(b []byte, e backend.Entry) []byte {
	var flags byte
	if e.Deleted {
		flags |= flagTombstone
	}
	b = append(b, flags)
	b = e.Timestamp.Append(b)
	b = binary.AppendUvarint(b, uint64(len(e.Encoding)))
	b = append(b, e.Encoding...)
	return append(b, e.Value...)
}

func decodeTimestamp(raw []byte) (hlc.Timestamp, byte, error) {
	if len(raw) < 1+hlc.EncodedLen {
		return hlc.Timestamp{}, 0, fmt.Errorf("%w: entry of %d bytes", backend.ErrCorrupt, len(raw))
	}
	ts, err := hlc.DecodeTimestamp(raw[1 : 1+hlc.EncodedLen])
	if err != nil {
		return hlc.Timestamp{}, 0, fmt.Errorf("%w: %w", backend.ErrCorrupt, err)
	}
	return ts, raw[0], nil
}
