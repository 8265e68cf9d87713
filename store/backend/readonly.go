package backend

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// ReadOnly wraps s so that Apply and Collect fail with ErrReadOnly while
// Get, Scan and Close go through to s. Volumes use it to honour
// StorageConfig.ReadOnly the same way everywhere. When s is a Streamer the
// result is one too: OpenStream goes through, PutStream fails with
// ErrReadOnly.
func ReadOnly(s Store) Store {
	if st, ok := s.(Streamer); ok {
		return &readOnlyStreamer{readOnly: &readOnly{Store: s}, st: st}
	}
	return &readOnly{Store: s}
}

type readOnly struct {
	Store
	closed atomic.Bool // set by Close, so refusals after Close say ErrClosed
}

func (r *readOnly) refuse(ctx context.Context, op string) error {
	if err := CheckContext(ctx); err != nil {
		return err
	}
	if r.closed.Load() {
		return fmt.Errorf("%s: %w", op, ErrClosed)
	}
	return fmt.Errorf("%s: %w", op, ErrReadOnly)
}

func (r *readOnly) Apply(ctx context.Context, e Entry) (bool, error) {
	return false, r.refuse(ctx, fmt.Sprintf("apply %q", e.Key))
}

func (r *readOnly) Collect(ctx context.Context, _ time.Time) (int, error) {
	return 0, r.refuse(ctx, "collect")
}

func (r *readOnly) Close(ctx context.Context) error {
	if ctx == nil {
		return ErrNilContext
	}
	r.closed.Store(true)
	return r.Store.Close(ctx)
}
