package server

import (
	"fmt"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/memory"
	"slices"
	"sync"
	"sync/atomic"
)

// A view is one immutable set of storages and volumes: what the server
// serves at one moment. Request handling never locks to find its
// storages: it takes the current view from an atomic pointer (acquire),
// uses that view and only that view for the whole request, and gives it
// back (release). Runtime management (runtime.go) never changes a view; it
// builds the next one, swaps the pointer, retires the old view and waits
// until every request holding it has released it before it closes a store
// that the new view no longer has.
//
// The cost on the hot path is two atomic adds on the view's reference
// count and one atomic load.
type view struct {
	storages []*storage
	volumes  []*volume        // named volumes (Config's, or added at run time), in order
	info     store.ServerInfo // the admin space's description of this view
	closing  bool             // the empty view Close leaves behind: refuse everything
	batching bool             // a storage has a batch writer (see handleBatch)
	// inMemory: every storage keeps its entries in memory, so that no
	// request about one key waits (see requestWorker).
	inMemory bool

	refs    atomic.Int64 // requests holding the view
	retired atomic.Bool  // no longer current: drained is closed once refs is 0
	once    sync.Once
	drained chan struct{}
}

func newView(storages []*storage, volumes []*volume, info store.ServerInfo) *view {
	v := &view{storages: storages, volumes: volumes, info: info, drained: make(chan struct{})}
	v.info.Storages = nil
	v.inMemory = len(storages) > 0
	for _, st := range storages {
		v.inMemory = v.inMemory && inMemory(st.Store)
		v.info.Storages = append(v.info.Storages, st.info())
		v.batching = v.batching || st.batch != nil
	}
	return v
}

// acquire returns the current view, held until release. The recheck makes
// the pair (load, count) atomic against a swap: a view that stopped being
// current between them is given back and the new one taken.
func (s *Server) acquire() *view {
	for {
		v := s.cur.Load()
		v.refs.Add(1)
		if s.cur.Load() == v {
			return v
		}
		v.release()
	}
}

// release gives back a view taken with acquire.
func (v *view) release() {
	if v.refs.Add(-1) == 0 && v.retired.Load() {
		v.once.Do(func() { close(v.drained) })
	}
}

// retire marks a view that is no longer current; drained is closed as soon
// as no request holds it.
func (v *view) retire() {
	v.retired.Store(true)
	if v.refs.Load() == 0 {
		v.once.Do(func() { close(v.drained) })
	}
}

// storagesOf returns the storages whose key expression intersects ke.
func (v *view) storagesOf(ke string) []*storage { return v.appendStoragesOf(nil, ke) }

// appendStoragesOf appends to dst the storages whose key expression
// intersects ke.
func (v *view) appendStoragesOf(dst []*storage, ke string) []*storage {
	for _, st := range v.storages {
		if st.holds(ke) {
			dst = append(dst, st)
		}
	}
	return dst
}

// storage returns the storage called name, or nil.
func (v *view) storage(name string) *storage {
	for _, st := range v.storages {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// volume returns the volume called name, or nil.
func (v *view) volume(name string) *volume {
	for _, vol := range v.volumes {
		if vol.name == name {
			return vol
		}
	}
	return nil
}

// names lists the storages' names and key expressions, for error texts.
func (v *view) names() string {
	var names []string
	for _, st := range v.storages {
		names = append(names, st.Name+" ("+st.KeyExpr+")")
	}
	slices.Sort(names)
	return fmt.Sprint(names)
}

// inMemory reports whether a storage's store (observed or not) is a
// memory store, whose calls never wait for a medium.
func inMemory(s backend.Store) bool {
	switch o := s.(type) {
	case *observedStreamer:
		s = o.Store
	case *observedStore:
		s = o.Store
	}
	_, ok := s.(*memory.Store)
	return ok
}
