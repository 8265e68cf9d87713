// Package fs is the filesystem backend: one file per key under a storage
// directory, written so that a crash at any moment leaves every key with
// either its old or its new entry, complete. Register makes it available as
// volume kind "fs" (see Volume for its options).
//
// # Layout: keys to paths
//
// A key's chunks (its "/"-separated parts, empty ones included) become
// directories, and its last chunk is the entry file, marked by a "~"
// suffix. Directories never end in "~", so a key can be both a file and a
// directory: "a" is the file "a~" and "a/b" is the file "a/b~".
//
// Each chunk is encoded byte by byte so that every key, however hostile,
// maps to a safe path, and every path maps back to one key:
//
//   - a-z, 0-9 and - _ . @ = , stand for themselves, except a '.' at the
//     start of a chunk, so no name is ".", ".." or hidden;
//   - A-Z become '^' and the lower-case letter ("Hello" → "^hello"), so
//     case-insensitive file systems keep "A" and "a" apart;
//   - every other byte (space, NUL, '%', '~', '+', '^', '*', '$',
//     each byte of a non-ASCII character...) becomes '%' and
//     two lower-case hex digits, so normalising file systems (macOS)
//     cannot merge two spellings of "é";
//   - the empty chunk is "%" ("" is the file "%~", "a/" is "a/%~").
//
// An encoded chunk longer than 200 bytes is cut into pieces of 200 bytes;
// each piece after the first is a directory of its own whose name starts
// with "+" ("xxx…" of 250 x's is "xxx…(200)/+xxx…(50)~"). So no name is
// longer than 202 bytes, within every file system's 255-byte limit. Only
// the canonical spelling is accepted when reading back: a file whose path
// keyPath would not produce (a foreign file, "%61~" for "a~") is ignored
// and logged when the store opens.
//
// Names starting with '.' are the store's own: ".lock" at the root (an
// advisory flock, so two writers never share a directory) and ".tmp-…"
// files being written.
//
// Scan(prefix) lists only the directory of the prefix's complete chunks,
// and there only the names that start with the encoding of its last,
// partial chunk, and everything below them.
//
// # Entry file format (version 1)
//
// Integers are big-endian; CRC-32C is the Castagnoli CRC.
//
//	offset  size  field
//	0       4     magic "zmkv"
//	4       1     format version: 1
//	5       1     flags: bit 0 set for a tombstone, bit 1 when a hash follows
//	              the encoding; other bits zero
//	6       2     n: length of the encoding in bytes (at most 1024)
//	8       28    hlc timestamp, binary form (time, counter, source)
//	36      8     length of the value in bytes
//	44      4     CRC-32C of the value
//	48      n     encoding (UTF-8)
//	48+n    h     the value's BLAKE3 hash when flag bit 1 is set (h = 32),
//	              else nothing (h = 0): values stored by PutStream
//	48+n+h  4     CRC-32C of bytes [0, 48+n+h)
//	52+n+h        value, to the end of the file
//
// A tombstone has n = 0 and no value. A file whose magic, version, flags,
// checksums or length do not match is corrupt: Get reports it with
// backend.ErrCorrupt, Scan logs and skips it, Apply overwrites it. Reading
// only the header (Apply's timestamp check, Scan in ScanMeta mode) costs
// one small read whatever the value's size.
//
// # Durability
//
// Apply writes the entry to a new ".tmp-…" file in the key's directory,
// fsyncs it, renames it over the entry file (atomic on POSIX), then fsyncs
// the directory; any directory it had to create is fsync'd into its parent
// first. Only then does it report applied. A crash before the rename leaves
// a temporary file, which Open removes; after it, the new entry. Concurrent
// Apply calls on one key are serialised by a striped per-key mutex held
// from reading the current timestamp to the rename; Get and Scan take no
// lock (they open either the old or the new file). Collect removes old
// tombstones (re-checked under the key's mutex) and then the directories
// left empty.
//
// PutStream (backend.Streamer) writes a large value the same way, copied
// from its reader through one 256 KiB buffer: the header goes first with a
// placeholder value checksum, rewritten in place once the value is in,
// before the fsync and the rename; it keeps the value's BLAKE3 hash in
// the header (flag bit 1). OpenStream reads the value from the open file
// (a snapshot: the rename of a newer entry does not affect it) and, for a
// whole read, checks the value's checksum at the end.
//
// All file operations go through an os.Root opened on the storage
// directory, so nothing outside it is ever touched, whatever the key.
// The package targets POSIX systems (Linux, macOS, BSD).
package fs
