package vstream

import (
	"encoding/hex"
	"fmt"
	"math/bits"
)

// Chunk sizes.
const (
	// DefaultChunkSize is the chunk size senders use unless told otherwise:
	// small enough that a few chunks in flight per stream cost little
	// memory, large enough that per-chunk costs (a message, a proof of a
	// few hundred bytes) vanish beside the data.
	DefaultChunkSize = 1 << 20
	// MinChunkSize is the smallest chunk size: one BLAKE3 chunk.
	MinChunkSize = 1 << 10
	// MaxChunkSize is the largest chunk size, bounding what a receiver
	// must buffer for one chunk.
	MaxChunkSize = 16 << 20
	// ParentLen is the size of one parent node of a proof.
	ParentLen = 64
)

// Hash is a BLAKE3-256 hash: a value's root, or a chaining value.
type Hash [32]byte

// String returns the hash in lower-case hex, as b3sum prints it.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Layout is how a value of Size bytes is cut into chunks of ChunkSize.
type Layout struct {
	Size      int64
	ChunkSize int
}

// NewLayout returns the layout of a size-byte value in chunks of
// chunkSize (0 means DefaultChunkSize), or an error matching ErrInvalid.
func NewLayout(size int64, chunkSize int) (Layout, error) {
	if chunkSize == 0 {
		chunkSize = DefaultChunkSize
	}
	if size < 0 {
		return Layout{}, fmt.Errorf("%w: size %d", ErrInvalid, size)
	}
	if chunkSize < MinChunkSize || chunkSize > MaxChunkSize || chunkSize&(chunkSize-1) != 0 {
		return Layout{}, fmt.Errorf("%w: chunk size %d is not a power of two from %d to %d",
			ErrInvalid, chunkSize, MinChunkSize, MaxChunkSize)
	}
	return Layout{Size: size, ChunkSize: chunkSize}, nil
}

// Chunks returns how many chunks the value has: at least one (the empty
// value is one empty chunk).
func (l Layout) Chunks() int64 {
	if l.Size == 0 {
		return 1
	}
	return (l.Size + int64(l.ChunkSize) - 1) / int64(l.ChunkSize)
}

// ChunkLen returns the length of chunk i (0 <= i < Chunks()).
func (l Layout) ChunkLen(i int64) int {
	if i < l.Chunks()-1 {
		return l.ChunkSize
	}
	return int(l.Size - i*int64(l.ChunkSize))
}

// Offset returns the byte offset of chunk i.
func (l Layout) Offset(i int64) int64 { return i * int64(l.ChunkSize) }

// split returns where the subtree over chunks [lo, hi) (hi-lo >= 2) splits:
// its left child holds the largest power of two of chunks below hi-lo.
func split(lo, hi int64) int64 {
	return lo + int64(1)<<(bits.Len64(uint64(hi-lo-1))-1)
}
