package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/keyexpr"
)

// Storage is one storage a Server serves: the keys its key expression
// covers, kept in a backend.Store.
//
// A request goes to every storage whose KeyExpr intersects the request's
// key or key expression. Keys are stored with StripPrefix removed
// ("demo/example/a" is "a" in a storage with strip_prefix
// "demo/example"); the key equal to the prefix itself is stored as the
// empty key, which backends list like any other, so a query on
// "demo/example/**" finds it (Zenoh lost that key: zenoh#1350).
type Storage struct {
	// Name identifies the storage in logs, errors and the admin space, and
	// is the group of its change feed: 1 to 255 bytes of ASCII letters,
	// digits, '.', '_' and '-'.
	Name string
	// KeyExpr is the set of keys the storage holds, a valid (canonical)
	// key expression such as "demo/**".
	KeyExpr string
	// StripPrefix, if set, is removed from keys before they reach Store.
	// It must be a plain key that prefixes, chunk by chunk, every key
	// KeyExpr covers ("demo" for "demo/**", not "dem").
	StripPrefix string
	// Store holds the entries. The Server closes it when it is closed.
	Store backend.Store
	// ReadOnly makes the server refuse puts and deletes for this storage
	// without asking Store; queries are answered as usual.
	ReadOnly bool
	// Volume names the volume Store came from, for the admin space only.
	Volume string
	// TombstoneLifespan is how long a tombstone (and a retained wildcard
	// delete) is kept before garbage collection; 0 means the server's
	// Options.TombstoneLifespan. It must be far longer than any write can
	// be delayed: once a tombstone is collected, an older put of its key is
	// stored again.
	TombstoneLifespan time.Duration
	// GCPeriod is how often this storage's tombstones are collected; 0
	// means the server's Options.GCPeriod.
	GCPeriod time.Duration
}

// validName reports whether name can name a storage (and a feed group).
func validName(name string) error {
	if name == "" || len(name) > patterns.MaxGroupLen {
		return fmt.Errorf("storage name %q: want 1 to %d bytes", name, patterns.MaxGroupLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("storage name %q: only ASCII letters, digits, '.', '_' and '-' are allowed", name)
		}
	}
	return nil
}

// checkStorage validates a storage's key expression and strip prefix. As
// in Zenoh, strip_prefix must prefix every key of key_expr, but here
// chunk-wise: "demo/exam" does not prefix "demo/example/**", since
// stripping it would leave keys starting in the middle of a chunk.
func checkStorage(st *Storage) error {
	if err := validName(st.Name); err != nil {
		return err
	}
	if st.Store == nil {
		return fmt.Errorf("storage %q: no store", st.Name)
	}
	return checkStorageKeys(st)
}

// checkStorageKeys is checkStorage without the store: what can be checked
// before the store is opened.
func checkStorageKeys(st *Storage) error {
	if err := keyexpr.Validate(st.KeyExpr); err != nil {
		return fmt.Errorf("storage %q: key_expr: %w", st.Name, err)
	}
	if st.StripPrefix != "" {
		if err := keyexpr.ValidateKey(st.StripPrefix); err != nil {
			return fmt.Errorf("storage %q: strip_prefix: %w", st.Name, err)
		}
		if !keyexpr.Includes(st.StripPrefix+"/**", st.KeyExpr) {
			return fmt.Errorf("storage %q: strip_prefix %q does not prefix every key of key_expr %q (write it as whole chunks of key_expr's literal start)",
				st.Name, st.StripPrefix, st.KeyExpr)
		}
	}
	if st.TombstoneLifespan < 0 || st.GCPeriod < 0 {
		return fmt.Errorf("storage %q: negative garbage collection duration", st.Name)
	}
	return nil
}

// storage is a Storage as the server runs it.
type storage struct {
	Storage
	lifespan, period time.Duration // resolved against the server's defaults

	// feedMu orders this storage's change feed: it is held while a sample
	// gets its sequence number and is handed to the radio, so numbers go
	// out in order. seq is the last number used.
	feedMu sync.Mutex
	seq    uint64

	wild wildDeletes

	// batch is the store's batch writer, with the health accounting of
	// observe, if the store applies batches and the storage is writable
	// (see handleBatch); nil otherwise.
	batch backend.BatchApplier

	// nextGC is when the GC loop next collects this storage; owned by the
	// GC goroutine.
	nextGC time.Time

	// run is what runtime management and health reporting know of the
	// storage (runtime.go, health.go).
	run storageRun
}

// holds reports whether a plain key belongs to the storage.
func (st *storage) holds(key string) bool { return keyexpr.Intersects(st.KeyExpr, key) }

// strip maps a full key to the key the store uses. ok is false if the key
// is not under the strip prefix (it then does not belong to the storage).
func (st *storage) strip(key string) (string, bool) {
	if st.StripPrefix == "" {
		return key, true
	}
	return keyexpr.StripKey(key, st.StripPrefix)
}

// unstrip maps a store's key back to the full key.
func (st *storage) unstrip(key string) string {
	switch {
	case st.StripPrefix == "":
		return key
	case key == "":
		return st.StripPrefix
	}
	return st.StripPrefix + "/" + key
}

// scanPrefix returns the byte prefix of the store keys a scan for the key
// expression ke must visit: every full key ke matches starts with ke's
// literal prefix, so its stored form starts with that prefix stripped. When
// the literal prefix is shorter than the strip prefix, every stored key
// may match and the scan covers the whole store.
func (st *storage) scanPrefix(ke string) string {
	lit := keyexpr.LiteralPrefix(ke)
	if st.StripPrefix == "" {
		return lit
	}
	rest, ok := keyexpr.StripKey(lit, st.StripPrefix)
	if !ok {
		return ""
	}
	return rest
}

// internal reports whether a store key is one of the server's own records
// rather than a user's key. User keys are valid key expressions, which
// never contain '#', so the namespace cannot collide with them.
func internal(storeKey string) bool { return strings.HasPrefix(storeKey, "#") }

// Retained wildcard deletes (Zenoh's storages let a late put slip past a
// wildcard delete: zenoh#2649).
//
// A wildcard delete writes a tombstone on every key it finds. A key it did
// not find because it did not exist yet, written later by a put carrying
// an older timestamp (a delayed write, a loader replaying old data), would
// escape it and come back to life. So each wildcard delete is also kept as
// a record — in memory for the check, and in the store itself under
// "#wd/<hash of the expression>" so it survives restarts — and a put older
// than a retained wildcard delete that covers its key is dropped. Records
// are collected with the tombstones, after the storage's lifespan.

// wildPrefix starts the store keys of retained wildcard-delete records.
const wildPrefix = "#wd/"

// wildEncoding marks a record's entry; its value is the key expression.
const wildEncoding = "zmesh/wildcard-delete"

type wildDelete struct {
	expr string
	ts   hlc.Timestamp
}

// wildDeletes holds a storage's retained wildcard deletes.
//
// mu is also the barrier between puts and wildcard deletes: a put holds it
// shared from its check until its Apply has returned, and a wildcard delete
// holds it exclusively while it adds its record. So every put either saw
// the record or was applied before the delete's scan began (and the scan
// then finds its key).
type wildDeletes struct {
	mu     sync.RWMutex
	list   []wildDelete  // guarded by mu
	newest hlc.Timestamp // guarded by mu: the greatest ts in list
}

// recordKey is the store key of the record of a wildcard delete on expr.
func recordKey(expr string) string {
	sum := sha256.Sum256([]byte(expr))
	return wildPrefix + hex.EncodeToString(sum[:16])
}

// add retains a wildcard delete of expr at ts (replacing an older one of
// the same expression).
func (w *wildDeletes) add(expr string, ts hlc.Timestamp) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addLocked(expr, ts)
}

func (w *wildDeletes) addLocked(expr string, ts hlc.Timestamp) {
	if ts.Compare(w.newest) > 0 {
		w.newest = ts
	}
	for i := range w.list {
		if w.list[i].expr == expr {
			if ts.Compare(w.list[i].ts) > 0 {
				w.list[i].ts = ts
			}
			return
		}
	}
	w.list = append(w.list, wildDelete{expr: expr, ts: ts})
}

// shadowedLocked reports whether a put of key at ts is older than a
// retained wildcard delete covering key. Called with mu held (shared). In
// the common case, a put newer than every record, it costs one comparison.
func (w *wildDeletes) shadowedLocked(key string, ts hlc.Timestamp) bool {
	if len(w.list) == 0 || ts.Compare(w.newest) >= 0 {
		return false
	}
	for _, r := range w.list {
		if r.ts.Compare(ts) > 0 && keyexpr.Intersects(r.expr, key) {
			return true
		}
	}
	return false
}

// expire removes and returns the records whose physical time is before
// cutoff.
func (w *wildDeletes) expire(cutoff int64) []wildDelete {
	w.mu.Lock()
	defer w.mu.Unlock()
	var gone []wildDelete
	kept := w.list[:0]
	w.newest = hlc.Timestamp{}
	for _, r := range w.list {
		if r.ts.Time < cutoff {
			gone = append(gone, r)
			continue
		}
		kept = append(kept, r)
		if r.ts.Compare(w.newest) > 0 {
			w.newest = r.ts
		}
	}
	clear(w.list[len(kept):])
	w.list = kept
	return gone
}

// load reads the records a store holds (written before a restart, or by
// another server sharing the store).
func (w *wildDeletes) load(ctx context.Context, s backend.Store) (int, error) {
	n := 0
	err := s.Scan(ctx, wildPrefix, backend.ScanValues, func(e backend.Entry) error {
		if e.Deleted || e.Encoding != wildEncoding || keyexpr.Validate(string(e.Value)) != nil {
			return nil
		}
		w.add(string(e.Value), e.Timestamp)
		n++
		return nil
	})
	return n, err
}

// recordEntry is the store entry retaining a wildcard delete.
func recordEntry(expr string, ts hlc.Timestamp) backend.Entry {
	return backend.Entry{Key: recordKey(expr), Value: []byte(expr), Encoding: wildEncoding, Timestamp: ts}
}

// after returns the smallest timestamp greater than ts from the same
// source: a record's tombstone must beat the record itself.
func after(ts hlc.Timestamp) hlc.Timestamp {
	if ts.Counter == ^uint32(0) {
		ts.Time++
		ts.Counter = 0
		return ts
	}
	ts.Counter++
	return ts
}
