package vstream

import "errors"

// The errors of verified streaming; test for them with errors.Is. Returned
// errors wrap them with the chunk index and what differed.
var (
	// ErrInvalid: a size, chunk size or index no stream can have (a
	// negative size, a chunk size that is not a power of two in range).
	ErrInvalid = errors.New("vstream: invalid stream parameters")
	// ErrCorrupt: a chunk or a proof node does not hash to what the root
	// says belongs there (corrupted, reordered or forged data).
	ErrCorrupt = errors.New("vstream: chunk does not match the root")
	// ErrProof: a chunk came with the wrong number of proof bytes for its
	// place in the tree.
	ErrProof = errors.New("vstream: malformed proof")
	// ErrSize: a chunk's length is not the one the declared size gives its
	// place, or the value read is not the declared size.
	ErrSize = errors.New("vstream: size disagrees with the declared size")
	// ErrTruncated: the stream ended before its last chunk.
	ErrTruncated = errors.New("vstream: stream truncated")
	// ErrExtraChunk: a chunk came after the last one the declared size
	// allows.
	ErrExtraChunk = errors.New("vstream: more chunks than declared")
)
