// Package ctxstate is the state behind a socket.Ctx: the inproc namespace,
// the sockets to shut down and close, and whether the context is shut down.
//
// It sits below both package socket, which declares socket.Ctx as this
// State (type Ctx ctxstate.State) and gives it its public methods, and
// internal/engine, which converts a *socket.Ctx back to a *State to
// register its sockets. Neither needs package-level state for it.
package ctxstate

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/zmesh/zmesh/transport"
)

// Member is a socket registered with a State.
type Member interface {
	// Close closes the socket (lingering as its options say), returning
	// when its goroutines have ended.
	Close() error
	// Wake unblocks the socket's blocked calls after Shutdown, so they
	// see the shut-down state.
	Wake()
}

// State is a context's state. The zero value is not usable; call New.
//
// Every field is unexported and every method is on *State, not on
// socket.Ctx (a defined type inherits fields, never methods): users of a
// socket.Ctx see none of this.
type State struct {
	log    *slog.Logger
	inproc *transport.Registry[any]
	pooled any

	mu       sync.Mutex // guards members, and makes Shutdown's change once
	members  map[Member]struct{}
	shutdown atomic.Bool   // written under mu; read without it
	down     chan struct{} // closed by Shutdown, with shutdown set
}

// New returns a State logging to logger (slog.Default() if nil); pooled is
// what Pooled returns.
func New(logger *slog.Logger, pooled any) *State {
	if logger == nil {
		logger = slog.Default()
	}
	return &State{
		log:     logger,
		inproc:  transport.NewRegistry[any](),
		pooled:  pooled,
		members: make(map[Member]struct{}),
		down:    make(chan struct{}),
	}
}

// Log is the context's logger, for sockets without their own.
func (st *State) Log() *slog.Logger { return st.log }

// Inproc is the inproc namespace: binds and pending connects by name. Its
// values are the engine's own (a connecting socket's half of a link); this
// package never looks at them.
func (st *State) Inproc() *transport.Registry[any] { return st.inproc }

// Pooled is package socket's Msg with only its unexported pooled mark set,
// twice: [2]socket.Msg, marked for a body from internal/bodypool's pools
// and for one carved from its slabs. The engine copies one for each
// received body it took from internal/bodypool, then fills in the rest: that is how a message gets a
// mark only package socket can write (Msg.Release reads it), with no call
// or allocation per message.
func (st *State) Pooled() any { return st.pooled }

// Add registers m. It fails with false once the State is shut down.
func (st *State) Add(m Member) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.shutdown.Load() {
		return false
	}
	st.members[m] = struct{}{}
	return true
}

// Remove forgets m (its Close has finished).
func (st *State) Remove(m Member) {
	st.mu.Lock()
	delete(st.members, m)
	st.mu.Unlock()
}

// Down is closed when the State is shut down.
func (st *State) Down() <-chan struct{} { return st.down }

// IsShutdown reports whether Shutdown has been called.
func (st *State) IsShutdown() bool {
	return st.shutdown.Load()
}

// Members returns the registered sockets.
func (st *State) Members() []Member {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.AppendSeq(make([]Member, 0, len(st.members)), maps.Keys(st.members))
}

// Shutdown marks the State shut down (Down is closed, Add fails) and
// wakes every member's blocked calls.
func (st *State) Shutdown() {
	st.mu.Lock()
	if !st.shutdown.Load() {
		st.shutdown.Store(true)
		close(st.down)
	}
	st.mu.Unlock()
	for _, m := range st.Members() {
		m.Wake()
	}
}

// Close shuts the State down and closes every member.
func (st *State) Close() error {
	st.Shutdown()
	for _, m := range st.Members() {
		_ = m.Close()
	}
	return nil
}
