package bodypool

import (
	"testing"
	"unsafe"
)

func TestPoolClasses(t *testing.T) {
	prev := Min
	for c := 0; c < poolClasses; c++ {
		size := classSize(c)
		if size <= prev {
			t.Fatalf("class %d: size %d not above %d", c, size, prev)
		}
		if waste := size - prev - 1; waste*5 > size {
			t.Fatalf("class %d (%d bytes) wastes %d bytes for a %d-byte body", c, size, waste, prev+1)
		}
		for _, n := range []int{prev + 1, size} {
			got, gs, ok := poolClass(n)
			if !ok || got != c || gs != size {
				t.Fatalf("poolClass(%d) = %d, %d, %v; want %d, %d", n, got, gs, ok, c, size)
			}
		}
		prev = size
	}
	if prev != Max {
		t.Fatalf("largest class %d, want %d", prev, Max)
	}
	for _, n := range []int{0, 1, Min, Max + 1, 1 << 30} {
		if _, _, ok := poolClass(n); ok {
			t.Fatalf("poolClass(%d) served", n)
		}
	}
}

func TestNewAndRelease(t *testing.T) {
	for _, n := range []int{0, 16, Min, Min + 1, 5000, 64 << 10, Max, Max + 1} {
		b := New(n)
		if len(b) != n {
			t.Fatalf("New(%d) has length %d", n, len(b))
		}
		if _, size, ok := poolClass(n); ok && cap(b) != size {
			t.Fatalf("New(%d) has capacity %d, want its class's %d", n, cap(b), size)
		}
		Release(b)
	}
	// A released body comes back for the next body of its class (the
	// race detector makes sync.Pool drop some Puts, so try a few times).
	reused := false
	for i := 0; i < 50 && !reused; i++ {
		b := New(5000)
		p := unsafe.SliceData(b)
		Release(b)
		reused = unsafe.SliceData(New(4900)) == p
	}
	if !reused {
		t.Fatal("a released body was never reused")
	}
	// Odd capacities go to the class below; tiny ones are ignored.
	Release(make([]byte, 10, 3000)) // between 2560 and 3072: class 2560
	Release(make([]byte, 10, 100))
	Release(make([]byte, 10, 8<<20))
	Release(nil)
}
