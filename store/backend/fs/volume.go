package fs

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/zmesh/zmesh/store/backend"
)

// Kind is the volume kind under which this package registers itself.
const Kind = "fs"

func init() {
	backend.Register(Kind, func(ctx context.Context, opts backend.Options) (backend.Volume, error) {
		if err := opts.Check("root"); err != nil {
			return nil, err
		}
		root, err := opts.String("root", "")
		if err != nil {
			return nil, err
		}
		if root == "" {
			return nil, fmt.Errorf("%w: option \"root\" (the volume's directory) is required", backend.ErrInvalidConfig)
		}
		return NewVolume(root), nil
	})
}

// Volume is the fs volume: a root directory holding one directory per
// storage.
//
// Volume options (YAML): root, the directory (required).
//
// Storage options: dir, the storage's directory relative to root (default:
// the storage's name; it may have several components, none of them "..",
// empty or starting with "."); on_closure, do_nothing (default) or
// delete_all (when it is closed, remove what the store wrote in its
// directory, and the directory if that leaves it empty; see DeleteOnClose).
// Two open storages may not share a directory or nest one inside the
// other.
type Volume struct {
	root  string
	extra []Option // added to every Open; set by this package's tests

	mu     sync.Mutex
	open   map[string]*Store // by cleaned dir; nil once closed
	closed bool
}

var _ backend.Volume = (*Volume)(nil)

// NewVolume returns a volume rooted at the directory root, which is created
// when the first storage is opened.
func NewVolume(root string) *Volume {
	return &Volume{root: root, open: make(map[string]*Store)}
}

// Open opens the store of the storage called name (see Volume for its
// options).
func (v *Volume) Open(ctx context.Context, name string, cfg backend.StorageConfig) (backend.Store, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return nil, err
	}
	bad := func(err error) error { return fmt.Errorf("fs: storage %q: %w", name, err) }
	if err := cfg.Options.Check("dir", "on_closure"); err != nil {
		return nil, bad(err)
	}
	dir, err := cfg.Options.String("dir", name)
	if err != nil {
		return nil, bad(err)
	}
	if err := checkDir(dir); err != nil {
		return nil, bad(err)
	}
	onClosure, err := cfg.Options.String("on_closure", "do_nothing")
	if err != nil {
		return nil, bad(err)
	}
	opts := append([]Option(nil), v.extra...)
	switch onClosure {
	case "do_nothing":
	case "delete_all":
		opts = append(opts, DeleteOnClose())
	default:
		return nil, bad(fmt.Errorf("%w: on_closure %q: want do_nothing or delete_all", backend.ErrInvalidConfig, onClosure))
	}
	if cfg.ReadOnly {
		opts = append(opts, ReadOnly())
	}
	dir = filepath.ToSlash(filepath.Clean(dir))

	// Reserve dir (nil entry) while opening, which may take a while (the
	// recovery walk), so other storages can open meanwhile.
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil, bad(backend.ErrClosed)
	}
	for other := range v.open {
		if nested(dir, other) {
			v.mu.Unlock()
			return nil, bad(fmt.Errorf("%w: directory %q overlaps the open storage directory %q", backend.ErrInUse, dir, other))
		}
	}
	v.open[dir] = nil
	v.mu.Unlock()

	s, err := Open(filepath.Join(v.root, filepath.FromSlash(dir)), opts...)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		delete(v.open, dir)
		return nil, bad(err)
	}
	if v.closed { // closed while we were opening
		delete(v.open, dir)
		s.Close(ctx)
		return nil, bad(backend.ErrClosed)
	}
	s.onClose = func() {
		v.mu.Lock()
		delete(v.open, dir)
		v.mu.Unlock()
	}
	v.open[dir] = s
	return s, nil
}

// checkDir refuses storage directories that could escape the volume's root,
// and hidden components, which a store's own walks ignore.
func checkDir(dir string) error {
	if !filepath.IsLocal(dir) {
		return fmt.Errorf("%w: dir %q must be a relative path inside the volume's root", backend.ErrInvalidConfig, dir)
	}
	for _, c := range strings.Split(filepath.ToSlash(filepath.Clean(dir)), "/") {
		if strings.HasPrefix(c, ".") {
			return fmt.Errorf("%w: dir %q: component %q starts with '.'", backend.ErrInvalidConfig, dir, c)
		}
	}
	return nil
}

// nested reports whether a and b (clean, slash-separated) are the same
// directory or one contains the other.
func nested(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// Close closes every store still open. It is idempotent.
func (v *Volume) Close(ctx context.Context) error {
	stores, ok, err := backend.Closing(ctx, &v.mu, &v.closed, v.open)
	if !ok {
		return err
	}
	// A nil store is being opened; Open sees closed and closes it.
	stores = slices.DeleteFunc(stores, func(s *Store) bool { return s == nil })
	if err := backend.CloseAll(ctx, stores); err != nil {
		return fmt.Errorf("fs: close volume %s: %w", v.root, err)
	}
	return nil
}
