// Package memory is the volatile backend: every storage's entries live in
// the process's memory and are gone when the store is closed. Register
// makes it available as volume kind "memory".
//
// # Layout
//
// Entries sit in 64 shards, each a map from key to an immutable *Entry
// guarded by its own RWMutex and chosen by a hash of the key, so that
// writes to different keys rarely contend. Last-writer-wins is a compare and
// swap of the map slot under the shard's write lock.
//
// Beside the shards, an ordered index of every key (a skip list under its
// own RWMutex) lets Scan visit only the keys that start with its prefix: it
// seeks to the prefix and walks forward in batches. The index changes only
// when a key appears or is collected, not when an existing key is
// overwritten, so the common write path touches one shard lock only.
//
// Lock order: a shard's lock, then the index lock. Scan takes them one at a
// time and calls its callback with no lock held.
package memory
