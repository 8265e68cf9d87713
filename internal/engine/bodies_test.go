package engine

import (
	"bytes"
	"io"
	"testing"
	"unsafe"

	"github.com/zmesh/zmesh/internal/bodypool"
	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

// testSocket is a bare Socket of a fresh Ctx, for tests of its parts.
func testSocket(t testing.TB) *Socket {
	t.Helper()
	c := socket.NewCtx(nil)
	t.Cleanup(func() { _ = c.Close() })
	s, err := New(c, Type{Name: "CLIENT", Peer: "SERVER"}, socket.Options{SendHWM: 1000, RecvHWM: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bodyPooled reports whether Release would give m's body to the pools: it
// releases a copy of m and sees whether the next body of its size reuses
// the memory (the race detector makes sync.Pool drop some Puts: retry).
func bodyPooled(m socket.Msg) bool {
	for range 50 {
		b := bodypool.New(len(m.Body))
		c := m
		c.Body = b
		c.Release()
		if n := bodypool.New(len(b)); len(b) > 0 && &n[0] == &b[:1][0] {
			return true
		}
	}
	return false
}

// testBodyFrom marks a body from fr.next or fr.own as the reader does.
func testBodyFrom(body []byte, slabbed bool) bodyFrom {
	switch {
	case slabbed:
		return bodySlab
	case len(body) > slabMax && len(body) <= growStep:
		return bodyClass
	}
	return bodyOwn
}

func TestSizesAgreeWithThePools(t *testing.T) {
	got := []int{slabMax, socket.MaxSharedBody, growStep}
	if want := []int{bodypool.Min, bodypool.Min, bodypool.Max}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("slabMax %d, growStep %d; bodypool serves (%d, %d]; MaxSharedBody %d", slabMax, growStep, bodypool.Min, bodypool.Max, socket.MaxSharedBody)
	}
}

func TestReceivedMarksPooledBodiesOnly(t *testing.T) {
	s := testSocket(t)
	peer := &socket.Peer{Endpoint: "x"}
	m := s.received(bodypool.New(5000), 7, "g", peer, bodyClass)
	if m.RoutingID != 7 || m.Group != "g" || m.Peer != peer || len(m.Body) != 5000 || m.Tail != nil {
		t.Fatalf("received built %+v", m)
	}
	if !bodyPooled(m) {
		t.Fatal("a pooled body is not marked pooled")
	}
	if bodyPooled(s.received(make([]byte, 5000), 7, "g", peer, bodyOwn)) {
		t.Fatal("a body that was not pooled is marked pooled")
	}
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
			stream = zmtp.AppendFrame(stream, 0, body)
		}
	}
	s := testSocket(t)
	fr := newFrameReader(bytes.NewReader(stream), 0)
	fr.established(nil, nil)
	for i, w := range want {
		_, body, owned, err := fr.next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		slabbed := false
		if !owned {
			body, slabbed = fr.own(body)
		}
		if !bytes.Equal(body, w) {
			t.Fatalf("frame %d (%d bytes) differs from what was sent", i, len(w))
		}
		m := s.received(body, 0, "", nil, testBodyFrom(body, slabbed))
		if len(w) > slabMax && len(w) <= growStep && !bodyPooled(m) {
			t.Fatalf("frame %d: a %d-byte body is not marked pooled", i, len(w))
		}
		m.Release()
	}
	if _, _, _, err := fr.next(); err != io.EOF {
		t.Fatalf("after the last frame: %v", err)
	}
}

// TestLargeFramesReadStraightIntoTheirMemory decodes large frames (at least
// directMin) among small ones from a reader that returns short reads: each
// body holds exactly its bytes (read reads at most 1 000 bytes, so a large
// frame is never all in the buffer when its header is parsed), a large frame turns on the short reads
// into the buffer (peek), and a run of small frames turns them off.
func TestLargeFramesReadStraightIntoTheirMemory(t *testing.T) {
	var stream []byte
	var want [][]byte
	add := func(n int) {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(len(want)*7 + i)
		}
		want = append(want, body)
		stream = zmtp.AppendFrame(stream, 0, body)
	}
	for _, n := range []int{100, directMin, 300, directMin + 1, 70000, 5} {
		add(n)
	}
	for range smallRunMax + 1 {
		add(64)
	}
	add(200000)
	fr := newFrameReader(chunkReader{bytes.NewReader(stream), 1000}, 0)
	fr.established(nil, nil)
	for i, w := range want {
		_, body, owned, err := fr.next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !owned {
			body, _ = fr.own(body)
		}
		if !bytes.Equal(body, w) {
			t.Fatalf("frame %d (%d bytes) differs from what was sent", i, len(w))
		}
		switch {
		case i == 0 && fr.peek:
			t.Fatal("peeking before any large frame")
		case i == 1 && !fr.peek:
			t.Fatal("a large frame did not turn on peeking")
		case i == 5+smallRunMax+1 && fr.peek:
			t.Fatalf("still peeking after %d small frames", smallRunMax+1)
		case i == len(want)-1 && !fr.peek:
			t.Fatal("the last large frame did not turn on peeking")
		}
	}
	if _, _, _, err := fr.next(); err != io.EOF {
		t.Fatalf("after the last frame: %v", err)
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// TestSlabBodiesHeldStayIntact: small bodies share slabs that go back to
// their pool once every body carved from them is released. A receiver
// that releases some bodies and keeps others must find the kept ones
// unchanged after many more slabs' worth of frames, and the released
// ones must be reused (no new slab per slab's worth of frames).
func TestSlabBodiesHeldStayIntact(t *testing.T) {
	const frames = 20000
	var stream []byte
	body := func(i int) []byte {
		b := make([]byte, 1+i%slabMax)
		for j := range b {
			b[j] = byte(i*31 + j)
		}
		return b
	}
	for i := range frames {
		stream = zmtp.AppendFrame(stream, 0, body(i))
	}
	s := testSocket(t)
	fr := newFrameReader(bytes.NewReader(stream), 0)
	fr.established(nil, nil)
	kept := map[int]socket.Msg{}
	slabs := map[*byte]bool{} // distinct slabs
	var changes int           // times the reader took a slab
	var last *byte
	var lastBody uintptr
	for i := range frames {
		_, b, owned, err := fr.next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		slabbed := false
		if !owned {
			b, slabbed = fr.own(b)
		}
		if slabbed {
			// A new slab, or the same one taken again: carving starts
			// over from its start.
			p, at := unsafe.SliceData(fr.slab.Bytes()), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
			if p != last || at < lastBody {
				slabs[p], last = true, p
				changes++
			}
			lastBody = at
		}
		m := s.received(b, 0, "", nil, testBodyFrom(b, slabbed))
		if i%997 == 0 {
			kept[i] = m // held: its slab must not be reused
			continue
		}
		if !bytes.Equal(m.Body, body(i)) {
			t.Fatalf("frame %d differs", i)
		}
		m.Release()
	}
	for i, m := range kept {
		if !bytes.Equal(m.Body, body(i)) {
			t.Fatalf("frame %d, held, was overwritten", i)
		}
	}
	// About 10 MB went through slabs of 24 KiB, some 400 of them, of
	// which the kept bodies pin about 20: the others come back (the race
	// detector makes sync.Pool drop a quarter of them, hence the margin).
	if len(slabs)*2 > changes {
		t.Fatalf("%d distinct slabs for %d taken: released slabs were not reused", len(slabs), changes)
	}
}
