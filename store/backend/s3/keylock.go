package s3

import (
	"sync"

	"github.com/zmesh/zmesh/store/hlc"
)

// keyLocks serialises the writers of one key inside this process (Apply
// and Collect), so that the conditional writes they send to S3 rarely
// conflict with each other: a conflict then means another process wrote.
// Correctness does not rest on these locks; the conditional writes hold
// last-writer-wins between processes too.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock // entries live while someone holds or waits
}

type keyLock struct {
	mu   sync.Mutex
	refs int // guarded by keyLocks.mu
}

// lock locks key and returns its unlock function.
func (l *keyLocks) lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*keyLock)
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()
	k.mu.Lock()
	return func() {
		k.mu.Unlock()
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}

// etagCache remembers, for recently seen keys, the ETag of their object and
// the timestamp that object holds. Apply uses it to skip the HEAD before a
// conditional write: a write newer than the cached timestamp goes straight
// out with If-Match on the cached ETag. A stale entry costs one failed
// precondition and a retry, never a wrong result, because an ETag
// identifies a body and the body holds the timestamp (see format.go).
type etagCache struct {
	mu  sync.Mutex
	max int
	m   map[string]cached
}

type cached struct {
	etag string
	ts   hlc.Timestamp
}

func newETagCache(max int) *etagCache {
	return &etagCache{max: max, m: make(map[string]cached)}
}

func (c *etagCache) get(key string) (cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// put records that key's object has etag and holds ts. Unless force is
// set, an entry with a newer timestamp is kept: a reader racing with a
// writer must not put back what the writer replaced (harmless, but it
// costs the next Apply a failed precondition). When the cache is full an
// arbitrary entry makes room (map iteration order is random).
func (c *etagCache) put(key, etag string, ts hlc.Timestamp, force bool) {
	if etag == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.m[key]
	if ok && !force && old.ts.Compare(ts) > 0 {
		return
	}
	if !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = cached{etag: etag, ts: ts}
}

func (c *etagCache) drop(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}
