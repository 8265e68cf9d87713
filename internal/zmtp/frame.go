package zmtp

import (
	"encoding/binary"
	"math"
)

// Frame flags: the first byte of every frame. Bits 3 to 7 are reserved
// and must be zero.
const (
	FlagMore    byte = 0x01 // another frame of the same message follows
	FlagLong    byte = 0x02 // the size is 8 bytes, not 1
	FlagCommand byte = 0x04 // a command frame, not a message frame

	flagsKnown = FlagMore | FlagLong | FlagCommand
)

// Header sizes and the largest body a short header can announce.
const (
	ShortHeaderLen = 2   // flags, 1-byte size
	LongHeaderLen  = 9   // flags, 8-byte big-endian size
	MaxShortSize   = 255 // larger bodies get a long header
)

// HeaderLen is the length of the header AppendHeader writes for an n-byte
// body: short up to MaxShortSize, long above, as libzmq does.
func HeaderLen(n int) int {
	if n <= MaxShortSize {
		return ShortHeaderLen
	}
	return LongHeaderLen
}

// AppendHeader appends the header of a frame with the given flags (FlagMore,
// FlagCommand) and an n-byte body: a short header up to 255 bytes, a long
// one above, as libzmq sends them. FlagLong in flags is ignored: the size
// decides it. AppendHeader does not check flags; Writer does.
func AppendHeader(dst []byte, flags byte, n int) []byte {
	if n <= MaxShortSize {
		return append(dst, flags&^FlagLong, byte(n))
	}
	dst = append(dst, flags|FlagLong)
	return binary.BigEndian.AppendUint64(dst, uint64(n))
}

// AppendFrame appends a whole frame: its header and body.
func AppendFrame(dst []byte, flags byte, body []byte) []byte {
	return append(AppendHeader(dst, flags, len(body)), body...)
}

// Header is a frame header as ParseHeader decodes it.
type Header struct {
	// Flags are the frame's FlagMore and FlagCommand bits; FlagLong is
	// cleared (it only told the size field's length).
	Flags byte
	// Size is the body's length in bytes.
	Size int
	// Len is the header's length: ShortHeaderLen or LongHeaderLen, or 0
	// if the buffer did not hold the whole header.
	Len int
	// Need, when Len is 0, is how many bytes the header takes: 2, or 9
	// once the flags say it is long. Parse again when that many are in.
	Need int
}

// ParseHeader decodes the frame header at the start of b. It checks the
// flags and the announced size before anything is allocated for the body:
// reserved flag bits and sizes of 2^63 or more are a *ProtocolError; a
// size over max (when max > 0), or one whose frame, header included, an
// int cannot count, is a *SizeError. If b is too short for the whole header, the result has Len 0
// and Need says how many bytes to gather (the flags are checked as soon as
// they are there). ParseHeader does not allocate.
func ParseHeader(b []byte, max int64) (Header, error) {
	// The common case, a short frame within the limit, inlines.
	if len(b) >= ShortHeaderLen && b[0]&^(FlagMore|FlagCommand) == 0 && (max <= 0 || int64(b[1]) <= max) {
		return Header{Flags: b[0], Size: int(b[1]), Len: ShortHeaderLen}, nil
	}
	return parseHeader(b, max)
}

// parseHeader is ParseHeader's general case.
func parseHeader(b []byte, max int64) (Header, error) {
	if len(b) < ShortHeaderLen {
		return Header{Need: ShortHeaderLen}, nil
	}
	flags := b[0]
	if flags&^flagsKnown != 0 {
		return Header{}, protocolf("reserved frame flag bits set (0x%02x)", flags)
	}
	h := Header{Flags: flags &^ FlagLong, Len: ShortHeaderLen}
	size := uint64(b[1])
	if flags&FlagLong != 0 {
		if len(b) < LongHeaderLen {
			return Header{Need: LongHeaderLen}, nil
		}
		h.Len = LongHeaderLen
		size = binary.BigEndian.Uint64(b[1:])
		if size > math.MaxInt64 {
			return Header{}, protocolf("frame size %d exceeds 2^63-1", size)
		}
	}
	if max > 0 && size > uint64(max) {
		return Header{}, &SizeError{Size: size, Max: uint64(max)}
	}
	if size > math.MaxInt-LongHeaderLen {
		// Header and body must fit in an int together.
		return Header{}, &SizeError{Size: size, Max: math.MaxInt - LongHeaderLen}
	}
	h.Size = int(size)
	return h, nil
}
