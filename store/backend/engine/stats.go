package engine

import (
	"math"

	dto "github.com/prometheus/client_model/go"
)

// Stats are figures of a volume's engine, for metrics and for tuning.
type Stats struct {
	// WALSyncs counts the fsyncs of the write-ahead log since the volume
	// opened; with sync: always and many concurrent puts it is far below
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
		WALBytes:    m.WAL.BytesWritten,
		Flushes:     m.Flush.Count,
		Compactions: m.Compact.Count,
		DiskBytes:   m.DiskSpaceUsage(),
	}
	if h := m.LogWriter.FsyncLatency; h != nil {
		var out dto.Metric
		if h.Write(&out) == nil {
			st.WALSyncs = out.GetHistogram().GetSampleCount()
		}
	}
	if free := v.spaceFree.Load(); free != math.MaxUint64 {
		st.FreeBytes = free
	}
	return st
}
