package vstream

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzStream sends fuzzed values through a Hasher and a Verifier: every
// value must come through whole, and the stream with one bit flipped
// anywhere (a chunk or a proof) must be refused with ErrCorrupt, never
// accepted and never a panic.
func FuzzStream(f *testing.F) {
	f.Add([]byte{}, uint8(0), uint32(0))
	f.Add([]byte("x"), uint8(0), uint32(3))
	f.Add(value(MinChunkSize), uint8(1), uint32(1000))
	f.Add(value(5*MinChunkSize+1), uint8(0), uint32(77777))
	f.Add(value(9*MinChunkSize-1), uint8(2), uint32(5000))
	f.Fuzz(func(t *testing.T, data []byte, shift uint8, flip uint32) {
		cs := MinChunkSize << (shift % 3)
		tr := build(t, data, cs, 1+int(flip%5000))
		msgs := stream(t, tr, data, 0)
		got, err := receive(NewVerifier(tr.Layout(), tr.Root()), msgs)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: err %v, equal %v", err, bytes.Equal(got, data))
		}
		total := 0
		for _, m := range msgs {
			total += len(m.proof) + len(m.data)
		}
		if total == 0 {
			return
		}
		pos := int(flip) % (total * 8)
		for i, m := range msgs {
			p, d := bytes.Clone(m.proof), bytes.Clone(m.data)
			switch n := len(p) * 8; {
			case pos < n:
				p[pos/8] ^= 1 << (pos % 8)
			case pos < n+len(d)*8:
				pos -= n
				d[pos/8] ^= 1 << (pos % 8)
			default:
				pos -= n + len(d)*8
				continue
			}
			bad := append([]sent(nil), msgs...)
			bad[i] = sent{p, d}
			if _, err := receive(NewVerifier(tr.Layout(), tr.Root()), bad); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("bit flipped in chunk %d: %v, want ErrCorrupt", i, err)
			}
			return
		}
	})
}

// FuzzVerifier feeds arbitrary proofs and chunks to a Verifier: it must
// refuse them with one of its errors, never panic.
func FuzzVerifier(f *testing.F) {
	f.Add(int64(0), []byte{}, []byte{})
	f.Add(int64(3000), make([]byte, 2*ParentLen), make([]byte, MinChunkSize))
	f.Add(int64(-5), []byte{1}, []byte{2})
	f.Fuzz(func(t *testing.T, size int64, proof, chunk []byte) {
		l, err := NewLayout(size%(1<<20), MinChunkSize)
		if err != nil {
			return
		}
		v := NewVerifier(l, Sum([]byte("root")))
		for range 3 {
			err := v.Verify(proof, chunk)
			if err == nil {
				t.Fatal("a forged chunk was accepted")
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrProof) && !errors.Is(err, ErrSize) && !errors.Is(err, ErrExtraChunk) {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}
