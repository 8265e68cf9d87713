package mechanism

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// curveCodec seals and opens CURVE MESSAGE commands (CURVE.md) with the
// connection's precomputed box key. The writer goroutine owns the send
// half (sendBox, sent), the reader goroutine the receive half (recvBox,
// recvd). Each direction's nonce prefix is fixed, so its XSalsa20 subkey is
// derived once (fixedPrefixBox) rather than per message.
type curveCodec struct {
	sendBox *fixedPrefixBox // our prefix
	recvBox *fixedPrefixBox // the peer's prefix
	sent    uint64          // last short nonce we sent
	recvd   uint64          // last short nonce we accepted
}

// curve inner flags: libzmq carries COMMAND in bit 1, which RFC 26 calls
// reserved.
const (
	curveInnerMore    = 0x01
	curveInnerCommand = 0x02
)

func newCurveCodec(key *[32]byte, sendPrefix, recvPrefix string, sent, recvd uint64) *curveCodec {
	var sp, rp [16]byte
	copy(sp[:], sendPrefix)
	copy(rp[:], recvPrefix)
	return &curveCodec{sendBox: newFixedPrefixBox(key, &sp), recvBox: newFixedPrefixBox(key, &rp), sent: sent, recvd: recvd}
}

// Seal appends one MESSAGE as an ordinary message frame (outer flags 0x00,
// or 0x02 when long; never COMMAND or MORE on the outside, as libzmq sends
// it), carrying flags inside the box. It allocates nothing when dst has
// room for the frame plus a copy of body; the spare capacity of dst must
// not overlap body.
func (c *curveCodec) Seal(dst []byte, flags byte, body []byte) ([]byte, error) {
	if c.sent == math.MaxUint64 {
		return dst, ErrNonceExhausted
	}
	c.sent++
	dst = zmtp.AppendHeader(dst, 0, curveMessageMin+len(body))
	dst = zmtp.AppendCommand(dst, zmtp.CmdMessage)
	dst = binary.BigEndian.AppendUint64(dst, c.sent)

	// secretbox needs the flags byte and the body contiguous, and its
	// output may not overlap its input. Rather than keep a scratch buffer
	// per connection, lay the plaintext out in dst's spare capacity just
	// past where the box will end, seal, and wipe the copy.
	boxAt := len(dst)
	ptAt := boxAt + curveBoxOverhead + 1 + len(body)
	dst = slices.Grow(dst, ptAt+1+len(body)-boxAt)
	pt := dst[ptAt : ptAt+1+len(body)]
	var inner byte
	if flags&FlagMore != 0 {
		inner |= curveInnerMore
	}
	if flags&FlagCommand != 0 {
		inner |= curveInnerCommand
	}
	pt[0] = inner
	copy(pt[1:], body)
	dst = c.sendBox.seal(dst, pt, c.sent)
	clear(pt)
	return dst, nil
}

// Open checks and opens one MESSAGE. The outer COMMAND bit may be set or
// not (libzmq never sets it; we accept both). The nonce must be above every
// nonce seen before. The returned body is the only allocation.
func (c *curveCodec) Open(wireFlags byte, wire []byte) (byte, []byte, error) {
	if len(wire) < curveMessageMin || !zmtp.IsCommand(wire, "MESSAGE") {
		if len(wire) >= 6 && zmtp.IsCommand(wire, "ERROR") {
			return 0, nil, fmt.Errorf("%w: peer sent ERROR: %s", ErrMalformed, zmtp.ParseError(wire[6:]))
		}
		return 0, nil, fmt.Errorf("%w: not a CURVE MESSAGE (%d bytes)", ErrMalformed, len(wire))
	}
	n := binary.BigEndian.Uint64(wire[8:16])
	if n <= c.recvd {
		return 0, nil, fmt.Errorf("%w: CURVE MESSAGE nonce %d after %d", ErrReplay, n, c.recvd)
	}
	plain, ok := c.recvBox.open(wire[16:], n)
	if !ok {
		return 0, nil, fmt.Errorf("%w: CURVE MESSAGE with nonce %d", ErrDecrypt, n)
	}
	c.recvd = n
	var flags byte
	if plain[0]&curveInnerMore != 0 {
		flags |= FlagMore
	}
	if plain[0]&curveInnerCommand != 0 {
		flags |= FlagCommand
	}
	return flags, plain[1:], nil
}

// Overhead is 33 bytes: the MESSAGE name, the nonce, the box's tag and the
// flags byte.
func (c *curveCodec) Overhead(int) int { return curveMessageMin }
