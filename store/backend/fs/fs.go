package fs

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	iofs "io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

const (
	filePerm = 0o600
	dirPerm  = 0o700
	// tempPrefix starts the names of files being written. No encoded
	// component starts with '.', so these never clash with entries.
	tempPrefix = ".tmp-"
	// lockName is the lock file at the storage root.
	lockName = ".lock"
	// keyLocks is the number of striped per-key locks.
	keyLocks = 1024
)

// Option configures Open.
type Option func(*options)

type options struct {
	readOnly      bool
	deleteOnClose bool
	logger        *slog.Logger
	// noSync skips every fsync. Only this package's tests set it, for
	// suites that check semantics rather than durability.
	noSync bool
}

// ReadOnly opens the storage read-only: Apply and Collect fail with
// backend.ErrReadOnly, nothing is created or cleaned, and the directory
// must exist. Several read-only stores may share a directory, but not with
// a writer.
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// DeleteOnClose removes, when the store is closed, what the store wrote
// (Zenoh's on_closure: delete_all): its entry files, temporary files of
// interrupted writes, the lock file, and the directories this leaves
// empty, the storage directory included. Files the store did not write
// stay, with the directories that hold them.
func DeleteOnClose() Option { return func(o *options) { o.deleteOnClose = true } }

// WithLogger sets where the store logs what it repairs or ignores (stale
// temporary files, foreign or corrupt files). Default: slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Store is a backend.Store keeping one file per key under a directory. Use
// Open. It is safe for concurrent use by many goroutines, but only one
// writable Store may have a directory open at a time (a lock file enforces
// it across processes).
type Store struct {
	dir  string
	opts options
	log  *slog.Logger
	root *os.Root // every file operation goes through it: nothing escapes dir
	lock *os.File // the locked lock file, nil if none

	// mu guards closed; ops counts operations in flight, so Close can wait
	// for them before closing root.
	mu      sync.Mutex
	closed  bool
	ops     sync.WaitGroup
	onClose func() // set by Volume; nil otherwise

	// keyLock[i] serialises Apply and Collect on the keys hashing to i, so
	// that reading the current timestamp and renaming over it is atomic.
	seed    maphash.Seed
	keyLock [keyLocks]sync.Mutex

	// dirMu is held shared by Apply from making sure its directory exists
	// until the rename into it, and exclusively by Collect while it removes
	// empty directories, so a directory is never removed under a writer.
	dirMu sync.RWMutex
	// durable holds the relative paths of directories known to exist with a
	// durable entry in their parent (created and parent fsync'd by this
	// store, or found and parent fsync'd once). A directory is added only
	// after all its ancestors, so the deepest one being there vouches for
	// the whole path. Entries are deleted under dirMu held exclusively.
	durable sync.Map
}

var _ backend.Store = (*Store)(nil)

// Open opens the storage in directory dir, creating it if needed (unless
// read-only). It takes the directory's lock (backend.ErrInUse if another
// writable store holds it), then removes temporary files left by writes
// that a crash interrupted, and empty directories.
func Open(dir string, opt ...Option) (*Store, error) {
	s := &Store{dir: dir, seed: maphash.MakeSeed()}
	for _, o := range opt {
		o(&s.opts)
	}
	s.log = s.opts.logger
	if s.log == nil {
		s.log = slog.Default()
	}
	if !s.opts.readOnly {
		if err := mkdirAllDurable(dir); err != nil {
			return nil, backend.Fail("fs: create "+dir, err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, backend.Fail("fs: open "+dir, err)
	}
	s.root = root
	if err := s.takeLock(); err != nil {
		root.Close()
		return nil, err
	}
	if !s.opts.readOnly {
		if err := s.recover(); err != nil {
			s.release()
			return nil, err
		}
	}
	return s, nil
}

// takeLock opens and locks the lock file: exclusively for a writer, shared
// for a reader (which skips locking if there is no lock file).
func (s *Store) takeLock() error {
	flag := os.O_RDWR | os.O_CREATE
	if s.opts.readOnly {
		flag = os.O_RDONLY
	}
	f, err := s.root.OpenFile(lockName, flag, filePerm)
	if s.opts.readOnly && errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return backend.Fail("fs: open lock file in "+s.dir, err)
	}
	if err := lockFile(f, !s.opts.readOnly); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return fmt.Errorf("fs: %s: %w", s.dir, backend.ErrInUse)
		}
		return backend.Fail("fs: lock "+s.dir, err)
	}
	s.lock = f
	return nil
}

func (s *Store) release() error {
	var errs []error
	if s.lock != nil {
		errs = append(errs, unlockFile(s.lock), s.lock.Close())
	}
	errs = append(errs, s.root.Close())
	return errors.Join(errs...)
}

// recover removes what interrupted writes left (temporary files) and
// empty directories, and logs files that are not entries. It runs before
// the store is shared, so it needs no locks.
func (s *Store) recover() error {
	var temps, foreign int
	var example string
	_, err := sweep(s.root, "", func(ent iofs.DirEntry, rel string) bool {
		switch {
		case isTemp(ent):
			temps++
			return true
		case rel == lockName, isEntry(ent, rel):
			return false
		}
		foreign++
		example = rel
		return false
	})
	if err != nil {
		return backend.Fail("fs: recover "+s.dir, err)
	}
	if temps > 0 {
		s.log.Info("fs: removed temporary files of interrupted writes", "dir", s.dir, "count", temps)
	}
	if foreign > 0 {
		s.log.Warn("fs: ignoring files that are not entries", "dir", s.dir, "count", foreign, "example", example)
	}
	return nil
}

// enter registers an operation in flight, or fails if the store is closed.
func (s *Store) enter(op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("fs: %s: %w", op, backend.ErrClosed)
	}
	s.ops.Add(1)
	return nil
}

func (s *Store) keyMutex(key string) *sync.Mutex {
	return &s.keyLock[maphash.String(s.seed, key)%keyLocks]
}

// Apply stores e unless the key holds an entry with a timestamp >= e's
// (see backend.Store). When it returns applied=true the entry's file and
// every directory on its path have been fsync'd.
func (s *Store) Apply(ctx context.Context, e backend.Entry) (bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return false, err
	}
	if err := backend.CheckEntry(e); err != nil {
		return false, fmt.Errorf("fs: apply: %w", err)
	}
	if err := s.enter("apply"); err != nil {
		return false, err
	}
	defer s.ops.Done()
	if s.opts.readOnly {
		return false, fmt.Errorf("fs: apply %q: %w", e.Key, backend.ErrReadOnly)
	}
	e = backend.Normalize(e)
	rel, err := entryPath(e.Key)
	if err != nil {
		return false, fmt.Errorf("fs: apply: %w", err)
	}

	mu := s.keyMutex(e.Key)
	mu.Lock()
	defer mu.Unlock()
	if stale, err := s.stale("apply", e.Key, rel, e.Timestamp); err != nil || stale {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.dirMu.RLock()
	defer s.dirMu.RUnlock()
	if err := s.write(ctx, rel, e); err != nil {
		return false, fmt.Errorf("fs: apply %q: %w", e.Key, err)
	}
	return true, nil
}

// stale reports whether the entry file rel of key holds an entry at least
// as new as ts, so that a write stamped ts must not replace it. A corrupt
// file is logged and counts as absent (the write replaces it). Called with
// the key's lock held.
func (s *Store) stale(op, key, rel string, ts hlc.Timestamp) (bool, error) {
	cur, ok, err := readHeader(s.root, rel)
	switch {
	case errors.Is(err, backend.ErrCorrupt):
		s.log.Warn("fs: overwriting a corrupt entry", "dir", s.dir, "key", key, "err", err)
	case err != nil:
		return false, backend.Fail(fmt.Sprintf("fs: %s %q: read current entry", op, key), err)
	case ok && cur.entry.Timestamp.Compare(ts) >= 0:
		return true, nil
	}
	return false, nil
}

// write makes e the content of rel: it writes a temporary file in the same
// directory, fsyncs it, renames it over rel and fsyncs the directory.
// Called with the key's lock and dirMu (shared) held.
func (s *Store) write(ctx context.Context, rel string, e backend.Entry) error {
	return s.writeFile(ctx, rel, func(f *os.File) error {
		hdr := appendHeader(make([]byte, 0, fixedLen+len(e.Encoding)+4), e)
		_, err := f.Write(hdr)
		if err == nil && len(e.Value) > 0 {
			_, err = f.Write(e.Value)
		}
		return backend.Fail("write", err)
	})
}

// writeFile makes what fill writes the content of rel: fill writes a new
// temporary file in the same directory, which is then fsync'd and renamed
// over rel, and the directory fsync'd. If fill fails, or ctx ends before
// the rename, the temporary file is removed and nothing changes. Called
// with the key's lock and dirMu (shared) held.
func (s *Store) writeFile(ctx context.Context, rel string, fill func(f *os.File) error) error {
	dir, name := split(rel)
	d, err := s.ensureDir(dir)
	if errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		// Someone removed directories behind our back: forget what we knew
		// and create them again.
		s.forgetDirs()
		d, err = s.ensureDir(dir)
	}
	if err != nil {
		return backend.Fail("create directory", err)
	}
	if d != s.root {
		defer d.Close()
	}
	tmp, f, err := createTemp(d)
	if err != nil {
		return backend.Fail("create temporary file", err)
	}
	committed := false
	defer func() {
		if !committed {
			d.Remove(tmp)
		}
	}()
	err = fill(f)
	if err == nil && !s.opts.noSync {
		err = backend.Fail("sync", f.Sync())
	}
	if cerr := f.Close(); err == nil {
		err = backend.Fail("close", cerr)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // last chance to give up: nothing is visible yet
	}
	if err := d.Rename(tmp, name); err != nil {
		return backend.Fail("rename", err)
	}
	committed = true
	return backend.Fail("sync directory", s.syncDir(d))
}

// ensureDir makes sure the directory rel exists with a durable entry in
// its parent, and returns it opened (s.root itself for "").
func (s *Store) ensureDir(rel string) (*os.Root, error) {
	if rel == "" {
		return s.root, nil
	}
	if _, ok := s.durable.Load(rel); ok {
		return s.root.OpenRoot(rel)
	}
	// Walk down one component at a time, so a deep path costs a constant
	// number of system calls per level.
	d := s.root
	for i := 0; ; {
		j := strings.IndexByte(rel[i:], '/')
		end := len(rel)
		if j >= 0 {
			end = i + j
		}
		name, sub := rel[i:end], rel[:end]
		if _, ok := s.durable.Load(sub); !ok {
			err := d.Mkdir(name, dirPerm)
			if err != nil && !errors.Is(err, iofs.ErrExist) {
				closeSub(s, d)
				return nil, err
			}
			// Whether we made it or found it (perhaps made by a writer that
			// has not synced yet), sync the parent so the link is durable.
			if err := s.syncDir(d); err != nil {
				closeSub(s, d)
				return nil, err
			}
		}
		next, err := d.OpenRoot(name)
		closeSub(s, d)
		if err != nil {
			return nil, err
		}
		s.durable.Store(sub, struct{}{})
		d = next
		if end == len(rel) {
			return d, nil
		}
		i = end + 1
	}
}

func closeSub(s *Store, d *os.Root) {
	if d != s.root {
		d.Close()
	}
}

func (s *Store) forgetDirs() {
	s.durable.Range(func(k, _ any) bool { s.durable.Delete(k); return true })
}

// createTemp creates a new temporary file in d.
func createTemp(d *os.Root) (string, *os.File, error) {
	for {
		name := fmt.Sprintf("%s%016x", tempPrefix, rand.Uint64())
		f, err := d.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, iofs.ErrExist) {
			continue
		}
		return name, f, err
	}
}

// Get returns the entry key holds (see backend.Store).
func (s *Store) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return backend.Entry{}, false, err
	}
	if err := backend.CheckKey(key); err != nil {
		return backend.Entry{}, false, fmt.Errorf("fs: get: %w", err)
	}
	if err := s.enter("get"); err != nil {
		return backend.Entry{}, false, err
	}
	defer s.ops.Done()
	rel, err := entryPath(key)
	if err != nil {
		return backend.Entry{}, false, fmt.Errorf("fs: get: %w", err)
	}
	e, ok, err := readEntry(s.root, rel)
	if err != nil {
		return backend.Entry{}, false, backend.Fail(fmt.Sprintf("fs: get %q", key), err)
	}
	e.Key = key
	return e, ok, nil
}

// Scan calls fn for each entry whose key starts with prefix (see
// backend.Store). It lists only the directory holding the prefix's complete
// chunks, and there only the names matching its last, partial chunk. Files
// that cannot be read or decoded are logged and skipped, so that one bad
// file does not make a storage unqueryable.
func (s *Store) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	if err := backend.CheckContext(ctx); err != nil {
		return err
	}
	if err := s.enter("scan"); err != nil {
		return err
	}
	defer s.ops.Done()
	err := s.walk(ctx, prefix, func(d *os.Root, name, rel, key string) error {
		var e backend.Entry
		var ok bool
		var err error
		if mode == backend.ScanValues {
			e, ok, err = readEntry(d, name)
		} else {
			var h header
			h, ok, err = readHeader(d, name)
			e = h.entry
		}
		if err != nil {
			s.log.Warn("fs: scan: skipping unreadable entry", "dir", s.dir, "key", key, "err", err)
			return nil
		}
		if !ok {
			return nil // collected since listed
		}
		e.Key = key
		return fn(e)
	})
	if errors.Is(err, backend.ErrStopScan) {
		return nil
	}
	return err
}

// walk calls visit for each entry file whose key starts with prefix, with
// the directory holding it (open), its name, its path and its key. An
// error from visit stops the walk and is returned as is.
//
// It descends depth first, opening each subdirectory relative to its open
// parent, so a directory costs a constant number of system calls whatever
// its depth, and at most maxDepth directories are open at once.
func (s *Store) walk(ctx context.Context, prefix string, visit func(d *os.Root, name, rel, key string) error) error {
	start, first := scanStart(prefix)
	d := s.root
	if start != "" {
		var err error
		d, err = s.root.OpenRoot(start)
		if errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil // no such keys
		}
		if err != nil {
			return backend.Fail("fs: scan "+start, err)
		}
		defer d.Close()
	}
	return s.walkDir(ctx, d, start, prefix, first, true, visit)
}

// walkDir visits the entry files in d (at rel) and, recursively, in its
// subdirectories. In the directory the walk starts from (top), only the
// names starting with first are followed.
func (s *Store) walkDir(ctx context.Context, d *os.Root, rel, prefix, first string, top bool,
	visit func(d *os.Root, name, rel, key string) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ents, err := readDir(d)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil // removed since we opened it
	}
	if err != nil {
		return backend.Fail("fs: scan "+rel, err)
	}
	for _, ent := range ents {
		name := ent.Name()
		if name[0] == '.' {
			continue // temporary files, the lock file, foreign hidden files
		}
		if top && (name[0] == '+' || !strings.HasPrefix(name, first)) {
			// A continuation of the start directory's last chunk belongs
			// to a longer chunk, so to keys outside the prefix.
			continue
		}
		childRel := join(rel, name)
		switch {
		case ent.IsDir():
			if strings.Count(childRel, "/") >= maxDepth {
				continue // no entry lies this deep
			}
			sub, err := d.OpenRoot(name)
			if errors.Is(err, iofs.ErrNotExist) {
				continue // pruned since listed
			}
			if err != nil {
				return backend.Fail("fs: scan "+childRel, err)
			}
			err = s.walkDir(ctx, sub, childRel, prefix, "", false, visit)
			sub.Close()
			if err != nil {
				return err
			}
		case ent.Type().IsRegular() && strings.HasSuffix(name, "~"):
			key, err := pathKey(childRel)
			if err != nil || !strings.HasPrefix(key, prefix) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := visit(d, name, childRel, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// Collect removes the tombstones whose physical time is before olderThan
// (see backend.Store), then the directories this leaves empty. Removals are
// not fsync'd: a collected tombstone that reappears after a crash is
// collected again.
func (s *Store) Collect(ctx context.Context, olderThan time.Time) (int, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return 0, err
	}
	if err := s.enter("collect"); err != nil {
		return 0, err
	}
	defer s.ops.Done()
	if s.opts.readOnly {
		return 0, fmt.Errorf("fs: collect: %w", backend.ErrReadOnly)
	}
	cut := olderThan.UnixNano()
	removed := 0
	emptied := map[string]bool{}
	err := s.walk(ctx, "", func(d *os.Root, name, rel, key string) error {
		h, ok, err := readHeader(d, name)
		if err != nil || !ok || !h.entry.Deleted || h.entry.Timestamp.Time >= cut {
			return nil
		}
		mu := s.keyMutex(key)
		mu.Lock()
		defer mu.Unlock()
		// Remove it only if it is still the same tombstone.
		again, ok, err := readHeader(d, name)
		if err != nil || !ok || !again.entry.Deleted || again.entry.Timestamp != h.entry.Timestamp {
			return nil
		}
		if err := d.Remove(name); err != nil {
			if errors.Is(err, iofs.ErrNotExist) {
				return nil
			}
			return backend.Fail(fmt.Sprintf("fs: collect %q", key), err)
		}
		removed++
		dir, _ := split(rel)
		emptied[dir] = true
		return nil
	})
	if len(emptied) > 0 {
		s.pruneDirs(emptied)
	}
	return removed, err
}

// pruneDirs removes the directories in dirs, and their ancestors, that are
// empty.
func (s *Store) pruneDirs(dirs map[string]bool) {
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	for dir := range dirs {
		for p := dir; p != ""; p, _ = split(p) {
			// Remove fails on a directory that is not empty: that is the
			// check.
			if s.root.Remove(p) != nil {
				break
			}
			s.durable.Delete(p)
		}
	}
}

// Close waits for the operations in flight, then releases the directory
// (and deletes what the store wrote in it if opened with DeleteOnClose).
// It is idempotent.
func (s *Store) Close(ctx context.Context) error {
	if ctx == nil {
		return backend.ErrNilContext
	}
	s.mu.Lock()
	wasClosed := s.closed
	s.closed = true
	s.mu.Unlock()
	if wasClosed {
		return nil
	}
	s.ops.Wait()
	var err error
	if s.opts.deleteOnClose {
		kept, example, rerr := s.removeOwn()
		err = rerr
		if kept > 0 {
			s.log.Info("fs: delete_all kept files the store did not write", "dir", s.dir, "count", kept, "example", example)
		}
	}
	err = errors.Join(err, s.release())
	if s.opts.deleteOnClose && err == nil {
		err = s.removeDir()
	}
	if s.onClose != nil {
		s.onClose()
	}
	return backend.Fail("fs: close "+s.dir, err)
}

// readHeader reads the header of the entry file name in d. A missing file
// gives ok=false.
func readHeader(d *os.Root, name string) (header, bool, error) {
	f, err := d.Open(name)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return header{}, false, nil
		}
		return header{}, false, err
	}
	defer f.Close()
	buf := headerBufs.Get().(*[maxHeaderLen]byte)
	defer headerBufs.Put(buf)
	n, err := io.ReadFull(f, buf[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return header{}, false, err
	}
	h, need, err := decodeHeader(buf[:n])
	if err != nil {
		return header{}, false, err
	}
	if need > 0 {
		return header{}, false, fmt.Errorf("%w: file of %d bytes, shorter than its header", backend.ErrCorrupt, n)
	}
	return h, true, nil
}

var headerBufs = sync.Pool{New: func() any { return new([maxHeaderLen]byte) }}

// readEntry reads and decodes the whole entry file name in d. A missing
// file gives ok=false.
func readEntry(d *os.Root, name string) (backend.Entry, bool, error) {
	f, err := d.Open(name)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return backend.Entry{}, false, nil
		}
		return backend.Entry{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return backend.Entry{}, false, err
	}
	if !fi.Mode().IsRegular() {
		return backend.Entry{}, false, fmt.Errorf("%w: %s is not a regular file", backend.ErrCorrupt, name)
	}
	// The file never changes once renamed into place, so its size is
	// final; read one byte more to notice if it was not.
	b := make([]byte, fi.Size()+1)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return backend.Entry{}, false, err
	}
	if n != len(b)-1 {
		return backend.Entry{}, false, fmt.Errorf("%w: file of %d bytes changed size while read", backend.ErrCorrupt, fi.Size())
	}
	e, err := decodeFile(b[:n])
	if err != nil {
		return backend.Entry{}, false, err
	}
	return e, true, nil
}

// readDir lists d.
func readDir(d *os.Root) ([]iofs.DirEntry, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// syncDir fsyncs the directory d, making its entries durable.
func (s *Store) syncDir(d *os.Root) error {
	if s.opts.noSync {
		return nil
	}
	f, err := d.Open(".")
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// mkdirAllDurable creates dir and its missing parents, fsyncing the parent
// of each directory it creates.
func mkdirAllDurable(dir string) error {
	dir = filepath.Clean(dir)
	var missing []string
	for p := dir; ; {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s: %w", p, syscall.ENOTDIR)
			}
			break
		}
		if !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
		missing = append(missing, p)
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	for i := len(missing) - 1; i >= 0; i-- {
		p := missing[i]
		if err := os.Mkdir(p, dirPerm); err != nil && !errors.Is(err, iofs.ErrExist) {
			return err
		}
		f, err := os.Open(filepath.Dir(p))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// split splits a relative path at its last "/": ("a/b", "c~") for "a/b/c~",
// ("", "c~") for "c~".
func split(rel string) (dir, name string) {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return "", rel
	}
	return rel[:i], rel[i+1:]
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
