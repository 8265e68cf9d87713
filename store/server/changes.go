package server

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// Change is one applied put or delete, as the change feed carries it, given
// to the functions registered with Subscribe.
type Change struct {
	// Storage names the storage that applied it. A key held by two
	// storages gives two changes.
	Storage string
	// Key is the full key (before strip_prefix).
	Key string
	// Deleted says it is a delete; Value and Encoding are then empty.
	Deleted bool
	// Value and Encoding are the put's. Value is only valid during the
	// call: a subscriber that keeps it must copy it.
	Value    []byte
	Encoding string
	// Timestamp is the write's timestamp.
	Timestamp hlc.Timestamp
	// Omitted says the put was streamed (a value over one message) and
	// Value is left out (nil): Size and Hash describe it, and a
	// subscriber that wants it gets the key.
	Omitted bool
	// Size is the value's size in bytes (for every put).
	Size int64
	// Hash is the value's BLAKE3-256 hash when Omitted (zero otherwise).
	Hash [32]byte
}

// subscribers are the functions Subscribe registered: a copy-on-write
// slice, so a write that nobody watches costs one atomic load.
type subscribers struct {
	mu   sync.Mutex // serializes changes to list
	list atomic.Pointer[[]*func(Change)]
}

// Subscribe calls fn with every change applied from now on, in this
// process (socket and HTTP requests, bulk ingest), until the returned
// function is called. fn runs on the goroutine that applied the write,
// with the key's lock held: it must not block or call back into the
// server (hand the change to a bounded queue and return). A subscriber
// sees the changes of one key in the order they were applied.
//
// This is the in-process counterpart of the change feed (Options.Feed):
// the HTTP face's server-sent events and status page use it.
func (s *Server) Subscribe(fn func(Change)) (cancel func()) {
	p := &fn
	s.subs.mu.Lock()
	old := s.subs.list.Load()
	var next []*func(Change)
	if old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, p)
	s.subs.list.Store(&next)
	s.subs.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.subs.mu.Lock()
			defer s.subs.mu.Unlock()
			cur := *s.subs.list.Load()
			next := slices.DeleteFunc(slices.Clone(cur), func(q *func(Change)) bool { return q == p })
			s.subs.list.Store(&next)
		})
	}
}

// watched says whether anyone subscribed (so writes take the key lock
// that orders their notifications).
func (s *Server) watched() bool {
	l := s.subs.list.Load()
	return l != nil && len(*l) > 0
}

// notify gives an applied entry to every subscriber; big is the
// streamed value's entry for a streamed put (nil otherwise), whose value
// is left out (Change.Omitted).
func (s *Server) notify(st *storage, key string, e backend.Entry, big *backend.StreamEntry) {
	l := s.subs.list.Load()
	if l == nil || len(*l) == 0 {
		return
	}
	c := Change{Storage: st.Name, Key: key, Deleted: e.Deleted, Timestamp: e.Timestamp}
	switch {
	case e.Deleted:
	case big != nil:
		c.Encoding, c.Omitted, c.Size, c.Hash = e.Encoding, true, big.Size, big.Hash
	default:
		c.Value, c.Encoding, c.Size = e.Value, e.Encoding, int64(len(e.Value))
	}
	for _, fn := range *l {
		(*fn)(c)
	}
}
