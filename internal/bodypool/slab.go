package bodypool

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Small received bodies (at most Min bytes) are carved from slabs, one
// reader carving each. A slab counts the bodies carved from it that are
// still out; Release of the last one, once its reader has moved on to
// another slab, puts the slab in a pool for the next reader, so a receiver
// that releases its messages makes no garbage for small bodies either. A
// body never released keeps its slab out of the pool: the garbage
// collector takes it when nothing refers to any of its bodies.
//
// Layout: a slab starts with its header, the count (8 bytes, atomic) and
// its size (4 bytes); each body is followed by 4 bytes, the trailer,
// holding the body's end as an offset from the slab's start, which is how
// ReleaseCarved finds the header from a body alone (its end is where its
// capacity ends).
const (
	slabHead    = 16
	slabTrailer = 4
	// slabBias is the count a reader's slab starts with: carving adds
	// nothing (no atomic operation per body), and retiring the slab takes
	// slabBias back less the bodies carved.
	slabBias = 1 << 40
)

// SlabSize is the size of the slabs that go back to the pool; smaller
// ones (a connection's first) are left to the garbage collector.
const SlabSize = 24 << 10

// slabPool holds free slabs of SlabSize bytes, as pointers to their first
// byte.
var slabPool sync.Pool

// Slab is the slab a reader carves bodies from. Its zero value has no
// room.
type Slab struct {
	buf    []byte // the whole slab; nil: none
	off    int    // first free byte
	carved int64  // bodies carved so far
}

// Next retires s's slab, if any, and gives s a new one of size bytes
// (from the pool if size is SlabSize).
func (s *Slab) Next(size int) {
	s.Retire()
	var buf []byte
	if size == SlabSize {
		if p, _ := slabPool.Get().(unsafe.Pointer); p != nil {
			buf = unsafe.Slice((*byte)(p), SlabSize)
		}
	}
	if buf == nil {
		buf = make([]byte, size)
		binary.LittleEndian.PutUint32(buf[8:], uint32(size))
	}
	slabCount(buf).Store(slabBias)
	s.buf, s.off, s.carved = buf, slabHead, 0
}

// Bytes is the whole current slab (nil if none), for tests that follow
// slabs.
func (s *Slab) Bytes() []byte { return s.buf }

// Room reports whether a body of n bytes fits in s.
func (s *Slab) Room(n int) bool { return s.buf != nil && s.off+n+slabTrailer <= len(s.buf) }

// Carve returns the next n bytes of s (Room(n) must hold), with capacity
// n. Their contents are whatever the slab held last.
func (s *Slab) Carve(n int) []byte {
	out := s.buf[s.off : s.off+n : s.off+n]
	s.off += n
	binary.LittleEndian.PutUint32(s.buf[s.off:], uint32(s.off))
	s.off += slabTrailer
	s.carved++
	return out
}

// Retire ends the carving of s's slab: it goes to the pool once every
// body carved from it is released (at once if none is out).
func (s *Slab) Retire() {
	if s.buf == nil {
		return
	}
	if slabCount(s.buf).Add(s.carved-slabBias) == 0 {
		putSlab(s.buf)
	}
	s.buf, s.off, s.carved = nil, 0, 0
}

func slabCount(buf []byte) *atomic.Int64 { return (*atomic.Int64)(unsafe.Pointer(&buf[0])) }

func putSlab(buf []byte) {
	if binary.LittleEndian.Uint32(buf[8:]) == SlabSize {
		slabPool.Put(unsafe.Pointer(unsafe.SliceData(buf)))
	}
}

// ReleaseCarved counts b, a body returned by Slab.Carve (or its end: a
// slice of it reaching its capacity), as released from its slab. b must
// not be used afterwards.
func ReleaseCarved(b []byte) {
	end := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), cap(b))
	off := binary.LittleEndian.Uint32(unsafe.Slice((*byte)(end), slabTrailer))
	start := unsafe.Add(end, -int(off))
	if (*atomic.Int64)(start).Add(-1) == 0 {
		size := binary.LittleEndian.Uint32(unsafe.Slice((*byte)(unsafe.Add(start, 8)), 4))
		putSlab(unsafe.Slice((*byte)(start), size))
	}
}
