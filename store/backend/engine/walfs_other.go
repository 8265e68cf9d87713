//go:build !linux

package engine

// Preallocate is Pebble's own elsewhere than on Linux.
func (f sizedFile) Preallocate(offset, length int64) error {
	return f.File.Preallocate(offset, length)
}
