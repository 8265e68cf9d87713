package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlines hands out contexts that expire between d and 1.5·d after they
// are handed out. Every caller within one window of d/2 shares the same
// context, so bounding each request costs one timer per window instead of
// one per request (context.WithTimeout's timer, taken and released per
// request, was a tenth of the server's CPU time at 100k requests per
// second). A window is closed by a timer of its own, d/2 after it opened,
// so handing out a context reads no clock (time.Now, twice per request,
// was a twentieth of the server's CPU time). Request timeouts are a safety
// net against a hung backend, so their exact length does not matter.
type deadlines struct {
	parent context.Context
	d      time.Duration
	mu     sync.Mutex // serialises window creation
	cur    atomic.Pointer[window]
}

type window struct {
	ctx    context.Context
	cancel context.CancelFunc // called by the parent's cancellation, or never needed: the deadline fires
	// closed is set by a timer d/2 after the window opened: the next get
	// opens a new window.
	closed atomic.Bool
}

func newDeadlines(parent context.Context, d time.Duration) *deadlines {
	return &deadlines{parent: parent, d: d}
}

// get returns a context expiring in d to 1.5·d.
func (w *deadlines) get() context.Context {
	if c := w.cur.Load(); c != nil && !c.closed.Load() {
		return c.ctx
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.cur.Load(); c != nil && !c.closed.Load() {
		return c.ctx
	}
	ctx, cancel := context.WithTimeout(w.parent, w.d+w.d/2)
	c := &window{ctx: ctx, cancel: cancel}
	// The timer's function runs once, at once: nothing to stop. It keeps
	// the window until then, a few hundred bytes.
	time.AfterFunc(w.d/2, func() { c.closed.Store(true) })
	w.cur.Store(c)
	return ctx
}
