package mechanism

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"testing"

	"golang.org/x/crypto/nacl/secretbox"
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
