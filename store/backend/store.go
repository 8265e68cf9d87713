package backend

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Store holds one storage's entries inside a volume. Implementations are
// safe for concurrent use by many goroutines.
//
// Every method first checks ctx (CheckContext): a nil ctx is refused, by
// Close too, with an error matching ErrInvalidInput and nothing done; a
// ctx already done returns its error (unwrapped: it matches
// context.Canceled or context.DeadlineExceeded); long operations check it
// again as they go. After Close every method but Close returns an error
// matching ErrClosed.
type Store interface {
	// Apply stores e, a value or a tombstone, unless the key already holds
	// an entry whose timestamp is greater than or equal to e.Timestamp. It
	// reports whether e was stored; the compare and the write are atomic
	// with respect to every other Apply and Collect on that key. When it
	// returns applied=true the entry is durable (see the package comment);
	// when it returns an error nothing was stored, unless the error came
	// after the point of no return of the medium, in which case the write
	// is either entirely visible or entirely absent, never partial.
	//
	// e must pass CheckEntry; otherwise Apply returns its error. A tombstone
	// is stored without value and encoding (see Normalize). Apply copies
	// e.Value: the caller may reuse it when Apply returns.
	Apply(ctx context.Context, e Entry) (applied bool, err error)

	// Get returns the entry key holds, tombstones included. A key that holds
	// nothing gives ok=false and a nil error. A key that fails CheckKey, or
	// the backend's own limits, gives an error matching ErrInvalidKey.
	Get(ctx context.Context, key string) (e Entry, ok bool, err error)

	// Scan calls fn for each entry whose key starts with prefix (a plain
	// byte-string prefix, not a key expression; "" means every entry),
	// tombstones included, in no particular order. mode says whether the
	// values are read (ScanValues) or only the keys and metadata (ScanMeta:
	// Value is nil), which on some backends costs far less.
	//
	// Each key is reported at most once. A key that holds the same entry for
	// the whole scan is reported; one written or collected during the scan
	// is reported with any entry it held during the scan, or not at all.
	// Scan holds no lock while fn runs, so fn may call any method of the
	// Store but Close. If fn returns ErrStopScan (or an error wrapping it),
	// Scan stops and returns nil; any other error stops the scan and is
	// returned as is.
	Scan(ctx context.Context, prefix string, mode ScanMode, fn func(Entry) error) error

	// Collect removes every tombstone whose timestamp's physical time is
	// before olderThan, provided it is still the key's current entry when
	// removed, and returns how many it removed. Once a tombstone is
	// collected an older put can store the key again, so the server passes
	// now minus a lifespan much longer than any write can be delayed.
	Collect(ctx context.Context, olderThan time.Time) (removed int, err error)

	// Close releases the store and runs its closing action if it has one
	// (for example S3's on_closure: destroy_bucket). It may wait for
	// operations in flight, so it must not be called from a Scan callback.
	// Close is idempotent: calls after the first return nil.
	Close(ctx context.Context) error
}

// BatchApplier is implemented by a Store that can make several entries
// durable with one commit (the engine volume: one log sync for them all).
// ApplyBatch applies es in order, each as Apply would (copying the values:
// the caller may reuse them when ApplyBatch returns; applied[i] reports
// whether es[i] was stored; a later entry for the same key is compared
// with an earlier one of the batch that was stored), and returns once
// every stored entry is durable. Each compare and write is atomic with
// respect to every other Apply, ApplyBatch and Collect on that key. Every
// entry must pass CheckEntry, or nothing is stored and the error says
// which one failed; on any other error nothing may be assumed stored (as
// with Apply, the writes are then entirely visible or entirely absent).
// len(applied) must be len(es).
type BatchApplier interface {
	ApplyBatch(ctx context.Context, es []Entry, applied []bool) error
}

// ScanMode says what Scan reads for each entry.
type ScanMode uint8

const (
	// ScanMeta reads keys, timestamps, encodings and the Deleted flag, not
	// values (for resolving wildcard deletes, seeding indexes, listing).
	ScanMeta ScanMode = iota
	// ScanValues reads values too (for answering wildcard queries), except
	// values too large to read whole, reported Omitted (see Entry).
	ScanValues
)

// String returns "meta" or "values".
func (m ScanMode) String() string {
	switch m {
	case ScanMeta:
		return "meta"
	case ScanValues:
		return "values"
	}
	return "ScanMode(" + strconv.Itoa(int(m)) + ")"
}

// StorageConfig is what a volume needs to open one storage.
type StorageConfig struct {
	// ReadOnly makes the store refuse Apply and Collect with ErrReadOnly
	// (see ReadOnly). A backend may also open its medium read-only.
	ReadOnly bool
	// Options are the backend-specific options of this storage (in YAML,
	// the storage's `volume: {id: ..., <options>}` map without id). Each
	// backend documents the names it accepts and refuses unknown ones.
	Options Options
}

// Volume is one configured backend instance; it opens the stores of the
// storages that use it. It is safe for concurrent use.
type Volume interface {
	// Open opens (creating it if needed) the store of the storage called
	// name. Opening a storage that is already open returns an error
	// matching ErrInUse.
	Open(ctx context.Context, name string, cfg StorageConfig) (Store, error)
	// Close closes every store still open from this volume, then the volume
	// itself. Close is idempotent. Like Open, it refuses a nil ctx with an
	// error matching ErrInvalidInput.
	Close(ctx context.Context) error
}

// Closing begins a volume's Close, for a volume that keeps its open stores
// in a map guarded by mu and a closed flag beside it: it refuses a nil ctx
// (err is ErrNilContext), and marks the volume closed under mu. The first
// time it returns the stores the volume has open (the values of open) and
// ok true: the volume closes them (with CloseAll) and releases the rest of
// what it holds. Otherwise ok is false and Close returns err: nil for a
// volume closed already.
func Closing[S any](ctx context.Context, mu *sync.Mutex, closed *bool, open map[string]S) (stores []S, ok bool, err error) {
	if ctx == nil {
		return nil, false, ErrNilContext
	}
	mu.Lock()
	defer mu.Unlock()
	if *closed {
		return nil, false, nil
	}
	*closed = true
	return slices.Collect(maps.Values(open)), true, nil
}

// CloseAll closes every store of stores with ctx, even when some fail,
// and returns their errors joined (nil if none). Volumes close their open
// stores with it.
func CloseAll[S Store](ctx context.Context, stores []S) error {
	var errs []error
	for _, s := range stores {
		errs = append(errs, s.Close(ctx))
	}
	return errors.Join(errs...)
}
