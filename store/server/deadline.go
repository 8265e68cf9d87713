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
// second). Request timeouts are a safety net against a hung backend, so
// their exact length does not matter.
type deadlines struct {
	parent context.Context
	d      time.Duration
	mu     sync.Mutex // serialises window creation
	cur    atomic.Pointer[window]
}

type window struct {
	ctx    context.Context
	cancel context.CancelFunc // called by the parent's cancellation, or never needed: the deadline fires
	until  int64              // Unix ns after which a new window starts
}

func newDeadlines(parent context.Context, d time.Duration) *deadlines {
	return &deadlines{parent: parent, d: d}
}

// get returns a context expiring in d to 1.5·d.
func (w *deadlines) get() context.Context {
	now := time.Now().UnixNano()
	if c := w.cur.Load(); c != nil && now < c.until {
		return c.ctx
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.cur.Load(); c != nil && now < c.until {
		return c.ctx
	}
	ctx, cancel := context.WithDeadline(w.parent, time.Unix(0, now).Add(w.d+w.d/2))
	w.cur.Store(&window{ctx: ctx, cancel: cancel, until: now + int64(w.d/2)})
	return ctx
}
