package mechanism

import (
	"crypto/subtle"
	"encoding/binary"

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
//
// Both directions run the keystream in one call over 32 zero bytes (which
// become the Poly1305 key, as in secretbox's definition) followed by the
// message, in place: x/crypto's Salsa20 runs four blocks at a time for
// each whole 256 bytes and one at a time for the rest, so one call over
// the whole box leaves at most one partial group of blocks, where a first
// block computed apart (for the Poly1305 key) and then the message from
// block 1 on left two, and a third more of a 1 KiB message's keystream on
// the slow path.
//
// A box of up to 32 bytes needs only its nonce's first keystream block
// (32 bytes of Poly1305 key, 32 to encrypt with), which x/crypto makes at
// some 170 ns, most of a 16-byte message's cost. With AVX-512 the first
// blocks of 16 nonces in a row are made at once instead (first), for the
// boxes to come: nonces only grow, by one per message.
type fixedPrefixBox struct {
	subKey  [32]byte
	first   *[1024]byte // the first blocks of nonces firstAt to firstAt+15; nil until a small box
	firstAt uint64
}

func newFixedPrefixBox(key *[32]byte, prefix *[16]byte) *fixedPrefixBox {
	b := &fixedPrefixBox{}
	salsa.HSalsa20(&b.subKey, prefix, key, &salsa.Sigma)
	return b
}

const (
	boxTagSize  = poly1305.TagSize
	boxZeroSize = 32 // the keystream bytes that make the Poly1305 key
)

// sealInPlace encrypts buf[boxZeroSize:] in place under the nonce prefix ‖
// tail and returns its tag. buf[:boxZeroSize] is scratch: it is
// overwritten, then cleared.
func (b *fixedPrefixBox) sealInPlace(buf []byte, tail uint64) (tag [boxTagSize]byte) {
	if haveSalsa20x16 && len(buf) <= 64 {
		block := b.firstBlock(tail)
		msg := buf[boxZeroSize:]
		subtle.XORBytes(msg, msg, block[boxZeroSize:])
		poly1305.Sum(&tag, msg, (*[32]byte)(block[:boxZeroSize]))
		clear(buf[:boxZeroSize])
		return tag
	}
	clear(buf[:boxZeroSize])
	var counter [16]byte
	putTail(&counter, tail)
	xorKeyStream(buf, &counter, &b.subKey)
	poly1305.Sum(&tag, buf[boxZeroSize:], (*[32]byte)(buf[:boxZeroSize]))
	clear(buf[:boxZeroSize])
	return tag
}

// openInto checks box (tag ‖ ciphertext) under the nonce prefix ‖ tail and
// decrypts it into space, which must hold boxZeroSize more bytes than the
// ciphertext and not overlap box. It returns the plaintext, the end of
// space; ok is false (and space cleared) if the box was tampered with.
func (b *fixedPrefixBox) openInto(space, box []byte, tail uint64) ([]byte, bool) {
	if len(box) < boxTagSize {
		return nil, false
	}
	ct := box[boxTagSize:]
	space = space[:boxZeroSize+len(ct)]
	if haveSalsa20x16 && len(ct) <= 32 {
		block := b.firstBlock(tail)
		var want [boxTagSize]byte
		poly1305.Sum(&want, ct, (*[32]byte)(block[:boxZeroSize]))
		ok := subtle.ConstantTimeCompare(want[:], box[:boxTagSize]) == 1
		if ok {
			subtle.XORBytes(space[boxZeroSize:], ct, block[boxZeroSize:])
		}
		clear(space[:boxZeroSize])
		if !ok {
			return nil, false
		}
		return space[boxZeroSize:], true
	}
	clear(space[:boxZeroSize])
	copy(space[boxZeroSize:], ct)
	var counter [16]byte
	putTail(&counter, tail)
	xorKeyStream(space, &counter, &b.subKey)
	var want [boxTagSize]byte
	poly1305.Sum(&want, ct, (*[32]byte)(space[:boxZeroSize]))
	if subtle.ConstantTimeCompare(want[:], box[:boxTagSize]) != 1 {
		clear(space)
		return nil, false
	}
	clear(space[:boxZeroSize])
	return space[boxZeroSize:], true
}

// open checks and decrypts box (tag ‖ ciphertext) under the nonce prefix ‖
// tail into new memory; ok is false if the box was tampered with.
func (b *fixedPrefixBox) open(box []byte, tail uint64) ([]byte, bool) {
	if len(box) < boxTagSize {
		return nil, false
	}
	return b.openInto(make([]byte, boxZeroSize+len(box)-boxTagSize), box, tail)
}

// firstBlock returns the first keystream block of nonce prefix ‖ tail,
// from first, which it fills with the blocks of tail to tail+15 when tail
// is not among them. The block stays there (the key it comes from is in
// memory anyway) until the next fill.
func (b *fixedPrefixBox) firstBlock(tail uint64) []byte {
	if b.first == nil || tail-b.firstAt >= 16 {
		if b.first == nil {
			b.first = new([1024]byte)
		}
		var w [4][16]uint32 // words 8 and 9, the block counter, are 0
		var c [8]byte
		for j := range 16 {
			binary.BigEndian.PutUint64(c[:], tail+uint64(j))
			w[0][j], w[1][j] = binary.LittleEndian.Uint32(c[0:]), binary.LittleEndian.Uint32(c[4:])
		}
		salsa20x16(b.first, &b.subKey, &w)
		b.firstAt = tail
	}
	i := tail - b.firstAt
	return b.first[i*64 : i*64+64]
}

// x16Min is the shortest stretch of keystream worth 16 blocks at once
// (salsa20x16): from 512 bytes on they cost less than x/crypto's blocks,
// four at a time.
const x16Min = 512

// xorKeyStream XORs Salsa20/20's keystream under key and counter (nonce,
// then the first block's number) into buf in place, 16 blocks at a time
// where the processor has AVX-512 (salsa20x16), the rest with x/crypto.
// counter is advanced past the blocks salsa20x16 made.
func xorKeyStream(buf []byte, counter *[16]byte, key *[32]byte) {
	if haveSalsa20x16 && len(buf) >= x16Min {
		var ks [1024]byte
		var w [4][16]uint32
		n0, n1 := binary.LittleEndian.Uint32(counter[0:]), binary.LittleEndian.Uint32(counter[4:])
		for len(buf) >= x16Min {
			block := binary.LittleEndian.Uint64(counter[8:])
			for j := range 16 {
				b := block + uint64(j)
				w[0][j], w[1][j], w[2][j], w[3][j] = n0, n1, uint32(b), uint32(b>>32)
			}
			salsa20x16(&ks, key, &w)
			n := subtle.XORBytes(buf, buf, ks[:])
			buf = buf[n:]
			binary.LittleEndian.PutUint64(counter[8:], block+16)
		}
		clear(ks[:])
	}
	if len(buf) > 0 {
		salsa.XORKeyStream(buf, buf, counter, key)
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
