package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/zmesh/zmesh/store/backend"
)

// Kind is the volume kind under which this package registers itself.
const Kind = "memory"

// optMaxBytes is the storage option of the byte budget.
const optMaxBytes = "max_bytes"

func init() {
	backend.Register(Kind, func(ctx context.Context, opts backend.Options) (backend.Volume, error) {
		if err := opts.Check(); err != nil {
			return nil, err
		}
		return NewVolume(), nil
	})
}

// Volume is the memory volume: it opens one independent, empty Store per
// storage name. It takes no volume options; a storage takes max_bytes,
// the byte budget of its values (an integer, 0 or absent for none; see
// NewLimited), besides read_only (through backend.StorageConfig).
type Volume struct {
	mu     sync.Mutex
	open   map[string]backend.Store // by storage name; nil once closed
	closed bool
}

var _ backend.Volume = (*Volume)(nil)

// NewVolume returns a memory volume.
func NewVolume() *Volume { return &Volume{open: make(map[string]backend.Store)} }

// Open returns a new, empty store for the storage name. Opening a name that
// is open already fails with backend.ErrInUse; once that store is closed,
// Open gives a fresh empty one.
func (v *Volume) Open(ctx context.Context, name string, cfg backend.StorageConfig) (backend.Store, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := cfg.Options.Check(optMaxBytes); err != nil {
		return nil, fmt.Errorf("memory: storage %q: %w", name, err)
	}
	maxBytes, err := cfg.Options.Int(optMaxBytes, 0)
	if err == nil && maxBytes < 0 {
		err = fmt.Errorf("%w: %s: %d is negative", backend.ErrInvalidConfig, optMaxBytes, maxBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("memory: storage %q: %w", name, err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil, fmt.Errorf("memory: open %q: %w", name, backend.ErrClosed)
	}
	if _, dup := v.open[name]; dup {
		return nil, fmt.Errorf("memory: open %q: %w", name, backend.ErrInUse)
	}
	s := NewLimited(int64(maxBytes))
	s.onClose = func() {
		v.mu.Lock()
		delete(v.open, name)
		v.mu.Unlock()
	}
	var st backend.Store = s
	if cfg.ReadOnly {
		st = backend.ReadOnly(s)
	}
	v.open[name] = st
	return st, nil
}

// Close closes every store still open. It is idempotent.
func (v *Volume) Close(ctx context.Context) error {
	stores, ok, err := backend.Closing(ctx, &v.mu, &v.closed, v.open)
	if !ok {
		return err
	}
	return backend.CloseAll(ctx, stores) // memory stores cannot fail to close
}
