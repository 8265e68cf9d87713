// Package engine is the volume kind "engine": every storage of a volume
// kept in one embedded Pebble database (github.com/cockroachdb/pebble/v2,
// CockroachDB's LSM engine) in the volume's root directory. It is the
// durable volume for many keys and many writes; the kind "fs" stays the
// browsable one-file-per-key layout.
//
// # Why Pebble
//
// Measured on zmesh's workload before choosing (compare_bench_test.go:
// the raw engines, 64-byte values, 2-core development machine shared
// with other benchmarks, so the figures are ranges over runs):
//
//	                                     Pebble                      bbolt (DB.Batch)
//	durable puts, 1 goroutine            2 550-2 770/s, 2 allocs     90/s, 60 allocs
//	durable puts, 64 goroutines          72 000-75 400/s, 2 allocs   5 500-5 580/s, 9 allocs
//	gets among 1M keys, 64 goroutines    35 000-61 000/s, 3 allocs   48 000-251 000/s, 12 allocs
//	scan of 1 000 keys of 1M by prefix   0.2-1.0 ms, 5 allocs        0.04-0.18 ms, 14 allocs
//
// Through this package's Store (bench_test.go), with its key locks and
// entry encoding: 2 800 synced Apply/s from one goroutine, 51 500/s from
// 64 (the fs volume: about 1 150/s sequentially), gets in 1.4 µs, 100 keys
// under a prefix among 10 000 in 27 µs.
//
// Durable puts are what the fs volume is slowest at (issue 18), and there
// Pebble is 14 to 30 times faster: a synced write appends one record to
// the write-ahead log, and writers committing at the same time share one
// fsync, while bbolt's Batch commits a copy-on-write B+tree transaction
// with two fsyncs (pages, then meta page) and bounds how many writers it
// groups. bbolt reads faster (a memory-mapped B+tree, no levels to
// merge), but Pebble's reads are well within the targets (a prefix scan of
// 1 000 keys in about a millisecond), and reads do not need an fsync, so
// the server's other costs dominate them.
//
// # Layout
//
// One Pebble database per volume, in its root; each storage has a
// namespace (its name, or its option namespace) and its entries are the
// database keys
//
//	'd' | uvarint(len(namespace)) | namespace | key
//
// so the prefixes of two namespaces are never prefixes of one another, and
// a storage's keys, and the keys under any prefix of it, are one range of
// the database. One database rather than one per storage: writes of every
// storage share the log's syncs, one block cache and one set of
// compactions serve them all, and opening a storage costs nothing. The
// key "\x00zmesh-engine-format" holds the layout's version, "2" (the
// journal, in the root's directory "journal", logs the writes). Version
// "1", with Pebble's own log, is read and turned into "2" by a read-write
// open: Pebble replays its log as it opens, the engine flushes it.
//
// An entry's value is: a flags byte (bit 0: tombstone), the hlc timestamp
// (hlc.EncodedLen bytes, big-endian), the encoding's length as a uvarint,
// the encoding, then the value. Pebble checksums its log records and table
// blocks; an entry has no checksum of its own.
//
// # Semantics
//
// As every backend (see package backend): Apply compares the key's
// current timestamp and writes under the key's lock (striped, 1024 per
// store), so the compare and the write are atomic per key. Each lock
// stripe remembers the timestamps of up to 32 keys (of at most 87 bytes,
// in 8 sets of 4 slots holding the key itself) it saw written or read
// with inline entries, updated or forgotten by every write and removal
// under the lock, so overwriting a recently written key skips reading the
// engine (a memtable search; without it a put took 10% more CPU under 64
// concurrent callers); a tombstone is
// an entry like a value, kept until Collect; the storage server's wildcard
// deletes arrive as one tombstone per key and are stored so. Collect
// re-reads each old tombstone under its key's lock before deleting it, and
// syncs the log once at the end (a collection lost in a crash is redone by
// the next one). Scan iterates the range of the prefix on a consistent
// view of the database, in key order, holding no lock while its callback
// runs; a prefix scan reads only that range, whatever the size of the
// rest.
//
// Durability: every write is a Pebble batch whose record is appended to
// the engine's own write-ahead log, the journal (journal.go: format,
// group commit, checkpoints, replay), before it is committed to Pebble,
// which runs with its own log disabled. With sync: always (the default)
// Apply returns applied only once its record is synced; concurrent Apply
// calls, from every storage of the volume, share the syncs. With sync:
// window Apply returns once the record is in the journal's buffer, which
// a goroutine writes and syncs every sync_window (default 100ms): a
// crash, of the process as well as of the machine, may lose the writes of
// the last window (even kill -9 loses them; run with sync: window, the
// kill -9 test fails). The kill -9 test (crash_test.go) kills a writer of
// eight goroutines four times and checks every acknowledged put and
// delete; journal_test.go replays crashes, cut and damaged segments.
//
// What a synced put costs: one pwrite(2) of the pending records and one
// fdatasync(2), done by the writer that finds no sync running (the others
// wait for it, then one of them syncs what was appended meanwhile). The
// fdatasync is the price: after an append that grows the file it must
// also write the inode's size, so segments are made at their full size,
// leaving data alone to write, and ahead of need written with zeros, so
// that a sync does not turn allocated blocks into written ones either
// (fdatasync after a 3 300-byte append, what 24 concurrent puts make:
// medians 258-265 µs growing the file, 197-207 µs into allocated blocks,
// 138-142 µs into zeros written before, on the development machine's
// ext4); a Redis AOF, appended to, pays the first. 64 callers on one
// client through the server, alternating, same minute: 60 700-61 700
// puts/s with Pebble's log, 64 900-66 600 with the journal. Through Pebble's own log a synced
// Set took 175-192 µs from one goroutine, against 98-130 µs for the same
// write with the journal's write and sync (the hand-offs to Pebble's log
// writer goroutine and back); BenchmarkApply, same run, alternating:
// 144-155 µs per synced put with Pebble's log, 122-136 µs with the
// journal. Under 64 concurrent callers what is left is CPU: the memtable
// insert (a skiplist search, hence 8 MiB memtables), and the waking of
// the goroutines each sync answers.
//
// on_closure: delete_all removes, when the store closes, the range of its
// namespace (one range deletion, synced): exactly what the store wrote.
// The database directory stays.
//
// Volume.Stats gives the figures metrics want: log syncs (320 synced
// puts from 16 goroutines took 42 in TestStats), bytes written to the
// log, flushes, compactions, bytes on disk, free space.
//
// # Damage
//
// NewVolume refuses, with an error matching backend.ErrCorrupt that says
// what is wrong and without changing anything: a directory holding files
// but no engine (an fs volume's directory, say), an engine whose manifest
// marker or manifest is missing, a table file listed by the manifest but
// missing, a database without zmesh's format record, a format this version
// does not read, a journal segment damaged before its last record (a
// checksum that fails, a foreign file in the journal's directory). A
// second open of the same root, in this process or another, is refused
// with backend.ErrInUse (Pebble's LOCK file). The last segment cut short
// is read up to the cut, as after a crash in the middle of a write: the
// two cannot be told apart, so records after the cut are lost without an
// error (TestJournalCutShort). A read-only open of a volume that was not
// closed cleanly is refused with backend.ErrReadOnly: its journal's
// writes cannot be replayed into a read-only engine; one read-write open
// replays them.
//
// A full disk: a failed journal write or sync leaves what reached the
// disk unknown, so the journal then refuses every write until the volume
// is reopened (Pebble's own log stopped the process). So Apply looks at the file system's free space (every
// 10ms, and before any entry over 1 MiB) and refuses writes, with an error
// matching backend.ErrBackend and syscall.ENOSPC, while less than
// min_free_space is free (default 128 MiB: room for the log, a memtable
// flush and a compaction). Gets and scans go on; writes resume once space
// is freed. On the same tmpfs with min_free_space 1 MiB, puts were
// refused at 0.9 MiB free and the store stayed up (TestFullDisk checks
// the refusal).
//
// # Options
//
// Volume (YAML): root (required); sync: always or window; sync_window, a
// duration between 1ms and 1m (only with sync: window); cache_size, the
// block cache in bytes (default 64 MiB); min_free_space, bytes (default
// 128 MiB, 0: no check). Memtables are 8 MiB (up to four), tables have
// Bloom filters, the journal's 32 MiB segments are made ahead, written
// with zeros, and compactions run at most GOMAXPROCS/2 at a time
// (one on a 2-core machine), so that serving keeps a core. Storage:
// namespace, on_closure (do_nothing or delete_all).
//
// Pebble's value separation (values kept in blob files that compactions
// do not rewrite) is off, though it made synced puts of 4 KiB values
// from 64 callers 18-28% faster (13 700-15 500 against 11 600-12 100/s,
// alternating, fresh directories; gets unchanged): in Pebble v2.1.7 a
// blob file that cannot be opened (missing, or its footer damaged) makes
// Pebble panic ("unknown metadata type: <nil>", DB.reportCorruption with
// no file), from a read and from a compaction's goroutine alike, where a
// damaged table file gives an error. A damaged file must not stop the
// server, so values stay in the tables until Pebble reports that damage
// as it does a table's.
package engine
