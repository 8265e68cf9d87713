package engine

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zmesh/zmesh/store/backend"
)

// Kind is the volume kind under which this package registers itself.
const Kind = "engine"

// Defaults of the volume options.
const (
	// DefaultCacheSize is the block cache's size when cache_size is not set.
	DefaultCacheSize = 64 << 20
	// DefaultSyncWindow is how long sync: window may leave acknowledged
	// writes unsynced when sync_window is not set.
	DefaultSyncWindow = 100 * time.Millisecond
)

// memtableSize is the size of the engine's memtables.
const memtableSize = 8 << 20

// formatKey holds the layout version of a volume (see the package
// comment); it sorts before every storage's keys.
var formatKey = []byte("\x00zmesh-engine-format")

// formatVersion is the layout this version writes: "2", Pebble's own
// log disabled and the engine's journal (journal.go) in its place.
// Format "1" (Pebble's log) is read, and converted when opened
// read-write: Pebble replays its log and flushes it as it opens, and the
// record is then rewritten "2".
const (
	formatVersion   = "2"
	formatPebbleLog = "1"
)

// Config is a volume's configuration; the zero value of each field but
// Root means its default.
type Config struct {
	// Root is the engine's directory (required).
	Root string
	// SyncWindow, when positive, acknowledges writes before they are
	// synced and syncs the log at least this often (YAML sync: window): a
	// crash, of the process (even kill -9) or of the machine, may lose the
	// writes of the last SyncWindow. Zero
	// (sync: always) acknowledges a write only once it is synced.
	SyncWindow time.Duration
	// CacheSize is the block cache's size in bytes (default
	// DefaultCacheSize).
	CacheSize int64
	// MinFreeSpace is the free space, in bytes, under which Apply refuses
	// writes with an error matching backend.ErrBackend and syscall.ENOSPC
	// (default DefaultMinFreeSpace; negative: no check). After a failed
	// journal write the volume refuses every write until it is reopened
	// (what reached the disk is unknown), so it stops writing before the
	// disk is full.
	MinFreeSpace int64
	// Logger receives Pebble's messages and the volume's own (default
	// slog.Default()).
	Logger *slog.Logger
	// ReadOnly opens the engine read-only: every store refuses Apply and
	// Collect with backend.ErrReadOnly.
	ReadOnly bool

	// segmentSize is the journal segments' size (default journalSegment;
	// tests lower it).
	segmentSize int64
	// noCheckpoints keeps every segment (tests).
	noCheckpoints bool
}

func init() {
	backend.Register(Kind, func(ctx context.Context, opts backend.Options) (backend.Volume, error) {
		cfg, err := parseOptions(opts)
		if err != nil {
			return nil, err
		}
		cfg.Logger = backend.Logger(ctx)
		return NewVolume(cfg)
	})
}

// parseOptions reads a volume's YAML options (see Volume).
func parseOptions(opts backend.Options) (Config, error) {
	var cfg Config
	if err := opts.Check("root", "sync", "sync_window", "cache_size", "min_free_space"); err != nil {
		return cfg, err
	}
	var err error
	if cfg.Root, err = opts.String("root", ""); err != nil {
		return cfg, err
	}
	if cfg.Root == "" {
		return cfg, fmt.Errorf("%w: option \"root\" (the volume's directory) is required", backend.ErrInvalidConfig)
	}
	mode, err := opts.String("sync", "always")
	if err != nil {
		return cfg, err
	}
	window, err := opts.Duration("sync_window", DefaultSyncWindow)
	if err != nil {
		return cfg, err
	}
	switch mode {
	case "always":
		if opts.Has("sync_window") {
			return cfg, fmt.Errorf("%w: option \"sync_window\" needs sync: window", backend.ErrInvalidConfig)
		}
	case "window":
		if window <= 0 || window > time.Minute {
			return cfg, fmt.Errorf("%w: option \"sync_window\": %v, want between 1ms and 1m", backend.ErrInvalidConfig, window)
		}
		cfg.SyncWindow = window
	default:
		return cfg, fmt.Errorf("%w: option \"sync\": %q, want always or window", backend.ErrInvalidConfig, mode)
	}
	size, err := opts.Int("cache_size", DefaultCacheSize)
	if err != nil {
		return cfg, err
	}
	if size < 1<<20 {
		return cfg, fmt.Errorf("%w: option \"cache_size\": %d bytes, want at least 1048576 (1 MiB)", backend.ErrInvalidConfig, size)
	}
	cfg.CacheSize = int64(size)
	free, err := opts.Int("min_free_space", DefaultMinFreeSpace)
	if err != nil {
		return cfg, err
	}
	if free < 0 {
		return cfg, fmt.Errorf("%w: option \"min_free_space\": %d bytes, want 0 or more", backend.ErrInvalidConfig, free)
	}
	cfg.MinFreeSpace = int64(free)
	if free == 0 {
		cfg.MinFreeSpace = -1 // no check
	}
	return cfg, nil
}

// Volume is the engine volume: one Pebble database in its root directory
// holding every storage of the volume, each under its own key prefix.
//
// Volume options (YAML): root, the directory (required); sync, always
// (default: Apply returns once the write is synced) or window (Apply
// returns once the write is in the journal's buffer, written and synced at least
// every sync_window, default 100ms: a crash may lose the last window's
// writes); cache_size, the block cache in bytes (default 64 MiB);
// min_free_space, in bytes (default 128 MiB; 0 turns the check off), the
// free space under which puts are refused (see Config.MinFreeSpace).
//
// Storage options: namespace, the name under which the storage's entries
// are kept (default: the storage's name; renaming a storage while keeping
// its namespace keeps its entries); on_closure, do_nothing (default) or
// delete_all (when the store is closed, remove its entries: everything
// under its namespace, which holds only what the store wrote). Two open
// storages may not share a namespace.
type Volume struct {
	cfg Config
	// getMax is the largest blob Get and Scan read whole: MaxGetSize
	// (tests lower it).
	getMax int64
	log    *slog.Logger
	db     *pebble.DB
	// fsCloser stops the disk-stall checker of the engine's file system.
	fsCloser io.Closer
	// sync is whether writes wait for the journal's sync (sync: always).
	sync bool
	// jr is the journal (nil when read-only).
	jr *journal
	// applying is held for reading by every write from its journal append
	// to its commit to Pebble, and for writing by a checkpoint while it
	// reads which segments Pebble's memtables hold all of.
	applying sync.RWMutex

	// spaceAt is when checkSpace last read the free space (Unix ns),
	// spaceFree what it read.
	spaceAt   atomic.Int64
	spaceFree atomic.Uint64

	stop    chan struct{}  // closed by Close: ends the window syncer
	syncers sync.WaitGroup // the window syncer

	mu     sync.Mutex
	open   map[string]*Store // by namespace
	closed bool
}

var _ backend.Volume = (*Volume)(nil)

// NewVolume opens (creating it if needed) the engine in cfg.Root. A
// directory that holds files but no engine (an fs volume, say), or an
// engine with files missing or damaged, is refused with an error saying
// so; nothing in it is changed.
func NewVolume(cfg Config) (*Volume, error) {
	if cfg.Root == "" {
		return nil, fmt.Errorf("engine: %w: no root directory", backend.ErrInvalidConfig)
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.MinFreeSpace == 0 {
		cfg.MinFreeSpace = DefaultMinFreeSpace
	}
	v := &Volume{cfg: cfg, log: cfg.Logger, open: make(map[string]*Store), stop: make(chan struct{}), getMax: MaxGetSize}
	if v.log == nil {
		v.log = slog.Default()
	}
	existing, err := hasFiles(cfg.Root)
	if err != nil {
		return nil, backend.Fail("engine: open "+cfg.Root, err)
	}
	if cfg.ReadOnly && !existing {
		return nil, fmt.Errorf("engine: open %s read-only: %w", cfg.Root, iofs.ErrNotExist)
	}
	if existing {
		if err := checkEngineFiles(cfg.Root); err != nil {
			return nil, err
		}
		if err := v.checkJournal(); err != nil {
			return nil, err
		}
	}
	cache := pebble.NewCache(cfg.CacheSize)
	defer cache.Unref() // the database holds its own reference
	// The volume owns the disk-stall checker (Pebble leaks the one it would
	// make when Open fails): it logs writes stuck for more than 5s.
	fsys, fsCloser := vfs.WithDiskHealthChecks(vfs.Default, 5*time.Second, nil, func(info vfs.DiskSlowInfo) {
		v.log.Warn("engine: slow disk", "root", cfg.Root, "op", info.OpType.String(), "path", info.Path, "duration", info.Duration)
	})
	v.fsCloser = fsCloser
	opts := &pebble.Options{
		FS:                 fsys,
		Cache:              cache,
		Logger:             pebbleLogger{v.log},
		ErrorIfNotExists:   existing, // never start afresh over files (checkEngineFiles looked first)
		ReadOnly:           cfg.ReadOnly,
		FormatMajorVersion: pebble.FormatNewest,
		// 8 MiB memtables, up to 4 of them: a put's memtable insert is
		// a skiplist search whose cost is its cache misses, so it grows
		// with the memtable (with 32 MiB ones it was a fifth of a synced
		// put's CPU under 64 callers; 8 MiB took 15% less CPU per put).
		MemTableSize:                memtableSize,
		MemTableStopWritesThreshold: 4,
		// The engine's journal logs the writes (journal.go).
		DisableWAL: true,
		// Compactions: at most one per two cores, so a 2-core machine
		// keeps a core for serving.
		CompactionConcurrencyRange: func() (int, int) { return 1, max(1, runtime.GOMAXPROCS(0)/2) },
	}
	for i := range opts.Levels {
		// Bloom filters: a get of a key a table does not hold skips it.
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(cfg.Root, opts)
	if err != nil {
		fsCloser.Close()
		return nil, openError(cfg.Root, err)
	}
	v.db = db
	fail := func(err error) (*Volume, error) {
		db.Close()
		fsCloser.Close()
		return nil, err
	}
	format, err := v.checkFormat(existing)
	if err != nil {
		return fail(err)
	}
	if err := v.checkTables(); err != nil {
		return fail(err)
	}
	replayed, err := v.replay()
	if err != nil {
		return fail(err)
	}
	if err := v.sweepBlobs(); err != nil {
		return fail(err)
	}
	if !cfg.ReadOnly {
		if format != formatVersion || len(replayed) > 0 {
			// What the journal (or Pebble's own log) held goes to tables, so
			// the format record can say "2" and the segments can go.
			if err := v.setFormat(); err != nil {
				return fail(err)
			}
		}
		segSize := cmp.Or(cfg.segmentSize, journalSegment)
		if v.jr, err = openJournal(v.journalDir(), replayed, v.log, segSize, v.roomFor); err != nil {
			return fail(backend.Fail("engine: "+cfg.Root, err))
		}
		if err := v.jr.removeBelow(v.jr.num); err != nil {
			v.log.Warn("engine: cannot remove replayed journal segments", "root", cfg.Root, "err", err)
		}
		if !cfg.noCheckpoints {
			v.syncers.Add(1)
			go v.checkpoints()
		}
	}
	v.readSpace()
	v.spaceAt.Store(time.Now().UnixNano())
	v.sync = true
	if cfg.SyncWindow > 0 && v.jr != nil {
		v.sync = false
		v.syncers.Add(1)
		go v.syncEvery(cfg.SyncWindow)
	}
	return v, nil
}

// journalDir is where the journal's segments are.
func (v *Volume) journalDir() string { return filepath.Join(v.cfg.Root, "journal") }

// checkJournal reads every segment of the journal, before Pebble opens,
// so that a damaged one is refused with nothing changed. Read-only, a
// journal holding records is refused too: they cannot be replayed into a
// read-only engine.
func (v *Volume) checkJournal() error {
	records := 0
	_, err := replayJournal(v.journalDir(), func([]byte) error { records++; return nil })
	if err != nil {
		return fmt.Errorf("engine: %s is damaged: %w; %s", v.cfg.Root, err, restoreHint)
	}
	if v.cfg.ReadOnly && records > 0 {
		return fmt.Errorf("engine: %s: its journal holds %d writes not yet in its tables (it was not closed cleanly): open it once read-write to replay them: %w",
			v.cfg.Root, records, backend.ErrReadOnly)
	}
	return nil
}

// replay commits every record of the journal to Pebble, in order, and
// returns the segments it read.
func (v *Volume) replay() ([]uint64, error) {
	if v.cfg.ReadOnly {
		return nil, nil // checkJournal found it empty
	}
	nums, err := replayJournal(v.journalDir(), func(payload []byte) error {
		b := v.db.NewBatch()
		defer b.Close()
		if err := b.SetRepr(payload); err != nil {
			return err
		}
		return b.Commit(pebble.NoSync)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: %s: replay the journal: %w", v.cfg.Root, err)
	}
	return nums, nil
}

// commit makes b's writes durable and visible: its record is appended to
// the journal (and synced, with sync), then b is committed to Pebble. A
// write that fails here may or may not be replayed after a crash.
func (v *Volume) commit(b *pebble.Batch, sync bool) error {
	v.applying.RLock()
	defer v.applying.RUnlock()
	if err := v.jr.append(b.Repr(), sync); err != nil {
		return err
	}
	return b.Commit(pebble.NoSync)
}

// syncJournal syncs the journal under sync: always (the records of
// writes made without waiting, such as a collection's deletes).
func (v *Volume) syncJournal() error {
	if !v.sync {
		return nil
	}
	return v.jr.sync()
}

// checkpoints removes the journal's full segments once their records are
// in Pebble's tables, until the volume closes. It is owned by the volume.
func (v *Volume) checkpoints() {
	defer v.syncers.Done()
	for {
		select {
		case <-v.stop:
			return
		case <-v.jr.sealed:
		}
		if err := v.checkpoint(); err != nil {
			v.log.Error("engine: checkpoint", "root", v.cfg.Root, "err", err)
		}
	}
}

// checkpoint flushes Pebble's memtables and removes the journal segments
// before the current one: every write appended to them was committed to
// Pebble before the flush began (applying's write lock waits for the
// writes in flight).
func (v *Volume) checkpoint() error {
	v.applying.Lock()
	current := v.jr.current.Load()
	v.applying.Unlock()
	if !v.flush(v.stop, nil) {
		return nil // closing: Close flushes
	}
	return v.jr.removeBelow(current)
}

// flushWait bounds how long Close waits for Pebble's memtables to reach
// tables before it leaves their writes to the journal's replay.
const flushWait = 30 * time.Second

// flush flushes Pebble's memtables to tables, and reports whether it did
// before stop was closed or timeout fired (nil: never). A flush that
// cannot finish (a full disk: Pebble retries it) must not hold up Close;
// the journal still has the writes.
func (v *Volume) flush(stop <-chan struct{}, timeout <-chan time.Time) bool {
	done, err := v.db.AsyncFlush()
	if err != nil {
		v.log.Error("engine: flush", "root", v.cfg.Root, "err", err)
		return false
	}
	select {
	case <-done:
		return true
	case <-stop:
		return false
	case <-timeout:
		return false
	}
}

// roomFor reports whether the file system has room for n more bytes of
// journal, twice over, above min_free_space.
func (v *Volume) roomFor(n int64) bool {
	du, err := vfs.Default.GetDiskUsage(v.cfg.Root)
	return err == nil && du.AvailBytes >= uint64(2*n+max(v.cfg.MinFreeSpace, 0))
}

// restoreHint says what to do about a damaged engine directory: nothing in
// it is changed by the refusal, and the engine cannot rebuild what is lost.
const restoreHint = "nothing was changed; restore the directory from a backup, or move it away to start an empty volume"

// openError explains why Pebble refused to open root.
func openError(root string, err error) error {
	switch {
	case errors.Is(err, syscall.EAGAIN), strings.Contains(err.Error(), "lock held"):
		return fmt.Errorf("engine: %s: %w (another volume or process has it open): %w", root, backend.ErrInUse, err)
	case errors.Is(err, iofs.ErrNotExist):
		return fmt.Errorf("engine: %s is damaged: a file it needs is missing (%w: %w); %s", root, backend.ErrCorrupt, err, restoreHint)
	}
	return fmt.Errorf("engine: %s is damaged or unreadable (%w: %w); %s", root, backend.ErrCorrupt, err, restoreHint)
}

// hasFiles reports whether dir exists and holds anything.
func hasFiles(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, iofs.ErrNotExist) {
		return false, nil
	}
	return len(ents) > 0, err
}

// checkEngineFiles refuses, before Pebble touches it, a directory that
// holds files but no engine (an fs volume, say) or an engine whose
// manifest marker is gone.
func checkEngineFiles(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return backend.Fail("engine: open "+dir, err)
	}
	var marker, engine bool
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "marker.manifest."), n == "CURRENT":
			marker = true
		case strings.HasPrefix(n, "MANIFEST-"), strings.HasPrefix(n, "OPTIONS-"),
			strings.HasSuffix(n, ".sst"), strings.HasSuffix(n, ".log"), strings.HasPrefix(n, "marker."):
			engine = true
		}
	}
	switch {
	case marker:
		return nil
	case engine:
		return fmt.Errorf("engine: %s is damaged: the engine's manifest marker (marker.manifest.*) is missing: %w; %s", dir, backend.ErrCorrupt, restoreHint)
	}
	return fmt.Errorf("engine: %s holds files but no engine (is it an fs volume's directory?); give the engine an empty or new directory: %w",
		dir, backend.ErrCorrupt)
}

// checkFormat returns the format record of an existing engine ("" for a
// new one), refusing a format this version does not read.
func (v *Volume) checkFormat(existing bool) (string, error) {
	got, closer, err := v.db.Get(formatKey)
	switch {
	case errors.Is(err, pebble.ErrNotFound) && !existing && !v.cfg.ReadOnly:
		return "", nil
	case errors.Is(err, pebble.ErrNotFound):
		return "", fmt.Errorf("engine: %s is a Pebble database but not a zmesh engine volume (no format record): %w",
			v.cfg.Root, backend.ErrCorrupt)
	case err != nil:
		return "", fmt.Errorf("engine: %s: read format record: %w: %w", v.cfg.Root, backend.ErrCorrupt, err)
	}
	defer closer.Close()
	if f := string(got); f == formatVersion || f == formatPebbleLog {
		return f, nil
	}
	return "", fmt.Errorf("engine: %s has format %q; this zmesh reads formats %s and %s: %w",
		v.cfg.Root, got, formatPebbleLog, formatVersion, backend.ErrCorrupt)
}

// setFormat writes the format record and flushes the memtables to tables
// (Pebble's own log is off: what is not in a table is only in the
// journal).
func (v *Volume) setFormat() error {
	if err := v.db.Set(formatKey, []byte(formatVersion), pebble.NoSync); err != nil {
		return backend.Fail("engine: write the format record of "+v.cfg.Root, err)
	}
	if err := v.db.Flush(); err != nil {
		return backend.Fail("engine: flush "+v.cfg.Root, err)
	}
	return nil
}

// checkTables makes sure every table file the engine's manifest lists is
// there, so a missing file is reported at start rather than at the first
// read that needs it.
func (v *Volume) checkTables() error {
	levels, err := v.db.SSTables()
	if err != nil {
		return fmt.Errorf("engine: %s: list table files: %w: %w", v.cfg.Root, backend.ErrCorrupt, err)
	}
	var missing []string
	for _, level := range levels {
		for _, t := range level {
			name := fmt.Sprintf("%06d.sst", uint64(t.BackingSSTNum))
			if _, err := os.Stat(v.cfg.Root + string(os.PathSeparator) + name); err != nil {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("engine: %s is damaged: table files %v are missing: %w; %s", v.cfg.Root, missing, backend.ErrCorrupt, restoreHint)
	}
	return nil
}

// syncEvery syncs the log every window until the volume closes (sync:
// window). It is owned by the volume: Close stops it and waits.
func (v *Volume) syncEvery(window time.Duration) {
	defer v.syncers.Done()
	t := time.NewTicker(window)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			if err := v.jr.sync(); err != nil {
				v.log.Error("engine: sync the journal", "root", v.cfg.Root, "err", err)
			}
		}
	}
}

// Open opens the store of the storage called name (see Volume for its
// options).
func (v *Volume) Open(ctx context.Context, name string, cfg backend.StorageConfig) (backend.Store, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return nil, err
	}
	s, err := v.openStore(name, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.ReadOnly {
		return backend.ReadOnly(s), nil
	}
	return s, nil
}

func (v *Volume) openStore(name string, cfg backend.StorageConfig) (*Store, error) {
	bad := func(err error) error { return fmt.Errorf("engine: storage %q: %w", name, err) }
	if err := cfg.Options.Check("namespace", "on_closure"); err != nil {
		return nil, bad(err)
	}
	ns, err := cfg.Options.String("namespace", name)
	if err != nil {
		return nil, bad(err)
	}
	if len(ns) > backend.PortableKeyLen {
		return nil, bad(fmt.Errorf("%w: namespace is %d bytes, longer than %d", backend.ErrInvalidConfig, len(ns), backend.PortableKeyLen))
	}
	onClosure, err := cfg.Options.String("on_closure", "do_nothing")
	if err != nil {
		return nil, bad(err)
	}
	s := &Store{v: v, name: ns, prefix: namespacePrefix(ns), seed: maphash.MakeSeed()}
	switch onClosure {
	case "do_nothing":
	case "delete_all":
		if cfg.ReadOnly || v.cfg.ReadOnly {
			return nil, bad(fmt.Errorf("%w: on_closure: delete_all on a read-only storage", backend.ErrInvalidConfig))
		}
		s.deleteOnClose = true
	default:
		return nil, bad(fmt.Errorf("%w: on_closure %q: want do_nothing or delete_all", backend.ErrInvalidConfig, onClosure))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return nil, bad(backend.ErrClosed)
	}
	if _, dup := v.open[ns]; dup {
		return nil, bad(fmt.Errorf("%w: namespace %q is open", backend.ErrInUse, ns))
	}
	v.open[ns] = s
	return s, nil
}

// namespacePrefix is what every key of namespace ns starts with: 'd', the
// length of ns as a uvarint, then ns. The length makes the prefixes of two
// namespaces never prefixes of one another.
func namespacePrefix(ns string) []byte {
	b := []byte{'d'}
	b = binary.AppendUvarint(b, uint64(len(ns)))
	return append(b, ns...)
}

// forget removes s from the open stores (its Close).
func (v *Volume) forget(s *Store) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.open[s.name] == s {
		delete(v.open, s.name)
	}
}

// Close closes every store still open, then the engine. It is idempotent.
func (v *Volume) Close(ctx context.Context) error {
	stores, ok, err := backend.Closing(ctx, &v.mu, &v.closed, v.open)
	if !ok {
		return err
	}
	slices.SortFunc(stores, func(a, b *Store) int { return cmpString(a.name, b.name) })
	errs := []error{backend.CloseAll(ctx, stores)}
	close(v.stop)
	v.syncers.Wait()
	if v.jr != nil {
		// Every write goes to tables, and the journal is emptied: a
		// volume closed cleanly opens without a replay (read-only too).
		err := v.jr.sync()
		flushed := false
		if err == nil {
			timeout := time.NewTimer(flushWait)
			if flushed = v.flush(nil, timeout.C); !flushed {
				v.log.Warn("engine: the memtables could not be flushed at close; the journal keeps their writes for the next open", "root", v.cfg.Root)
			}
			timeout.Stop()
		}
		errs = append(errs, err, v.jr.close(flushed))
	}
	errs = append(errs, v.db.Close(), v.fsCloser.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("engine: close volume %s: %w", v.cfg.Root, err)
	}
	return nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pebbleLogger passes Pebble's messages to slog: its informational
// messages at debug level.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("engine: pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("engine: pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf is called by Pebble for states it cannot continue from; like
// Pebble's default logger it does not return.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := "engine: pebble: fatal: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic(msg)
}
