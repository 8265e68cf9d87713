package mechanism

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/salsa20/salsa"
)

// The specialised box must be byte for byte NaCl's secretbox.
func TestFixedPrefixBoxMatchesSecretbox(t *testing.T) {
	var key [32]byte
	rand.Read(key[:])
	var prefix [16]byte
	copy(prefix[:], "CurveZMQMESSAGEC")
	b := newFixedPrefixBox(&key, &prefix)
	for _, n := range []int{0, 1, 16, 31, 32, 33, 63, 64, 65, 100, 1024, 65536 + 7} {
		msg := make([]byte, n)
		rand.Read(msg)
		for _, tail := range []uint64{0, 1, 3, 1 << 40, ^uint64(0)} {
			var nonce [24]byte
			copy(nonce[:], prefix[:])
			binary.BigEndian.PutUint64(nonce[16:], tail)
			want := secretbox.Seal([]byte("hdr"), msg, &nonce, &key)
			got := b.seal([]byte("hdr"), msg, tail)
			if !bytes.Equal(got, want) {
				t.Fatalf("seal of %d bytes, tail %d differs from secretbox", n, tail)
			}
			plain, ok := b.open(got[3:], tail)
			if !ok || !bytes.Equal(plain, msg) {
				t.Fatalf("open of %d bytes, tail %d failed", n, tail)
			}
			if n > 0 {
				bad := bytes.Clone(got[3:])
				bad[len(bad)-1] ^= 1
				if _, ok := b.open(bad, tail); ok {
					t.Fatal("tampered box opened")
				}
			}
			if _, ok := b.open(got[3:], tail+1); ok {
				t.Fatal("box opened under another nonce")
			}
		}
	}
	if _, ok := b.open(make([]byte, 15), 1); ok {
		t.Fatal("short box opened")
	}
}

// seal appends tag ‖ ciphertext of msg under the nonce prefix ‖ tail, the
// layout of secretbox.Seal, so sealInPlace can be compared with it.
func (b *fixedPrefixBox) seal(out, msg []byte, tail uint64) []byte {
	buf := make([]byte, boxZeroSize+len(msg))
	copy(buf[boxZeroSize:], msg)
	tag := b.sealInPlace(buf, tail)
	out = append(out, tag[:]...)
	return append(out, buf[boxZeroSize:]...)
}

// OpenInto decrypts into the first OpenSpace bytes of the memory it is
// given (the engine's slabs), the body last, replaces memory that is too short, and leaves nothing of a
// tampered box behind.
func TestCurveOpenIntoSpace(t *testing.T) {
	fx := getCurveFixture()
	for _, n := range []int{0, 16, 31, 32, 1024, 5000} {
		client, server := fx.clientCodec, fx.serverCodec
		body := pattern(n)
		f := mustSeal(t, &client, FlagMore, body)
		need := server.OpenSpace(len(f.body))
		if need != n+1+boxZeroSize {
			t.Fatalf("OpenSpace(%d) = %d, want %d", len(f.body), need, n+1+boxZeroSize)
		}
		space := make([]byte, need+7)
		flags, got, err := server.OpenInto(f.flags, f.body, space)
		if err != nil || flags != FlagMore || !bytes.Equal(got, body) {
			t.Fatalf("%d bytes: %#x %v", n, flags, err)
		}
		if n > 0 && &got[0] != &space[need-n] {
			t.Fatalf("%d bytes: the body does not end OpenSpace's bytes", n)
		}
		if !bytes.Equal(space[:boxZeroSize], make([]byte, boxZeroSize)) {
			t.Fatalf("%d bytes: scratch not cleared: %x", n, space[:boxZeroSize])
		}

		f = mustSeal(t, &client, 0, body)
		_, got, err = server.OpenInto(f.flags, f.body, make([]byte, need-1))
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%d bytes into short space: %v", n, err)
		}

		f = mustSeal(t, &client, 0, body)
		f.body[len(f.body)-1] ^= 1
		space = make([]byte, need)
		if _, _, err := server.OpenInto(f.flags, f.body, space); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("%d bytes tampered: %v", n, err)
		}
		if !bytes.Equal(space, make([]byte, need)) {
			t.Fatalf("%d bytes tampered: space not cleared", n)
		}
	}
}

// xorKeyStream (16 blocks at a time with AVX-512) must give x/crypto's
// keystream for every length, in place, from any block counter, across
// a wrap of the counter's low word.
func TestXORKeyStreamMatchesXCrypto(t *testing.T) {
	t.Logf("AVX-512 keystream: %v", haveSalsa20x16)
	var key [32]byte
	rand.Read(key[:])
	for _, n := range []int{0, 1, 63, 64, 511, 512, 513, 1023, 1024, 1025, 1057, 2048, 3000, 65536 + 7} {
		for _, first := range []uint64{0, 1, 1<<32 - 20, 1<<32 - 16, 1<<32 - 1, 1<<40 + 3} {
			var c1, c2 [16]byte
			rand.Read(c1[:8])
			binary.LittleEndian.PutUint64(c1[8:], first)
			c2 = c1
			src := make([]byte, n)
			rand.Read(src)
			want := make([]byte, n)
			salsa.XORKeyStream(want, src, &c1, &key)
			got := bytes.Clone(src)
			xorKeyStream(got, &c2, &key)
			if !bytes.Equal(got, want) {
				t.Fatalf("%d bytes from block %d differ from x/crypto", n, first)
			}
		}
	}
}

// Small boxes take their first keystream block from the blocks made 16
// nonces at a time: a run of nonces, crossing refills, one going back and
// one jumping ahead must all seal and open as secretbox does.
func TestSmallBoxesAcrossNonceRuns(t *testing.T) {
	var key [32]byte
	rand.Read(key[:])
	var prefix [16]byte
	copy(prefix[:], "CurveZMQMESSAGES")
	tx, rx := newFixedPrefixBox(&key, &prefix), newFixedPrefixBox(&key, &prefix)
	var tails []uint64
	for i := uint64(5); i < 45; i++ {
		tails = append(tails, i)
	}
	tails = append(tails, 7, 1000, 1001, 1<<63, 17)
	for i, tail := range tails {
		msg := make([]byte, i%33)
		rand.Read(msg)
		var nonce [24]byte
		copy(nonce[:], prefix[:])
		binary.BigEndian.PutUint64(nonce[16:], tail)
		want := secretbox.Seal(nil, msg, &nonce, &key)
		if got := tx.seal(nil, msg, tail); !bytes.Equal(got, want) {
			t.Fatalf("nonce %d, %d bytes: seal differs from secretbox", tail, len(msg))
		}
		plain, ok := rx.open(want, tail)
		if !ok || !bytes.Equal(plain, msg) {
			t.Fatalf("nonce %d, %d bytes: open failed", tail, len(msg))
		}
	}
}
