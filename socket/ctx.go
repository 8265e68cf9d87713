package socket

import (
	"log/slog"
	"sync"

	"github.com/zmesh/zmesh/internal/ctxstate"
)

// Ctx groups sockets: it owns their inproc namespace and can shut them all
// down at once. The zero value is not usable; call NewCtx, or use
// DefaultCtx.
//
// Its declaration names a type internal to zmesh: a Ctx's state (the inproc
// names, its sockets, whether it is shut down) is shared with the engine,
// which reaches it by converting the pointer, so no package-level table
// maps contexts to state. None of it is exported.
type Ctx ctxstate.State

// NewCtx returns a new context. logger may be nil (slog.Default()).
func NewCtx(logger *slog.Logger) *Ctx {
	return (*Ctx)(ctxstate.New(logger, [2]Msg{{pooled: pooledClass}, {pooled: pooledSlab}}))
}

var (
	defaultOnce sync.Once
	defaultCtx  *Ctx
)

// DefaultCtx is the context sockets use when given none. It is the only
// package-level state in zmesh.
func DefaultCtx() *Ctx {
	defaultOnce.Do(func() { defaultCtx = NewCtx(nil) })
	return defaultCtx
}

// Shutdown makes every blocking call on the context's sockets return
// ErrInvalidCtx at once, and every later call too (libzmq's
// zmq_ctx_shutdown). New sockets cannot be created. The sockets still need
// Close, or use Close on the context.
func (c *Ctx) Shutdown() { (*ctxstate.State)(c).Shutdown() }

// Close shuts the context down and closes every socket in it (each with
// its linger; a shut-down context does not linger), returning when all
// their goroutines have ended.
func (c *Ctx) Close() error { return (*ctxstate.State)(c).Close() }
