package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
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

const formatVersion = "1"

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
	// (default DefaultMinFreeSpace; negative: no check). Pebble stops the
	// process when a log write fails, so the volume must stop writing
	// before the disk is full.
	MinFreeSpace int64
	// Logger receives Pebble's messages and the volume's own (default
	// slog.Default()).
	Logger *slog.Logger
	// ReadOnly opens the engine read-only: every store refuses Apply and
	// Collect with backend.ErrReadOnly.
	ReadOnly bool
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
// returns once the write is handed to the log, which is synced at least
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
	write    *pebble.WriteOptions
	// syncWaiters counts the writes waiting in Pebble for a log sync
	// (see syncDelay).
	syncWaiters atomic.Int64

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
	}
	cache := pebble.NewCache(cfg.CacheSize)
	defer cache.Unref() // the database holds its own reference
	// The volume owns the disk-stall checker (Pebble leaks the one it would
	// make when Open fails): it logs writes stuck for more than 5s.
	fsys, fsCloser := vfs.WithDiskHealthChecks(walFS{vfs.Default}, 5*time.Second, nil, func(info vfs.DiskSlowInfo) {
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
		WALMinSyncInterval:          v.syncDelay,
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
	if err := v.checkFormat(existing); err != nil {
		db.Close()
		fsCloser.Close()
		return nil, err
	}
	if err := v.checkTables(); err != nil {
		db.Close()
		fsCloser.Close()
		return nil, err
	}
	if err := v.sweepBlobs(); err != nil {
		db.Close()
		fsCloser.Close()
		return nil, err
	}
	v.readSpace()
	v.spaceAt.Store(time.Now().UnixNano())
	v.write = pebble.Sync
	if cfg.SyncWindow > 0 {
		v.write = pebble.NoSync
		v.syncers.Add(1)
		go v.syncEvery(cfg.SyncWindow)
	}
	return v, nil
}

// Log syncs under many writers: see syncDelay.
const (
	groupWaiters = 8
	groupDelay   = 150 * time.Microsecond
)

// syncDelay is Pebble's WALMinSyncInterval, asked once a log sync is
// done: how long to wait before the next. While more than groupWaiters
// writes wait for a sync it is groupDelay, so that the next sync answers
// more of them: each sync costs the disk's flush and the waking of every
// goroutine it answers, and under 64 callers the server's CPU, not the
// disk, bounds the rate (150 µs: about 7% more puts per second and 7%
// less CPU per put under 64 callers; 300 µs was slower). With fewer
// waiters, as from one caller, the next sync starts at once.
func (v *Volume) syncDelay() time.Duration {
	if v.syncWaiters.Load() > groupWaiters {
		return groupDelay
	}
	return 0
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

// checkFormat writes the format record in a new engine and checks it in
// an existing one.
func (v *Volume) checkFormat(existing bool) error {
	got, closer, err := v.db.Get(formatKey)
	switch {
	case errors.Is(err, pebble.ErrNotFound) && !existing && !v.cfg.ReadOnly:
		if err := v.db.Set(formatKey, []byte(formatVersion), pebble.Sync); err != nil {
			return backend.Fail("engine: initialise "+v.cfg.Root, err)
		}
		return nil
	case errors.Is(err, pebble.ErrNotFound):
		return fmt.Errorf("engine: %s is a Pebble database but not a zmesh engine volume (no format record): %w",
			v.cfg.Root, backend.ErrCorrupt)
	case err != nil:
		return fmt.Errorf("engine: %s: read format record: %w: %w", v.cfg.Root, backend.ErrCorrupt, err)
	}
	defer closer.Close()
	if string(got) != formatVersion {
		return fmt.Errorf("engine: %s has format %q; this zmesh reads format %s: %w",
			v.cfg.Root, got, formatVersion, backend.ErrCorrupt)
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
			if err := v.db.LogData(nil, pebble.Sync); err != nil {
				v.log.Error("engine: sync the log", "root", v.cfg.Root, "err", err)
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
	if !v.cfg.ReadOnly {
		errs = append(errs, v.db.LogData(nil, pebble.Sync))
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
