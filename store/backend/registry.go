package backend

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// Factory builds a volume of one kind from its options (in YAML, the
// volume's map without its kind). It must refuse unknown options with an
// error matching ErrInvalidConfig. NewVolume has checked ctx (see
// CheckContext) before it calls a factory.
type Factory func(ctx context.Context, opts Options) (Volume, error)

// registry maps kind names to factories. Written by Register (normally
// from init functions), read by NewVolume and Kinds.
var registry struct {
	mu        sync.RWMutex
	factories map[string]Factory
}

// Register makes a volume kind available to NewVolume under name. Backends
// call it from an init function. Like database/sql.Register it panics if
// name is empty, f is nil, or name is already registered: those are
// programming errors, found the first time the program starts.
func Register(name string, f Factory) {
	if name == "" || f == nil {
		panic("backend: Register with empty name or nil factory")
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if _, dup := registry.factories[name]; dup {
		panic("backend: Register called twice for volume kind " + name)
	}
	if registry.factories == nil {
		registry.factories = make(map[string]Factory)
	}
	registry.factories[name] = f
}

// NewVolume builds a volume of the registered kind from its options. An
// unregistered kind gives an error matching ErrUnknownKind.
func NewVolume(ctx context.Context, kind string, opts Options) (Volume, error) {
	if err := CheckContext(ctx); err != nil {
		return nil, err
	}
	registry.mu.RLock()
	f, ok := registry.factories[kind]
	registry.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %v)", ErrUnknownKind, kind, Kinds())
	}
	v, err := f(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("volume kind %s: %w", kind, err)
	}
	return v, nil
}

// Kinds returns the registered volume kinds, sorted.
func Kinds() []string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	return slices.Sorted(maps.Keys(registry.factories))
}

// loggerKey carries a logger to volume factories through their context.
type loggerKey struct{}

// WithLogger returns ctx carrying l, the logger NewVolume's factories give
// the volumes they build (a storage server passes its own).
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger ctx carries (WithLogger), or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}
