package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// ApplyBatch stores es with one commit (see backend.BatchApplier): under
// sync: always the puts of a batch share one log sync, and the request
// path pays Pebble's commit pipeline once for them all. The stripes of
// every key are locked, in ascending order, for the whole compare and
// commit.
func (s *Store) ApplyBatch(ctx context.Context, es []backend.Entry, applied []bool) error {
	if len(applied) != len(es) {
		return fmt.Errorf("engine: apply batch: %d results for %d entries: %w", len(applied), len(es), backend.ErrInvalidEntry)
	}
	clear(applied)
	if err := s.enter(ctx, "apply"); err != nil {
		return err
	}
	defer s.ops.Done()
	if s.v.cfg.ReadOnly {
		return fmt.Errorf("engine: apply batch: %w", backend.ErrReadOnly)
	}
	type item struct {
		key string
		k   []byte
		h   uint64
		val []byte
		ts  hlc.Timestamp
	}
	items := make([]item, len(es))
	size := 0
	stripes := make([]int, 0, len(es))
	for i, e := range es {
		if err := backend.CheckEntry(e); err != nil {
			return fmt.Errorf("engine: apply batch, entry %d: %w", i, err)
		}
		e = backend.Normalize(e)
		it := &items[i]
		it.key, it.k, it.h, it.ts = e.Key, s.key(e.Key), s.hash(e.Key), e.Timestamp
		it.val = appendEntry(make([]byte, 0, entryHeaderLen+len(e.Encoding)+len(e.Value)), e)
		size += len(it.k) + len(it.val)
		stripes = append(stripes, int(it.h%keyLocks))
	}
	if err := s.v.checkSpace(size); err != nil {
		return fmt.Errorf("engine: apply batch: %w", err)
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, i := range stripes {
		s.keyLock[i].Lock()
	}
	defer func() {
		for _, i := range stripes {
			s.keyLock[i].Unlock()
		}
	}()

	b := s.v.db.NewBatch()
	defer b.Close()
	latest := make(map[string]int, len(items)) // key → its stored entry in this batch
	var oldBlobs []blobID
	sync := s.v.sync
	for i := range items {
		it := &items[i]
		if j, ok := latest[it.key]; ok {
			if items[j].ts.Compare(it.ts) >= 0 {
				continue
			}
		} else {
			old, _, ok, stale, err := s.held(s.lock(it.h), it.h, it.key, it.k, it.ts)
			if err != nil {
				return fmt.Errorf("engine: apply batch %q: %w", it.key, err)
			}
			if stale {
				continue
			}
			if ok && old.blob {
				oldBlobs = append(oldBlobs, old.id)
				sync = true // the old blob goes: its entry must not come back
			}
		}
		if err := b.Set(it.k, it.val, nil); err != nil {
			return backend.Fail(fmt.Sprintf("engine: apply batch %q", it.key), err)
		}
		applied[i] = true
		latest[it.key] = i
	}
	if len(latest) == 0 {
		return nil
	}
	if err := s.v.commit(b, sync); err != nil {
		for _, j := range latest {
			s.lock(items[j].h).forget(items[j].h, items[j].key) // the engine may or may not hold them
		}
		clear(applied)
		return backend.Fail("engine: apply batch", err)
	}
	for _, j := range latest {
		it := &items[j]
		st := s.lock(it.h)
		st.remember(it.h, it.key, it.ts, st.find(it.h, it.key))
	}
	for _, id := range oldBlobs {
		s.v.removeBlob(id)
	}
	return nil
}
