package server

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
)

// ErrForbidden: a runtime change is not allowed, as a volume added at run
// time whose files would lie outside Options.VolumeRoot. The HTTP admin API
// answers it with 403.
var ErrForbidden = errors.New("store: forbidden")

// checkVolumeRoot refuses a volume added at run time (AddVolume, and so the
// HTTP admin API, which whoever holds the admin token drives) whose files
// would lie outside the volume root: it could otherwise point an fs volume
// at any directory the server may write, and delete_all its files (an fs
// or engine volume). Volumes
// that keep no local files (memory, s3) are not concerned.
func (s *Server) checkVolumeRoot(cfg VolumeConfig) error {
	dir, ok := localDir(cfg)
	if !ok {
		return nil
	}
	root := s.opts.VolumeRoot
	if root == "" {
		return fmt.Errorf("%w: volume %q: %s volumes cannot be added at run time: the server has no volume root "+
			"(admin.volume_root in YAML, --admin-volume-root)", ErrForbidden, cfg.Name, cfg.Kind)
	}
	if !within(root, dir) {
		return fmt.Errorf("%w: volume %q: root %q is outside the volume root %q (admin.volume_root)",
			ErrForbidden, cfg.Name, dir, root)
	}
	return nil
}

// localDir returns the directory a volume keeps its files in, if it keeps
// them on the server's file system: the option root, which every kind with
// local files takes (fs, and any kind added later that follows it), whatever
// its other options. A root that is not text gives false: the backend
// refuses it anyway, and its error says more.
func localDir(cfg VolumeConfig) (string, bool) {
	dir, ok := cfg.Options["root"].(string)
	return dir, ok && dir != ""
}

// within reports whether dir is root or lies under it, once both are made
// absolute and the symbolic links of their existing parts resolved (so a
// link under root cannot lead out of it). An empty dir is not within.
func within(root, dir string) bool {
	if dir == "" {
		return false
	}
	r, err1 := resolve(root)
	d, err2 := resolve(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(r, d)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// resolve makes p absolute and resolves the symbolic links of its longest
// existing prefix; the rest, not created yet, is joined as is.
func resolve(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for {
		r, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, iofs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(p, rest), nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}
