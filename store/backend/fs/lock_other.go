//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package fs

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

// lockFile does nothing where flock is not available: the caller must not
// open a directory from two stores at once.
func lockFile(*os.File, bool) error { return nil }

func unlockFile(*os.File) error { return nil }
