// Package vstream is verified streaming of large values: a value is cut
// into fixed-size chunks that travel one by one, and each chunk is checked
// against the value's BLAKE3 hash (the root) as it arrives, so a receiver
// refuses a corrupted, reordered, truncated or extended stream before it
// stores or acknowledges anything it has not verified.
//
// # Layout
//
// A value of Size bytes is cut into chunks of ChunkSize bytes (a power of
// two from MinChunkSize to MaxChunkSize, DefaultChunkSize 1 MiB); the last
// chunk holds the rest, and the empty value is one empty chunk. The root
// is the ordinary BLAKE3-256 hash of the whole value (what b3sum prints),
// not a hash of our own making, so a value's hash can be checked with any
// BLAKE3 tool.
//
// This works because BLAKE3 is itself a hash tree over 1 KiB chunks, whose
// left subtree always holds the largest power of two of chunks smaller
// than the whole. A power-of-two group of BLAKE3 chunks that starts at a
// multiple of its size is therefore always one complete subtree, and the
// tree above such groups follows the same rule counted in groups. That is
// what the Bao format builds on ("chunk groups"). Here:
//
//   - a leaf is the chaining value (CV) of one of our chunks: the BLAKE3
//     subtree of its 1 KiB chunks, with the chunk counter starting at the
//     chunk's byte offset / 1024;
//   - a parent node is 64 bytes, the left child's CV then the right
//     child's (32 bytes each, BLAKE3's little-endian words); its CV is
//     BLAKE3's parent compression of those 64 bytes;
//   - the root node (the top parent, or the only leaf when the value is one
//     chunk) is compressed with BLAKE3's ROOT flag, and its first 32 output
//     bytes are the hash.
//
// # Proofs, and why a chunk is verified when it arrives
//
// Chunks travel in order. Before chunk i the sender sends the parent
// nodes of the subtrees that start at chunk i, top down: in a pre-order
// walk of the tree they are the nodes between chunk i-1 and chunk i
// (Bao's combined encoding interleaves them the same way). The first chunk
// sent on a connection, at index 0 or where a resumed upload continues,
// instead carries every parent on the path from the root to it
// (Tree.Proof with full set). Either way the receiver (Verifier) holds a
// stack of CVs it trusts, starting with the root: it hashes each parent it
// is sent and compares the result with the CV it expects for that subtree,
// then trusts the parent's two children (keeping the right one for later),
// down to the chunk, whose own CV must match. Every byte the receiver
// accepts is thus bound by BLAKE3's collision resistance to the announced
// root:
//
//   - a corrupted chunk or proof gives a CV that does not match: ErrCorrupt;
//   - chunks swapped or out of order: the CV of chunk j does not match the
//     place of chunk i (the chunk counter is part of each leaf): ErrCorrupt;
//   - a chunk of the wrong length (a declared size that disagrees with the
//     value): ErrSize, before it is hashed;
//   - a stream that stops early: Finish reports ErrTruncated;
//   - a chunk after the last one: ErrExtraChunk.
//
// A declared size that is not the value's also changes the shape of the
// tree or the length of the last chunk, so it fails with one of the errors
// above no later than the chunk where the shapes first differ.
//
// # Memory
//
// The sender's Hasher reads the value once (the first pass) with one chunk
// of buffer and keeps 32 bytes per chunk (the leaves: 160 KiB for 5 GiB
// at 1 MiB chunks); its Tree then gives each chunk's proof while the value
// is read a second time and sent. The Verifier keeps at most one CV per
// level of the tree (under 64), never a chunk: it checks the chunk its
// caller holds.
//
// # Which BLAKE3
//
// lukechampine.com/blake3 was measured against github.com/zeebo/blake3 on
// the project's CI-class machine (2 cores, AVX-512), go test -bench
// -count 6, benchstat, load average 1.2-3.0 during the run:
//
//	size     lukechampine   zeebo
//	1 KiB    139 MiB/s      726 MiB/s  (lukechampine's New allocates 18 KiB)
//	1 MiB    4.0 GiB/s      3.2 GiB/s
//	64 MiB   5.5 GiB/s      2.5 GiB/s  (AVX-512 and both cores)
//
// Chunks are 1 MiB and up, where lukechampine is faster; values small
// enough for one message are not streamed. It also exports BLAKE3's
// internals (package guts: chunk and parent compression with the chunk
// counter and flags), which the chunk-group tree above needs and zeebo's
// package keeps internal.
package vstream
