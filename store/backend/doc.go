// Package backend defines what a storage backend is: the Store interface
// every backend implements, the Volume that opens stores, the registry of
// volume kinds ("memory", "fs", "engine", "s3") built from configuration, and the
// rules (limits, errors) all of them share.
//
// # How the pieces fit
//
// A volume is one configured backend instance (a root directory, an S3
// endpoint, or memory). The storage server asks the volume for one Store per
// storage, by name. A Store holds that storage's entries: for each key, the
// latest value or tombstone with its hlc timestamp.
//
// The Store does the per-key work that must be atomic (last-writer-wins,
// tombstones that survive restarts, collection of old tombstones); the
// storage server above does everything that involves key expressions. In
// particular a wildcard delete is resolved by the server: it scans the key
// expression's literal prefix, keeps the keys that intersect, and applies one
// tombstone per key. Keys reaching a Store have already had the storage's
// strip_prefix removed; the key equal to the prefix arrives as "" and is an
// ordinary key here, listed by Scan like every other (no reserved names).
//
// # The rules every Store keeps
//
//   - Last writer wins per key: Apply stores an entry only when its
//     timestamp is strictly greater than the timestamp of what the key holds
//     (value or tombstone). Equal timestamps are ignored, so replaying a
//     write is harmless. The check and the write are atomic per key.
//   - A delete is an entry too (Deleted set), stored durably like a value,
//     so an older put that arrives late (or after a restart) cannot bring
//     the key back. Tombstones are dropped only by Collect, once older than
//     the storage's configured lifespan.
//   - When Apply reports applied, the entry is durable as far as the
//     backend can make it: fsync'd for "fs", its log record synced for
//     "engine" (with its default sync: always), acknowledged by the server for
//     "s3", in memory for "memory".
//   - A key absent from the store is not an error: Get reports it with
//     ok=false (Zenoh's storages replied errors for missing keys; zenoh#1464).
//   - Keys are hostile input. A Store never panics, never touches anything
//     outside its own namespace, and refuses what it cannot represent with
//     an error matching ErrInvalidKey; see CheckKey, MaxKeyLen and
//     PortableKeyLen.
//
// Backends register a Factory under their kind name from an init function,
// as database/sql drivers do; the program that builds volumes from
// configuration imports them for that side effect:
//
//	import _ "github.com/zmesh/zmesh/store/backend/fs"
//
// The package backendtest holds the conformance suite every backend runs.
package backend
