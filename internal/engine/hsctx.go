package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// hsContext is the context.Context a handshake runs under: its parent
// (the socket's, or the connecting endpoint's) bounded by the handshake
// deadline. It costs nothing per connection until something waits on
// Done: the mechanisms only ask Err between steps (the deadline itself is
// enforced on the connection, and the socket closes a connection whose
// endpoint or socket goes away), so the timer and the registration with
// the parent that context.WithDeadline makes at once are only made for
// an Authenticator that selects on Done.
type hsContext struct {
	context.Context              // the parent
	deadline        time.Time    // zero: none
	once            sync.Once    // makes done
	done            atomic.Value // context.Context: the parent bounded by deadline, once Done is called
	cancel          func()       // done's, if it has one; called by stop
	mu              sync.Mutex   // orders stop against making done
	stopped         bool         // stop was called
}

func newHSContext(parent context.Context, d time.Duration) *hsContext {
	h := &hsContext{Context: parent}
	if d > 0 {
		h.deadline = time.Now().Add(d)
	}
	return h
}

// Deadline is the earlier of the handshake deadline and the parent's.
func (h *hsContext) Deadline() (time.Time, bool) {
	pd, ok := h.Context.Deadline()
	if h.deadline.IsZero() || ok && pd.Before(h.deadline) {
		return pd, ok
	}
	return h.deadline, true
}

// Done is closed when the parent is done or the deadline passes.
func (h *hsContext) Done() <-chan struct{} {
	if h.deadline.IsZero() {
		return h.Context.Done()
	}
	h.once.Do(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		ctx, cancel := context.WithDeadline(h.Context, h.deadline)
		if h.stopped {
			cancel()
		}
		h.cancel = cancel
		h.done.Store(ctx)
	})
	return h.done.Load().(context.Context).Done()
}

// Err is the parent's error, else context.DeadlineExceeded once the
// deadline has passed.
func (h *hsContext) Err() error {
	if d, ok := h.done.Load().(context.Context); ok {
		return d.Err()
	}
	if err := h.Context.Err(); err != nil {
		return err
	}
	if !h.deadline.IsZero() && !time.Now().Before(h.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// stop releases what Done made, if anything: the handshake is over.
func (h *hsContext) stop() {
	h.mu.Lock()
	h.stopped = true
	cancel := h.cancel
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
