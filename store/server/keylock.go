package server

import (
	"hash/maphash"
	"slices"
	"sync"
)

// keyLockStripes is the number of mutexes keys are spread over: enough that
// concurrent writers of different keys rarely share one.
const keyLockStripes = 1024

// keyLocks serialises the writes of one key from applying them to the store
// until their change-feed sample is handed to the radio, so a key's samples
// leave in the order its entries were stored, which (last writer wins) is
// timestamp order. Writes of different keys proceed in parallel; only keys
// that hash to the same stripe wait for each other.
type keyLocks struct {
	seed    maphash.Seed
	stripes [keyLockStripes]struct {
		sync.Mutex
		_ [64 - 8]byte // one cache line each
	}
}

func newKeyLocks() *keyLocks { return &keyLocks{seed: maphash.MakeSeed()} }

// lock locks key's stripe and returns it for Unlock.
func (l *keyLocks) lock(key string) *sync.Mutex {
	m := &l.stripes[maphash.String(l.seed, key)%keyLockStripes].Mutex
	m.Lock()
	return m
}

// lockAll locks the stripes of keys, each once and in ascending order (so
// two callers cannot deadlock, and a caller of lock, which holds one
// stripe, waits at most for them), and returns the function that unlocks
// them.
func (l *keyLocks) lockAll(keys []string) (unlock func()) {
	idx := make([]int, 0, len(keys))
	for _, k := range keys {
		idx = append(idx, int(maphash.String(l.seed, k)%keyLockStripes))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return func() {
		for _, i := range idx {
			l.stripes[i].Unlock()
		}
	}
}
