package socket

import (
	"bytes"
	"io"
	"testing"
	"unsafe"
)

func TestPoolClasses(t *testing.T) {
	prev := slabMax
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
	if prev != growStep {
		t.Fatalf("largest class %d, want %d", prev, growStep)
	}
	for _, n := range []int{0, 1, slabMax, growStep + 1, 1 << 30} {
		if _, _, ok := poolClass(n); ok {
			t.Fatalf("poolClass(%d) served", n)
		}
	}
}

func TestNewBodyAndRelease(t *testing.T) {
	for _, n := range []int{0, 16, slabMax, slabMax + 1, 5000, 64 << 10, growStep, growStep + 1} {
		b := newBody(n)
		if len(b) != n {
			t.Fatalf("newBody(%d) has length %d", n, len(b))
		}
		if _, size, ok := poolClass(n); ok && cap(b) != size {
			t.Fatalf("newBody(%d) has capacity %d, want its class's %d", n, cap(b), size)
		}
		m := Msg{Body: b, pooled: true}
		m.Release()
		if m.Body != nil {
			t.Fatal("Release left Body set")
		}
		m.Release() // harmless on a released message
	}
	// A released body comes back for the next message of its class (the
	// race detector makes sync.Pool drop some Puts, so try a few times).
	reused := false
	for i := 0; i < 50 && !reused; i++ {
		b := newBody(5000)
		p := unsafe.SliceData(b)
		(&Msg{Body: b, pooled: true}).Release()
		reused = unsafe.SliceData(newBody(4900)) == p
	}
	if !reused {
		t.Fatal("a released body was never reused")
	}
	// A message zmesh did not fill from its pools (inproc: the sender's
	// memory) is never pooled, whatever its size.
	for i := 0; i < 50; i++ {
		b := make([]byte, 5000, 5120)
		p := unsafe.SliceData(b)
		(&Msg{Body: b}).Release()
		if unsafe.SliceData(newBody(5000)) == p {
			t.Fatal("a body that was not pooled went into the pool")
		}
	}
	// Odd capacities go to the class below; tiny ones are ignored.
	releaseBody(make([]byte, 10, 3000)) // between 2560 and 3072: class 2560
	releaseBody(make([]byte, 10, 100))
	releaseBody(make([]byte, 10, 8<<20))
	releaseBody(nil)
}

// TestReleasedBodiesNeverLeakIntoLaterMessages decodes frames of many
// sizes, releasing each body after checking it, so later bodies come from
// dirty pooled memory: every one must hold exactly its own bytes.
func TestReleasedBodiesNeverLeakIntoLaterMessages(t *testing.T) {
	var stream []byte
	var want [][]byte
	sizes := []int{2000, 70000, 1500, 300000, 70000, 2000, 900, 1 << 20, 4097, 70000}
	for round := 0; round < 5; round++ {
		for i, n := range sizes {
			body := bytes.Repeat([]byte{byte(round*16 + i)}, n)
			want = append(want, body)
			stream = appendFrame(stream, 0, body)
		}
	}
	fr := newFrameReader(bytes.NewReader(stream), 0)
	fr.established(nil)
	for i, w := range want {
		_, body, owned, err := fr.next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !owned {
			body = fr.own(body)
		}
		if !bytes.Equal(body, w) {
			t.Fatalf("frame %d (%d bytes) differs from what was sent", i, len(w))
		}
		m := Msg{Body: body, pooled: true}
		m.Release()
	}
	if _, _, _, err := fr.next(); err != io.EOF {
		t.Fatalf("after the last frame: %v", err)
	}
}
