package engine

import (
	"fmt"
	"math"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zmesh/zmesh/store/backend"
)

// DefaultMinFreeSpace is the free space under which Apply refuses writes
// when min_free_space is not set.
const DefaultMinFreeSpace = 128 << 20

// spaceCheckEvery is how often Apply looks at the file system's free
// space; an entry larger than bigEntry makes it look at once.
const (
	spaceCheckEvery = 10 * time.Millisecond
	bigEntry        = 1 << 20
)

// readSpace reads the free space into spaceFree. NewVolume calls it
// first, so spaceFree always holds a reading.
func (v *Volume) readSpace() {
	du, err := vfs.Default.GetDiskUsage(v.cfg.Root)
	if err != nil {
		// Unknown: do not refuse writes for it.
		v.log.Warn("engine: cannot read the free space", "root", v.cfg.Root, "err", err)
		v.spaceFree.Store(math.MaxUint64)
		return
	}
	v.spaceFree.Store(du.AvailBytes)
}

// checkSpace refuses a write of size bytes while the engine's file system
// has less than the volume's minimum free space. A journal write that
// fails leaves what reached the disk unknown (the volume then refuses
// writes until it is reopened), so the volume stops writing before: puts
// fail with a clear error, gets and queries go on, and writes resume once
// space is freed.
func (v *Volume) checkSpace(size int) error {
	if v.cfg.MinFreeSpace < 0 {
		return nil
	}
	now := time.Now().UnixNano()
	last := v.spaceAt.Load()
	if (now-last >= int64(spaceCheckEvery) || size > bigEntry) && v.spaceAt.CompareAndSwap(last, now) {
		v.readSpace()
	}
	if free := v.spaceFree.Load(); free < uint64(v.cfg.MinFreeSpace)+uint64(size) && free != math.MaxUint64 {
		return fmt.Errorf("%w: %s: %d bytes free, less than min_free_space (%d bytes): writes are refused until space is freed: %w",
			backend.ErrBackend, v.cfg.Root, free, v.cfg.MinFreeSpace, syscall.ENOSPC)
	}
	return nil
}
