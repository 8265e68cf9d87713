package vstream

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"lukechampine.com/blake3"
)

// value returns n bytes of a fixed pattern that differs from chunk to chunk.
func value(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>10)
	}
	return b
}

// build hashes data in writes of the given size and returns its tree.
func build(t testing.TB, data []byte, chunkSize, write int) *Tree {
	t.Helper()
	l, err := NewLayout(int64(len(data)), chunkSize)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHasher(l)
	for p := data; len(p) > 0; {
		k := min(write, len(p))
		if _, err := h.Write(p[:k]); err != nil {
			t.Fatal(err)
		}
		p = p[k:]
	}
	tr, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// sent is one chunk message: its proof and data.
type sent struct{ proof, data []byte }

// stream returns what a sender sends for data, from chunk `from` on.
func stream(t testing.TB, tr *Tree, data []byte, from int64) []sent {
	t.Helper()
	l := tr.Layout()
	var out []sent
	for i := from; i < l.Chunks(); i++ {
		p, err := tr.Proof(nil, i, i == from)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != ProofLen(l, i, i == from) {
			t.Fatalf("chunk %d: proof %d bytes, ProofLen %d", i, len(p), ProofLen(l, i, i == from))
		}
		off := l.Offset(i)
		out = append(out, sent{p, data[off : off+int64(l.ChunkLen(i))]})
	}
	return out
}

// receive verifies msgs in order and returns the bytes accepted and the
// first error (Finish's when every chunk passed).
func receive(v *Verifier, msgs []sent) ([]byte, error) {
	var got []byte
	for _, m := range msgs {
		if err := v.Verify(m.proof, m.data); err != nil {
			return got, err
		}
		got = append(got, m.data...)
	}
	return got, v.Finish()
}

func TestRootIsBLAKE3(t *testing.T) {
	empty := "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262" // BLAKE3("")
	if got := Sum(nil).String(); got != empty {
		t.Fatalf("Sum(empty) = %s, want %s", got, empty)
	}
	if got := build(t, nil, 0, 1).Root().String(); got != empty {
		t.Fatalf("tree root of the empty value = %s, want %s", got, empty)
	}
	for _, n := range []int{1, 1023, 1024, 1025, 16 << 10, 16<<10 + 1, 100_000, 1 << 20, 3<<20 + 17} {
		data := value(n)
		want := Hash(blake3.Sum256(data))
		if got := Sum(data); got != want {
			t.Errorf("Sum(%d bytes) = %s, want %s", n, got, want)
		}
		for _, cs := range []int{MinChunkSize, 4 << 10, 64 << 10, DefaultChunkSize} {
			if got := build(t, data, cs, 7000).Root(); got != want {
				t.Errorf("%d bytes in %d-byte chunks: root %s, want %s", n, cs, got, want)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	const cs = MinChunkSize
	for _, n := range []int{0, 1, cs - 1, cs, cs + 1, 2 * cs, 3*cs + 5, 37*cs - 1, 64 * cs, 65*cs + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := value(n)
			tr := build(t, data, cs, 333)
			v := NewVerifier(tr.Layout(), tr.Root())
			got, err := receive(v, stream(t, tr, data, 0))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatal("received bytes differ")
			}
			if err := v.Verify(nil, nil); !errors.Is(err, ErrExtraChunk) {
				t.Fatalf("a chunk after the last: %v, want ErrExtraChunk", err)
			}
		})
	}
}

func TestRoundTripDefaultChunkSize(t *testing.T) {
	for _, n := range []int{DefaultChunkSize - 1, DefaultChunkSize, DefaultChunkSize + 1, 5*DefaultChunkSize + 3} {
		data := value(n)
		tr := build(t, data, 0, 1<<16)
		got, err := receive(NewVerifier(tr.Layout(), tr.Root()), stream(t, tr, data, 0))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: err %v, equal %v", n, err, bytes.Equal(got, data))
		}
	}
}

func TestResume(t *testing.T) {
	const cs = MinChunkSize
	data := value(37*cs + 100)
	tr := build(t, data, cs, cs)
	for from := int64(0); from <= tr.Layout().Chunks(); from++ {
		v := NewVerifier(tr.Layout(), tr.Root())
		if err := v.Resume(from); err != nil {
			t.Fatal(err)
		}
		got, err := receive(v, stream(t, tr, data, from))
		if err != nil {
			t.Fatalf("resume at %d: %v", from, err)
		}
		if !bytes.Equal(got, data[min(tr.Layout().Offset(from), int64(len(data))):]) {
			t.Fatalf("resume at %d: bytes differ", from)
		}
	}
	// A resumed verifier refuses an in-order (short) proof.
	v := NewVerifier(tr.Layout(), tr.Root())
	_ = v.Resume(5)
	msgs := stream(t, tr, data, 4)
	if err := v.Verify(msgs[1].proof, msgs[1].data); !errors.Is(err, ErrProof) {
		t.Fatalf("resumed with a short proof: %v, want ErrProof", err)
	}
}

func TestRefused(t *testing.T) {
	const cs = MinChunkSize
	data := value(9*cs + 10)
	tr := build(t, data, cs, cs)
	good := func() []sent {
		msgs := stream(t, tr, data, 0)
		for i := range msgs { // private copies to corrupt
			msgs[i] = sent{bytes.Clone(msgs[i].proof), bytes.Clone(msgs[i].data)}
		}
		return msgs
	}
	l := tr.Layout()
	cases := []struct {
		name     string
		layout   Layout
		root     Hash
		msgs     func() []sent
		want     error
		accepted int // chunks accepted before the refusal; -1 for all
	}{
		{"corrupted chunk", l, tr.Root(), func() []sent { m := good(); m[3].data[7] ^= 1; return m }, ErrCorrupt, 3},
		{"corrupted proof", l, tr.Root(), func() []sent { m := good(); m[2].proof[5] ^= 0x80; return m }, ErrCorrupt, 2},
		{"swapped chunks", l, tr.Root(), func() []sent { m := good(); m[4], m[5] = m[5], m[4]; return m }, nil, 4},
		{"swapped data", l, tr.Root(), func() []sent { m := good(); m[4].data, m[5].data = m[5].data, m[4].data; return m }, ErrCorrupt, 4},
		{"truncated", l, tr.Root(), func() []sent { return good()[:7] }, ErrTruncated, 7},
		{"short last chunk", l, tr.Root(), func() []sent { m := good(); m[9].data = m[9].data[:9]; return m }, ErrSize, 9},
		{"extra chunk", l, tr.Root(), func() []sent { m := good(); return append(m, sent{nil, []byte("x")}) }, ErrExtraChunk, -1},
		{"declared larger", Layout{Size: l.Size + 1, ChunkSize: cs}, tr.Root(), good, ErrSize, 9},
		{"declared smaller", Layout{Size: l.Size - 1, ChunkSize: cs}, tr.Root(), good, ErrSize, 9},
		// The first 8 chunks are the same subtree in both shapes.
		{"declared a chunk more", Layout{Size: l.Size + cs, ChunkSize: cs}, tr.Root(), good, nil, 8},
		{"wrong root", l, Sum([]byte("other")), good, ErrCorrupt, 0},
		{"missing proof", l, tr.Root(), func() []sent { m := good(); m[0].proof = nil; return m }, ErrProof, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := NewVerifier(c.layout, c.root)
			got, err := receive(v, c.msgs())
			if err == nil {
				t.Fatal("accepted")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if want := c.accepted * cs; len(got) != want && !(c.accepted < 0 && len(got) == len(data)) {
				t.Fatalf("%d bytes accepted before the refusal, want %d chunks", len(got), c.accepted)
			}
			if errors.Is(err, ErrTruncated) {
				return // Finish's verdict, not a refusal of a chunk
			}
			if err2 := v.Verify(nil, nil); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("after a refusal: %v, want the same error", err2)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	for _, c := range []struct {
		size int64
		cs   int
	}{{-1, 0}, {0, 1000}, {0, 512}, {0, MaxChunkSize * 2}, {10, 3 << 10}} {
		if _, err := NewLayout(c.size, c.cs); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewLayout(%d, %d) = %v, want ErrInvalid", c.size, c.cs, err)
		}
	}
	l, _ := NewLayout(10, 0)
	h := NewHasher(l)
	if _, err := h.Write(make([]byte, 11)); !errors.Is(err, ErrSize) {
		t.Errorf("writing past the size: %v", err)
	}
	if _, err := h.Sum(); !errors.Is(err, ErrSize) {
		t.Errorf("Sum before the end: %v", err)
	}
	if _, err := h.ReadFrom(bytes.NewReader(make([]byte, 9))); !errors.Is(err, ErrSize) {
		t.Errorf("ReadFrom of a short reader: %v", err)
	}
	tr := build(t, value(10), 0, 10)
	if _, err := tr.Proof(nil, 1, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("Proof past the end: %v", err)
	}
	if err := NewVerifier(l, tr.Root()).Resume(2); !errors.Is(err, ErrInvalid) {
		t.Errorf("Resume past the end: %v", err)
	}
}

func BenchmarkHasher(b *testing.B) {
	data := value(64 << 20)
	l, _ := NewLayout(int64(len(data)), 0)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h := NewHasher(l)
		_, _ = h.Write(data)
		_, _ = h.Sum()
	}
}

func BenchmarkVerifier(b *testing.B) {
	data := value(64 << 20)
	tr := build(b, data, 0, len(data))
	msgs := stream(b, tr, data, 0)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		v := NewVerifier(tr.Layout(), tr.Root())
		for _, m := range msgs {
			if err := v.Verify(m.proof, m.data); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestTreeFromLeaves(t *testing.T) {
	for _, n := range []int{0, 1, MinChunkSize, 5*MinChunkSize + 3} {
		data := value(n)
		tr := build(t, data, MinChunkSize, 100)
		leaves := tr.AppendLeaves(nil)
		if want := int(tr.Layout().Chunks()) * 32; len(leaves) != want {
			t.Fatalf("%d bytes: %d bytes of leaves, want %d", n, len(leaves), want)
		}
		again, err := TreeFromLeaves(tr.Layout(), tr.Root(), leaves)
		if err != nil {
			t.Fatal(err)
		}
		got, err := receive(NewVerifier(again.Layout(), again.Root()), stream(t, again, data, 0))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: stream from rebuilt tree: %v", n, err)
		}
		leaves[len(leaves)-1] ^= 1
		if _, err := TreeFromLeaves(tr.Layout(), tr.Root(), leaves); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%d bytes: corrupted leaves: %v", n, err)
		}
		if _, err := TreeFromLeaves(tr.Layout(), tr.Root(), leaves[1:]); !errors.Is(err, ErrSize) {
			t.Fatalf("%d bytes: short leaves: %v", n, err)
		}
	}
}
