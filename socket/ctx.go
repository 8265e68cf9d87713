package socket

import (
	"log/slog"
	"sync"

	"github.com/zmesh/zmesh/transport"
)

// Ctx groups sockets: it owns their inproc namespace and can shut them all
// down at once. The zero value is not usable; call NewCtx, or use
// DefaultCtx.
type Ctx struct {
	log    *slog.Logger
	inproc *transport.Registry[*inprocConnect]

	mu       sync.Mutex
	sockets  map[*Socket]struct{}
	shutdown bool
	down     chan struct{} // closed by Shutdown
}

// NewCtx returns a new context. logger may be nil (slog.Default()).
func NewCtx(logger *slog.Logger) *Ctx {
	if logger == nil {
		logger = slog.Default()
	}
	return &Ctx{
		log:     logger,
		inproc:  transport.NewRegistry[*inprocConnect](),
		sockets: make(map[*Socket]struct{}),
		down:    make(chan struct{}),
	}
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

func (c *Ctx) add(s *Socket) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shutdown {
		return ErrInvalidCtx
	}
	c.sockets[s] = struct{}{}
	return nil
}

func (c *Ctx) remove(s *Socket) {
	c.mu.Lock()
	delete(c.sockets, s)
	c.mu.Unlock()
}

func (c *Ctx) isShutdown() bool {
	select {
	case <-c.down:
		return true
	default:
		return false
	}
}

// Shutdown makes every blocking call on the context's sockets return
// ErrInvalidCtx at once, and every later call too (libzmq's
// zmq_ctx_shutdown). New sockets cannot be created. The sockets still need
// Close, or use Close on the context.
func (c *Ctx) Shutdown() {
	c.mu.Lock()
	if !c.shutdown {
		c.shutdown = true
		close(c.down)
	}
	socks := make([]*Socket, 0, len(c.sockets))
	for s := range c.sockets {
		socks = append(socks, s)
	}
	c.mu.Unlock()
	for _, s := range socks {
		s.in.signal()
		s.sendReady.broadcast()
	}
}

// Close shuts the context down and closes every socket in it (each with
// its linger; a shut-down context does not linger), returning when all
// their goroutines have ended.
func (c *Ctx) Close() error {
	c.Shutdown()
	c.mu.Lock()
	socks := make([]*Socket, 0, len(c.sockets))
	for s := range c.sockets {
		socks = append(socks, s)
	}
	c.mu.Unlock()
	for _, s := range socks {
		_ = s.Close()
	}
	return nil
}
