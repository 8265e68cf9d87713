// Package server is zmesh's storage server, in the spirit of Zenoh's
// storage manager: it keeps key/value data in storages and answers the
// storage protocol (docs/storage-protocol.md, package store/proto) that
// package store's Client speaks. The data lives in package backend's
// stores (memory, fs, s3). docs/storage-server.md describes the server's
// behaviour in full.
//
// # The server
//
// A Server answers requests on a SERVER socket for a set of storages
// (Storage). Each storage holds the keys of its key expression, with an
// optional strip_prefix removed, in one backend.Store, and may be
// read-only. Every request goes to each storage whose key expression
// intersects the request's:
//
//   - PUT stores a value under a plain key (wildcards are refused with
//     proto.StatusWildcardKey) in every writable storage that holds it,
//     and is acknowledged once all of them hold it durably.
//   - DELETE of a key writes a tombstone; DELETE of a key expression
//     finds the matching keys by scanning the storages and writes one
//     tombstone each, and is retained so that an older put of a key it
//     did not find yet cannot slip past it.
//   - QUERY streams one REPLY per matching key — the newest when several
//     storages hold it — then a FINAL. The key store.AdminKey answers with the
//     server's description (store.ServerInfo).
//
// Writes are ordered by hybrid logical clock timestamps: the server stamps
// writes that carry none as they arrive, merges those that do into its
// clock (refusing one too far in its future), and each key keeps its newest
// write (last writer wins), tombstones included, so deletes stick. A
// background loop collects tombstones once they are older than their
// storage's lifespan. Bad input of any kind is answered with a FINAL that
// gives the status and says what is wrong; nothing refused is stored.
//
// Requests about one key are handled by a pool of workers; wildcard
// queries and deletes by a second, bounded pool, so that a slow scan never
// holds up writes. Every applied write is published on an optional RADIO
// (the change feed, one group per storage), and an optional GATHER takes
// bulk puts from SCATTER loaders.
//
// # Running changes, health and metrics
//
// The storages and volumes of a running server can be added, replaced and
// removed (AddVolume, AddStorage, RemoveStorage, RemoveVolume, or a whole
// new set with Reconfigure, in Zenoh's order). Requests read the current
// set from an atomically swapped snapshot without locking; a removed
// storage's store is closed, running its on_closure, once the requests
// using it are done. Removing a volume that storages use is refused
// (ErrInUse). Storages and Volumes report what is served, with secrets
// redacted (Redact).
//
// Every call to a storage's backend is counted, timed and judged: Health
// reports a storage unhealthy from a failed call to its medium until a call
// succeeds again, and the server probes unhealthy and idle backends itself
// (Options.HealthProbe). WriteMetrics writes the counters in the Prometheus
// text format. Do handles a request in-process exactly as the socket's
// requests are handled; package store/httpapi is the HTTP face built on
// these (docs/http.md).
//
// Every call that takes a context.Context refuses a nil one with an error
// matching socket.ErrInvalidInput.
//
// # Configuration
//
// Options configure a Server built in Go: the caller creates the sockets
// and the stores. Config is the server's YAML file (package config's
// socket sections, built with their Build, plus Zenoh-like volumes and
// storages); Config.Open creates the volumes, stores and sockets it
// describes and returns a Server that owns them and knows its volumes by
// name, so that runtime management can open storages in them. That is what
// `zmesh serve` does. The file's grammar (booleans, durations, sizes) is
// package config's; see its package documentation.
package server
