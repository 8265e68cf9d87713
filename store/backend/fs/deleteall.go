package fs

import (
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
)

// removeOwn is on_closure: delete_all. It removes what the store wrote and
// nothing else: its entry files (named by the key encoding, ending in '~'),
// temporary files of interrupted writes, then every directory this leaves
// empty. A file that is not the store's (the same files recover reports as
// foreign: other names, hidden files, anything not regular) stays, and so
// do the directories holding it. The lock file and the storage directory
// itself go in removeDir, once the lock is released. It runs after the
// operations in flight have ended, with the root still open.
func (s *Store) removeOwn() (kept int, example string, err error) {
	var visit func(d *os.Root, rel string) (empty bool, err error)
	visit = func(d *os.Root, rel string) (bool, error) {
		ents, err := readDir(d)
		if err != nil {
			return false, err
		}
		left := len(ents)
		for _, ent := range ents {
			name := ent.Name()
			childRel := join(rel, name)
			own := false
			switch {
			case rel == "" && name == lockName:
				// removeDir's, after unlocking; not counted as kept (and
				// whether the top directory goes is removeDir's to judge).
				continue
			case ent.Type().IsRegular() && strings.HasPrefix(name, tempPrefix):
				own = true
			case ent.Type().IsRegular() && strings.HasSuffix(name, "~") && name[0] != '.':
				_, perr := pathKey(childRel)
				own = perr == nil
			case ent.IsDir() && name[0] != '.' && strings.Count(childRel, "/") < maxDepth:
				sub, err := d.OpenRoot(name)
				if err != nil {
					return false, err
				}
				empty, err := visit(sub, childRel)
				sub.Close()
				if err != nil {
					return false, err
				}
				if !empty {
					continue // it holds what it kept, counted there
				}
				// Left empty: it held only the store's entries (or
				// nothing), a key directory the store made.
				own = true
			}
			if !own {
				kept++
				example = childRel
				continue
			}
			if err := d.Remove(name); err != nil && !errors.Is(err, iofs.ErrNotExist) {
				return false, err
			}
			left--
		}
		return left == 0, nil
	}
	_, err = visit(s.root, "")
	return kept, example, err
}

// removeDir removes the lock file and then the storage directory, if
// removeOwn left it empty; a directory still holding foreign files stays.
func (s *Store) removeDir() error {
	if err := os.Remove(filepath.Join(s.dir, lockName)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return err
	}
	if err := os.Remove(s.dir); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		if ents, rerr := os.ReadDir(s.dir); rerr == nil && len(ents) > 0 {
			return nil // foreign files remain: the directory is theirs too
		}
		return err
	}
	return nil
}
