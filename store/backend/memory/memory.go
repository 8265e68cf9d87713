package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/store/backend"
)

const (
	shardCount = 64  // power of two
	scanBatch  = 256 // keys taken from the index per lock hold in Scan
)

// Store is a backend.Store that keeps entries in memory. Use New; the zero
// Store is not usable. It is safe for concurrent use.
type Store struct {
	seed    maphash.Seed
	closed  atomic.Bool
	onClose func() // set by Volume: forget this store; nil otherwise

	shards [shardCount]shard

	// idxMu guards idx. Taken after a shard lock, never before one.
	idxMu sync.RWMutex
	idx   *index

	// maxBytes is the byte budget of the values held (0: none); used is
	// what they take, counted when a write reserves it (see reserve).
	maxBytes int64
	used     atomic.Int64
}

// shard owns the entries of the keys that hash to it.
type shard struct {
	mu sync.RWMutex
	// m maps key to its current entry. The *Entry is never modified once
	// stored (Apply replaces the pointer), so readers may keep it after
	// unlocking. nil after Close.
	m map[string]*backend.Entry
	// tombstones counts the entries of m with Deleted set, so Collect can
	// skip shards without any.
	tombstones int
	// sums holds the BLAKE3 hash of the values stored by PutStream, by
	// key; a key written otherwise has none.
	sums map[string][32]byte
	_    [64 - 48]byte // keep shards on separate cache lines
}

var _ backend.Store = (*Store)(nil)

// New returns an empty store without a byte budget.
func New() *Store { return NewLimited(0) }

// NewLimited returns an empty store whose values may take at most
// maxBytes bytes in all (0: no limit; keys and metadata are not counted):
// a write that would go over fails with an error matching
// backend.ErrFull.
func NewLimited(maxBytes int64) *Store {
	s := &Store{seed: maphash.MakeSeed(), idx: newIndex(), maxBytes: max(maxBytes, 0)}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*backend.Entry)
		s.shards[i].sums = make(map[string][32]byte)
	}
	return s
}

func (s *Store) shard(key string) *shard {
	return &s.shards[maphash.String(s.seed, key)&(shardCount-1)]
}

func errClosed(op string) error { return fmt.Errorf("memory: %s: %w", op, backend.ErrClosed) }

// Apply stores e unless the key holds an entry with a timestamp >= e's
// (see backend.Store). It copies e.Value.
func (s *Store) Apply(ctx context.Context, e backend.Entry) (bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return false, err
	}
	if err := backend.CheckEntry(e); err != nil {
		return false, fmt.Errorf("memory: apply: %w", err)
	}
	e = backend.Normalize(e)
	sh := s.shard(e.Key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		return false, errClosed("apply")
	}
	cur, exists := sh.m[e.Key]
	if exists && cur.Timestamp.Compare(e.Timestamp) >= 0 {
		return false, nil
	}
	if err := s.reserve(int64(len(e.Value))); err != nil {
		return false, fmt.Errorf("memory: apply %q: %w", e.Key, err)
	}
	if len(sh.sums) > 0 { // most stores hold no streamed put: save a map lookup
		delete(sh.sums, e.Key)
	}
	s.store(sh, cur, &backend.Entry{
		Key:       e.Key,
		Value:     bytes.Clone(e.Value),
		Encoding:  e.Encoding,
		Timestamp: e.Timestamp,
		Deleted:   e.Deleted,
	})
	return true, nil
}

// store puts stored in sh (whose write lock the caller holds) in place of
// cur (nil for a new key), whose value bytes it releases from the budget.
func (s *Store) store(sh *shard, cur, stored *backend.Entry) {
	exists := cur != nil
	if exists {
		s.used.Add(-int64(len(cur.Value)))
	}
	if exists {
		stored.Key = cur.Key
		if cur.Deleted {
			sh.tombstones--
		}
	} else {
		// The caller's key may point into a large network buffer.
		stored.Key = strings.Clone(stored.Key)
		s.idxMu.Lock()
		s.idx.insert(stored.Key)
		s.idxMu.Unlock()
	}
	if stored.Deleted {
		sh.tombstones++
	}
	sh.m[stored.Key] = stored
}

// reserve takes n bytes of the budget, or fails with backend.ErrFull.
// The bytes of the value a write replaces are given back when it is
// stored, so an overwrite needs room for both for a moment.
func (s *Store) reserve(n int64) error {
	if s.used.Add(n) > s.maxBytes && s.maxBytes > 0 && n > 0 {
		s.used.Add(-n)
		return fmt.Errorf("%w: %d more bytes would exceed max_bytes %d (%d in use)",
			backend.ErrFull, n, s.maxBytes, s.used.Load())
	}
	return nil
}

// Get returns the entry key holds, tombstones included (see backend.Store).
// The returned Value is shared with the store and must not be modified.
func (s *Store) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return backend.Entry{}, false, err
	}
	if err := backend.CheckKey(key); err != nil {
		return backend.Entry{}, false, fmt.Errorf("memory: get: %w", err)
	}
	sh := s.shard(key)
	sh.mu.RLock()
	if sh.m == nil {
		sh.mu.RUnlock()
		return backend.Entry{}, false, errClosed("get")
	}
	e, ok := sh.m[key]
	sh.mu.RUnlock()
	if !ok {
		return backend.Entry{}, false, nil
	}
	return *e, true, nil
}

// Scan calls fn for each entry whose key starts with prefix (see
// backend.Store). It visits only the matching keys of the index, in
// ascending key order, taking the index lock once per batch of keys.
func (s *Store) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	if ctx == nil {
		return backend.ErrNilContext
	}
	if s.closed.Load() {
		return errClosed("scan")
	}
	keys := make([]string, 0, scanBatch)
	cursor := prefix
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		keys = keys[:0]
		s.idxMu.RLock()
		for n := s.idx.seek(cursor); n != nil && len(keys) < scanBatch; n = n.next[0] {
			if !strings.HasPrefix(n.key, prefix) {
				break
			}
			keys = append(keys, n.key)
		}
		s.idxMu.RUnlock()
		for _, k := range keys {
			sh := s.shard(k)
			sh.mu.RLock()
			if sh.m == nil {
				sh.mu.RUnlock()
				return errClosed("scan")
			}
			p := sh.m[k]
			sh.mu.RUnlock()
			if p == nil {
				continue // collected since we read the index
			}
			e := *p
			if mode == backend.ScanMeta {
				e.Value = nil
			}
			if err := fn(e); err != nil {
				if errors.Is(err, backend.ErrStopScan) {
					return nil
				}
				return err
			}
		}
		if len(keys) < scanBatch {
			return nil
		}
		// The smallest string greater than the last key seen.
		cursor = keys[len(keys)-1] + "\x00"
	}
}

// Collect removes the tombstones whose physical time is before olderThan
// (see backend.Store).
func (s *Store) Collect(ctx context.Context, olderThan time.Time) (int, error) {
	if ctx == nil {
		return 0, backend.ErrNilContext
	}
	cut := olderThan.UnixNano()
	removed := 0
	var dead []string
	for i := range s.shards {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		sh := &s.shards[i]
		sh.mu.Lock()
		if sh.m == nil {
			sh.mu.Unlock()
			return removed, errClosed("collect")
		}
		if sh.tombstones == 0 {
			sh.mu.Unlock()
			continue
		}
		dead = dead[:0]
		for k, e := range sh.m {
			if e.Deleted && e.Timestamp.Time < cut {
				dead = append(dead, k)
			}
		}
		if len(dead) > 0 {
			s.idxMu.Lock()
			for _, k := range dead {
				delete(sh.m, k)
				s.idx.remove(k)
			}
			s.idxMu.Unlock()
			sh.tombstones -= len(dead)
			removed += len(dead)
		}
		sh.mu.Unlock()
	}
	return removed, nil
}

// Len returns the number of keys held, tombstones included.
func (s *Store) Len() int {
	s.idxMu.RLock()
	defer s.idxMu.RUnlock()
	return s.idx.n
}

// Close drops every entry; later calls of other methods fail with
// backend.ErrClosed. It is idempotent.
func (s *Store) Close(ctx context.Context) error {
	if ctx == nil {
		return backend.ErrNilContext
	}
	if s.closed.Swap(true) {
		return nil
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.m = nil
		sh.sums = nil
		sh.tombstones = 0
		sh.mu.Unlock()
	}
	s.idxMu.Lock()
	s.idx = newIndex()
	s.idxMu.Unlock()
	if s.onClose != nil {
		s.onClose()
	}
	return nil
}
