package mechanism

import (
	"crypto/subtle"
	"slices"

	"golang.org/x/crypto/poly1305" //nolint:staticcheck // the one-time MAC of NaCl's box, used exactly as the construction requires
	"golang.org/x/crypto/salsa20/salsa"
)

// fixedPrefixBox is NaCl's secretbox (XSalsa20-Poly1305) specialised for a
// nonce whose first 16 bytes never change, as CurveZMQ's MESSAGE nonces
// ("CurveZMQMESSAGEC"/"...S" then an 8-byte counter). XSalsa20 derives a
// subkey from the key and those 16 bytes with HSalsa20; secretbox redoes
// that for every message, which was a fifth of CURVE's cost per message.
// Here it is done once per direction. The output is byte for byte
// secretbox's (tested against it).
type fixedPrefixBox struct {
	subKey [32]byte
}

func newFixedPrefixBox(key *[32]byte, prefix *[16]byte) *fixedPrefixBox {
	b := &fixedPrefixBox{}
	salsa.HSalsa20(&b.subKey, prefix, key, &salsa.Sigma)
	return b
}

const boxTagSize = poly1305.TagSize

// seal appends tag ‖ ciphertext of msg under the nonce prefix ‖ tail.
// msg and the appended bytes must not overlap.
func (b *fixedPrefixBox) seal(out, msg []byte, tail uint64) []byte {
	var counter [16]byte
	putTail(&counter, tail)
	// The first 64-byte block of keystream: 32 bytes for the Poly1305 key,
	// 32 to encrypt the first 32 bytes of the message.
	var block [64]byte
	salsa.XORKeyStream(block[:], block[:], &counter, &b.subKey)
	var polyKey [32]byte
	copy(polyKey[:], block[:32])

	start := len(out)
	out = slices.Grow(out, boxTagSize+len(msg))
	out = out[:start+boxTagSize+len(msg)]
	ct := out[start+boxTagSize:]
	n := min(len(msg), 32)
	for i := 0; i < n; i++ {
		ct[i] = msg[i] ^ block[32+i]
	}
	if len(msg) > n {
		counter[8] = 1
		salsa.XORKeyStream(ct[n:], msg[n:], &counter, &b.subKey)
	}
	var tag [16]byte
	poly1305.Sum(&tag, ct, &polyKey)
	copy(out[start:], tag[:])
	clear(block[:])
	clear(polyKey[:])
	return out
}

// open checks and decrypts box (tag ‖ ciphertext) under the nonce prefix ‖
// tail into a new slice; ok is false if the box was tampered with.
func (b *fixedPrefixBox) open(box []byte, tail uint64) ([]byte, bool) {
	if len(box) < boxTagSize {
		return nil, false
	}
	var counter [16]byte
	putTail(&counter, tail)
	var block [64]byte
	salsa.XORKeyStream(block[:], block[:], &counter, &b.subKey)
	var polyKey [32]byte
	copy(polyKey[:], block[:32])
	var tag [16]byte
	copy(tag[:], box[:boxTagSize])
	ct := box[boxTagSize:]
	var want [16]byte
	poly1305.Sum(&want, ct, &polyKey)
	clear(polyKey[:])
	if subtle.ConstantTimeCompare(want[:], tag[:]) != 1 {
		clear(block[:])
		return nil, false
	}
	plain := make([]byte, len(ct))
	n := min(len(ct), 32)
	for i := 0; i < n; i++ {
		plain[i] = ct[i] ^ block[32+i]
	}
	if len(ct) > n {
		counter[8] = 1
		salsa.XORKeyStream(plain[n:], ct[n:], &counter, &b.subKey)
	}
	clear(block[:])
	return plain, true
}

// putTail writes the nonce's last 8 bytes (big-endian, as CurveZMQ's
// short nonces) as Salsa20's nonce; the block counter starts at 0.
func putTail(counter *[16]byte, tail uint64) {
	for i := 7; i >= 0; i-- {
		counter[i] = byte(tail)
		tail >>= 8
	}
}
