package engine

import (
	"math"
	"os"
	"path/filepath"
)

// Stats are figures of a volume's engine, for metrics and for tuning.
type Stats struct {
	// WALSyncs counts the syncs of the write-ahead log (the engine's
	// journal) since the volume opened; with sync: always and many concurrent puts it is far below
	// the number of puts (they share syncs).
	WALSyncs uint64
	// WALBytes counts the bytes written to the log since the volume opened.
	WALBytes uint64
	// Flushes and Compactions count the memtable flushes and the
	// compactions since the volume opened.
	Flushes, Compactions int64
	// DiskBytes is the space the engine's files take.
	DiskBytes uint64
	// FreeBytes is the file system's free space as last read by the
	// min_free_space check (0 if never read or unknown).
	FreeBytes uint64
}

// Stats returns the engine's current figures.
func (v *Volume) Stats() Stats {
	m := v.db.Metrics()
	st := Stats{
		Flushes:     m.Flush.Count,
		Compactions: m.Compact.Count,
		DiskBytes:   m.DiskSpaceUsage() + v.journalBytes(),
	}
	if v.jr != nil {
		st.WALSyncs, st.WALBytes = v.jr.syncs.Load(), v.jr.bytes.Load()
	}
	if free := v.spaceFree.Load(); free != math.MaxUint64 {
		st.FreeBytes = free
	}
	return st
}

// journalBytes is the space the journal's segments take (allocated at
// their full size when made).
func (v *Volume) journalBytes() uint64 {
	nums, _ := listSegments(v.journalDir())
	var n uint64
	for _, num := range nums {
		if fi, err := os.Stat(filepath.Join(v.journalDir(), segmentName(num))); err == nil {
			n += uint64(fi.Size())
		}
	}
	return n
}
