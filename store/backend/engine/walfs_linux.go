package engine

import (
	"github.com/cockroachdb/pebble/v2/vfs"
	"golang.org/x/sys/unix"
)

// Preallocate allocates length bytes from offset and extends the file's
// size over them (they read as zeros).
func (f sizedFile) Preallocate(offset, length int64) error {
	fd := f.Fd()
	if fd == vfs.InvalidFd {
		return nil
	}
	return unix.Fallocate(int(fd), 0, offset, length)
}
