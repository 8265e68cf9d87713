package bodypool

import (
	"bytes"
	"testing"
	"unsafe"
)

// A slab's count goes to zero only when its reader has retired it and
// every body carved from it is released, in any order, and each body
// finds its slab from its end alone.
func TestSlabCountsCarvedBodies(t *testing.T) {
	var s Slab
	if s.Room(1) {
		t.Fatal("the zero Slab has room")
	}
	s.Next(SlabSize)
	buf := s.buf
	var bodies [][]byte
	for _, n := range []int{1, 16, 1000, Min, 7} {
		if !s.Room(n) {
			t.Fatalf("no room for %d bytes in a new slab", n)
		}
		b := s.Carve(n)
		if len(b) != n || cap(b) != n {
			t.Fatalf("Carve(%d): len %d cap %d", n, len(b), cap(b))
		}
		for i := range b {
			b[i] = byte(n)
		}
		bodies = append(bodies, b)
	}
	for i, b := range bodies {
		if !bytes.Equal(b, bytes.Repeat([]byte{byte(len(b))}, len(b))) {
			t.Fatalf("body %d was overwritten by a later one", i)
		}
	}
	ReleaseCarved(bodies[1])
	ReleaseCarved(bodies[3][Min-1:]) // a body's end finds its slab too
	if got := slabCount(buf).Load(); got != slabBias-2 {
		t.Fatalf("count %d after 2 releases, want bias-2", got)
	}
	s.Retire()
	if got := slabCount(buf).Load(); got != 3 {
		t.Fatalf("count %d once retired with 3 bodies out, want 3", got)
	}
	ReleaseCarved(bodies[0])
	ReleaseCarved(bodies[4])
	if got := slabCount(buf).Load(); got != 1 {
		t.Fatalf("count %d with 1 body out, want 1", got)
	}
	ReleaseCarved(bodies[2])
	if got := slabCount(buf).Load(); got != 0 {
		t.Fatalf("count %d with every body released, want 0", got)
	}
	s.Retire() // harmless without a slab
}

// A slab fills up: Room turns false before a body and its trailer would
// pass its end, and a small slab (a connection's first) works the same.
func TestSlabRoom(t *testing.T) {
	for _, size := range []int{4 << 10, SlabSize} {
		var s Slab
		s.Next(size)
		used := slabHead
		for s.Room(Min) {
			s.Carve(Min)
			used += Min + slabTrailer
		}
		if used > size || size-used >= Min+slabTrailer {
			t.Fatalf("slab of %d: %d bytes used when Room(Min) turned false", size, used)
		}
		s.Retire()
	}
}

// A retired slab whose bodies are all released is reused by the next
// reader (the race detector makes sync.Pool drop some Puts, so try a few
// times); one with a body still out never is.
func TestSlabReuse(t *testing.T) {
	reused := false
	for i := 0; i < 50 && !reused; i++ {
		var s Slab
		s.Next(SlabSize)
		p := unsafe.SliceData(s.buf)
		b := s.Carve(100)
		s.Retire()
		ReleaseCarved(b)
		s.Next(SlabSize)
		reused = unsafe.SliceData(s.buf) == p
		s.Retire()
	}
	if !reused {
		t.Fatal("a free slab was never reused")
	}
	for i := 0; i < 50; i++ {
		var s Slab
		s.Next(SlabSize)
		p := unsafe.SliceData(s.buf)
		held := s.Carve(100)
		s.Retire()
		s.Next(SlabSize)
		if unsafe.SliceData(s.buf) == p {
			t.Fatal("a slab with a body out was reused")
		}
		s.Retire()
		_ = held[0]
	}
}
