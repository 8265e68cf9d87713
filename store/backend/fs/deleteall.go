package fs

import (
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
)

// removeOwn is on_closure: delete_all. It removes what the store wrote and
// nothing else: its entry files (named by the key encoding), temporary
// files of interrupted writes, then every directory this leaves empty. A
// file that is not the store's (the same files recover reports as foreign:
// other names, hidden files, anything not regular) stays, and so do the
// directories holding it. (A directory that was empty to begin with goes
// too: nothing tells the store's empty directories from others.) The lock file and the storage directory
// itself go in removeDir, once the lock is released. It runs after the
// operations in flight have ended, with the root still open.
func (s *Store) removeOwn() (kept int, example string, err error) {
	_, err = sweep(s.root, "", func(ent iofs.DirEntry, rel string) bool {
		switch {
		case rel == lockName:
			// removeDir's, after unlocking; not counted as kept (and
			// whether the top directory goes is removeDir's to judge).
			return false
		case isTemp(ent), isEntry(ent, rel):
			return true
		}
		kept++
		example = rel
		return false
	})
	return kept, example, err
}

// sweep visits what lies under d (at rel, "" for the store's directory),
// depth first, removes the files drop says to, then every directory this
// leaves empty. It enters no hidden directory and none deeper than maxDepth
// (no entry lies there): drop sees those as it sees files, with their path
// relative to the store's directory. It reports whether d was left empty.
// recover and removeOwn differ only in what they drop.
func sweep(d *os.Root, rel string, drop func(ent iofs.DirEntry, rel string) bool) (empty bool, err error) {
	ents, err := readDir(d)
	if err != nil {
		return false, err
	}
	left := len(ents)
	for _, ent := range ents {
		name := ent.Name()
		childRel := join(rel, name)
		if ent.IsDir() && name[0] != '.' && strings.Count(childRel, "/") < maxDepth {
			sub, err := d.OpenRoot(name)
			if err != nil {
				return false, err
			}
			empty, err := sweep(sub, childRel, drop)
			sub.Close()
			if err != nil {
				return false, err
			}
			if empty && d.Remove(name) == nil {
				left--
			}
			continue
		}
		if drop(ent, childRel) {
			if err := d.Remove(name); err != nil && !errors.Is(err, iofs.ErrNotExist) {
				return false, err
			}
			left--
		}
	}
	return left == 0, nil
}

// isTemp reports a temporary file of a write (finished, or interrupted by
// a crash).
func isTemp(ent iofs.DirEntry) bool {
	return ent.Type().IsRegular() && strings.HasPrefix(ent.Name(), tempPrefix)
}

// isEntry reports an entry file: a regular file, not hidden, whose path
// decodes to a key.
func isEntry(ent iofs.DirEntry, rel string) bool {
	if !ent.Type().IsRegular() || ent.Name()[0] == '.' {
		return false
	}
	_, err := pathKey(rel)
	return err == nil
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
