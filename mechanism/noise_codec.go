package mechanism

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"

	"github.com/flynn/noise"
	"github.com/zmesh/zmesh/internal/zmtp"
	"golang.org/x/crypto/chacha20poly1305"
)

// Associated data of NOISE transport messages (see NOISE.md): the frame's
// MORE and COMMAND bits, as they also travel in clear in the wire frame's
// flags, plus noiseADLast on a frame's last chunk, so a frame cut short by
// whole chunks does not open. READY uses a value no frame can produce.
const (
	noiseADFlags = FlagMore | FlagCommand
	noiseADLast  = 0x80
	noiseADReady = 0x40
)

// noiseCodec seals and opens NOISE transport messages. The writer
// goroutine owns send, the reader goroutine owns recv.
type noiseCodec struct {
	send, recv noiseDir
}

// noiseDir is one direction's transport state. The CipherState from the
// handshake is kept for its Rekey (Noise §11.3); messages are sealed with
// an AEAD built from its key and a nonce buffer of our own, which is what
// CipherState.Encrypt does, without allocating per message.
type noiseDir struct {
	cs    *noise.CipherState
	aead  cipher.AEAD
	n     uint64 // nonce of the next message
	count uint64 // messages under the current key
	every uint64 // rekey after this many messages
	nonce [chacha20poly1305.NonceSize]byte
	ad    [1]byte
	err   error // a failed rekey leaves the direction unusable
}

func newNoiseCodec(send, recv *noise.CipherState, every uint64) *noiseCodec {
	c := &noiseCodec{}
	c.send.init(send, every)
	c.recv.init(recv, every)
	return c
}

func (d *noiseDir) init(cs *noise.CipherState, every uint64) {
	d.cs, d.every = cs, every
	d.n = cs.Nonce()
	d.rebuild()
}

// rebuild makes the AEAD for the CipherState's current key.
func (d *noiseDir) rebuild() {
	k := d.cs.UnsafeKey()
	d.aead, d.err = chacha20poly1305.New(k[:])
	clear(k[:])
}

// advance counts one message and rekeys every d.every messages.
func (d *noiseDir) advance() {
	d.n++
	d.count++
	if d.count == d.every {
		d.count = 0
		d.cs.Rekey()
		d.rebuild()
	}
}

func (d *noiseDir) setNonce() error {
	if d.err != nil {
		return d.err
	}
	if d.n > noise.MaxNonce {
		return ErrNonceExhausted
	}
	// Noise's ChaChaPoly nonce: 4 zero bytes, then n little-endian.
	binary.LittleEndian.PutUint64(d.nonce[4:], d.n)
	return nil
}

// seal appends one transport message (ciphertext ‖ tag) to dst.
func (d *noiseDir) seal(dst, plain []byte, ad byte) ([]byte, error) {
	if err := d.setNonce(); err != nil {
		return dst, err
	}
	d.ad[0] = ad
	dst = d.aead.Seal(dst, d.nonce[:], plain, d.ad[:])
	d.advance()
	return dst, nil
}

// open appends the plaintext of one transport message to dst.
func (d *noiseDir) open(dst, msg []byte, ad byte) ([]byte, error) {
	if err := d.setNonce(); err != nil {
		return nil, err
	}
	d.ad[0] = ad
	out, err := d.aead.Open(dst, d.nonce[:], msg, d.ad[:])
	if err != nil {
		return nil, ErrDecrypt
	}
	d.advance()
	return out, nil
}

// noiseChunks is how many transport messages carry a body of n bytes.
func noiseChunks(n int) int {
	if n == 0 {
		return 1
	}
	return (n + noiseMaxChunk - 1) / noiseMaxChunk
}

// Seal appends one wire frame: the frame's MORE and COMMAND flags in clear
// (plus LONG when the body is over 255 bytes), and a body of one Noise
// transport message per 65 519 bytes of the frame's body (at least one),
// each authenticating the flags. It allocates nothing when dst has room;
// the spare capacity of dst must not overlap body.
func (c *noiseCodec) Seal(dst []byte, flags byte, body []byte) ([]byte, error) {
	chunks := noiseChunks(len(body))
	size := len(body) + chunks*noiseTagSize
	flags &= noiseADFlags
	dst = zmtp.AppendHeader(dst, flags, size)
	var err error
	for i := 0; i < chunks; i++ {
		chunk := body[i*noiseMaxChunk : min(len(body), (i+1)*noiseMaxChunk)]
		if dst, err = c.send.seal(dst, chunk, chunkAD(flags, i, chunks)); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// chunkAD is the associated data of chunk i of a frame's n: the frame's
// flags, with noiseADLast on the last chunk.
func chunkAD(flags byte, i, n int) byte {
	if i == n-1 {
		return flags | noiseADLast
	}
	return flags
}

// Open checks and opens one wire frame's body. Its chunks are 65 535-byte
// transport messages but the last, as Seal lays them out; anything else is
// malformed. The flags returned are the wire's MORE and COMMAND bits, which
// every chunk authenticated. The body is the only allocation.
func (c *noiseCodec) Open(wireFlags byte, wire []byte) (byte, []byte, error) {
	if len(wire) < noiseTagSize {
		return 0, nil, fmt.Errorf("%w: NOISE frame of %d bytes", ErrMalformed, len(wire))
	}
	chunks := (len(wire) + noiseMaxMessage - 1) / noiseMaxMessage
	last := len(wire) - (chunks-1)*noiseMaxMessage
	if last < noiseTagSize || (chunks > 1 && last == noiseTagSize) {
		return 0, nil, fmt.Errorf("%w: NOISE frame of %d bytes ends in a %d-byte chunk", ErrMalformed, len(wire), last)
	}
	flags := wireFlags & noiseADFlags
	body := make([]byte, 0, len(wire)-chunks*noiseTagSize)
	var err error
	for i := 0; i < chunks; i++ {
		msg := wire[i*noiseMaxMessage : min(len(wire), (i+1)*noiseMaxMessage)]
		if body, err = c.recv.open(body, msg, chunkAD(flags, i, chunks)); err != nil {
			return 0, nil, fmt.Errorf("NOISE frame, chunk %d of %d: %w", i+1, chunks, err)
		}
	}
	return flags, body, nil
}

// Overhead is 16 bytes per 65 519 bytes of body (at least 16).
func (c *noiseCodec) Overhead(bodyLen int) int { return noiseChunks(bodyLen) * noiseTagSize }

// sealReady appends READY's data: the server's properties as its first
// transport message.
func (c *noiseCodec) sealReady(dst, md []byte) ([]byte, error) {
	return c.send.seal(dst, md, noiseADReady)
}

// openReady opens READY's data.
func (c *noiseCodec) openReady(msg []byte) ([]byte, error) {
	if len(msg) < noiseTagSize || len(msg) > noiseMaxMessage {
		return nil, fmt.Errorf("%w: NOISE READY of %d bytes", ErrMalformed, len(msg))
	}
	return c.recv.open(nil, msg, noiseADReady)
}
