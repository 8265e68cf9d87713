// Package hlc implements the hybrid logical clock that orders writes in the
// zmesh storage layer.
//
// A Timestamp is a physical time (Unix nanoseconds), a logical counter and
// the ID of the clock that issued it. Timestamps are totally ordered by
// Compare: time first, then counter, then the source ID bytes, so two
// servers can never issue equal timestamps and "last writer wins" is well
// defined for every pair of writes.
//
// A Clock issues timestamps with Now. Successive timestamps from one Clock
// are strictly increasing even if the wall clock steps backwards: when the
// wall clock has not moved past the last issued time, the counter is
// incremented instead. Update merges a timestamp received from another
// clock, so the next local timestamp is greater than it (causality); a
// timestamp too far in the local clock's future (more than the maximum
// drift, 500 ms by default as in Zenoh) is refused with ErrDrift, because
// accepting it would drag this clock ahead of real time.
//
// Timestamps have two encodings: a fixed 28-byte binary form
// (AppendBinary, DecodeTimestamp) used by the storage protocol and the
// backends' metadata, and a readable, lossless text form
// ("2026-11-21T23:50:30.123456789Z/3/<32 hex digits>", String and
// ParseTimestamp).
package hlc
