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
	block := b.firstBlock(&counter, tail)
	start := len(out)
	out = slices.Grow(out, boxTagSize+len(msg))
	out = out[:start+boxTagSize+len(msg)]
	ct := out[start+boxTagSize:]
	b.xorKeyStream(ct, msg, &block, &counter)
	var tag [16]byte
	poly1305.Sum(&tag, ct, (*[32]byte)(block[:32]))
	copy(out[start:], tag[:])
	clear(block[:])
	return out
}

// open checks and decrypts box (tag ‖ ciphertext) under the nonce prefix ‖
// tail into a new slice; ok is false if the box was tampered with.
func (b *fixedPrefixBox) open(box []byte, tail uint64) ([]byte, bool) {
	if len(box) < boxTagSize {
		return nil, false
	}
	var counter [16]byte
	block := b.firstBlock(&counter, tail)
	ct := box[boxTagSize:]
	var want [16]byte
	poly1305.Sum(&want, ct, (*[32]byte)(block[:32]))
	if subtle.ConstantTimeCompare(want[:], box[:boxTagSize]) != 1 {
		clear(block[:])
		return nil, false
	}
	plain := make([]byte, len(ct))
	b.xorKeyStream(plain, ct, &block, &counter)
	clear(block[:])
	return plain, true
}

// firstBlock sets counter to the nonce's tail and returns the first 64-byte
// block of keystream: 32 bytes of Poly1305 key, then 32 bytes to encrypt
// the first 32 bytes of the message.
func (b *fixedPrefixBox) firstBlock(counter *[16]byte, tail uint64) (block [64]byte) {
	putTail(counter, tail)
	salsa.XORKeyStream(block[:], block[:], counter, &b.subKey)
	return block
}

// xorKeyStream XORs src into dst with the message's keystream: the second
// half of the first block, then the blocks from counter 1 on.
func (b *fixedPrefixBox) xorKeyStream(dst, src []byte, block *[64]byte, counter *[16]byte) {
	n := min(len(src), 32)
	for i := 0; i < n; i++ {
		dst[i] = src[i] ^ block[32+i]
	}
	if len(src) > n {
		counter[8] = 1
		salsa.XORKeyStream(dst[n:], src[n:], counter, &b.subKey)
	}
}

// putTail writes the nonce's last 8 bytes (big-endian, as CurveZMQ's
// short nonces) as Salsa20's nonce; the block counter starts at 0.
func putTail(counter *[16]byte, tail uint64) {
	for i := 7; i >= 0; i-- {
		counter[i] = byte(tail)
		tail >>= 8
	}
}
