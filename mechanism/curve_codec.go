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

// curveMessageHead is a MESSAGE's bytes before its box: the command name
// (8) and the short nonce (8).
const curveMessageHead = 16

func newCurveCodec(key *[32]byte, sendPrefix, recvPrefix string, sent, recvd uint64) *curveCodec {
	var sp, rp [16]byte
	copy(sp[:], sendPrefix)
	copy(rp[:], recvPrefix)
	return &curveCodec{sendBox: newFixedPrefixBox(key, &sp), recvBox: newFixedPrefixBox(key, &rp), sent: sent, recvd: recvd}
}

// Seal appends one MESSAGE as an ordinary message frame (outer flags 0x00,
// or 0x02 when long; never COMMAND or MORE on the outside, as libzmq sends
// it), carrying flags inside the box. It encrypts in place in dst: it
// allocates nothing when dst has room for the frame, whose spare capacity
// must not overlap body.
func (c *curveCodec) Seal(dst []byte, flags byte, body []byte) ([]byte, error) {
	if c.sent == math.MaxUint64 {
		return dst, ErrNonceExhausted
	}
	c.sent++
	dst = zmtp.AppendHeader(dst, 0, curveMessageMin+len(body))
	// The command name and nonce (16 bytes) and the tag (16) come just
	// before the ciphertext: the 32 bytes sealInPlace takes as scratch.
	// They are written once the box is sealed.
	at := len(dst)
	dst = slices.Grow(dst, curveMessageMin+len(body))[:at+curveMessageMin+len(body)]
	var inner byte
	if flags&FlagMore != 0 {
		inner |= curveInnerMore
	}
	if flags&FlagCommand != 0 {
		inner |= curveInnerCommand
	}
	pt := at + curveMessageHead + boxTagSize
	dst[pt] = inner
	copy(dst[pt+1:], body)
	tag := c.sendBox.sealInPlace(dst[at:], c.sent)
	w := zmtp.AppendCommand(dst[at:at], zmtp.CmdMessage)
	w = binary.BigEndian.AppendUint64(w, c.sent)
	_ = append(w, tag[:]...)
	return dst, nil
}

// Open checks and opens one MESSAGE. The outer COMMAND bit may be set or
// not (libzmq never sets it; we accept both). The nonce must be above every
// nonce seen before. The returned body is the only allocation.
func (c *curveCodec) Open(wireFlags byte, wire []byte) (byte, []byte, error) {
	return c.OpenInto(wireFlags, wire, nil)
}

// OpenSpace is the memory OpenInto needs for a MESSAGE of wire bytes: the
// inner flags byte and body, and 32 bytes of scratch before them.
func (c *curveCodec) OpenSpace(wire int) int {
	return max(wire-curveMessageHead-boxTagSize, 0) + boxZeroSize
}

// OpenInto is Open decrypting into space (at least OpenSpace bytes, not
// overlapping wire; shorter: new memory). The body returned ends the
// first OpenSpace bytes of space; the 32 bytes of scratch before its
// flags byte are cleared.
func (c *curveCodec) OpenInto(wireFlags byte, wire, space []byte) (byte, []byte, error) {
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
	if need := c.OpenSpace(len(wire)); len(space) < need {
		space = make([]byte, need)
	}
	plain, ok := c.recvBox.openInto(space, wire[curveMessageHead:], n)
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
