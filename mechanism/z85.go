package mechanism

import (
	"errors"
	"fmt"
)

// z85Alphabet is RFC 32's 85 characters, in value order.
const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// z85Values maps a character to its value, or 0xFF for a character outside
// the alphabet.
var z85Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := 0; i < len(z85Alphabet); i++ {
		t[z85Alphabet[i]] = byte(i)
	}
	return t
}()

// ErrInvalidZ85 is the sentinel every *Z85Error matches with errors.Is.
var ErrInvalidZ85 = errors.New("invalid Z85")

// Z85Error says why a Z85 text (or a binary input to Z85Encode) was
// refused and where.
type Z85Error struct {
	// Pos is the offset of the offending character, or of the start of the
	// 5-character group whose value overflows 32 bits; -1 for a length error.
	Pos int
	// Char is the offending character (0 unless the error is about one).
	Char byte
	// Len is the length of the input.
	Len int
	// Reason is a short human-readable cause.
	Reason string
}

// Error describes the failure and its position.
func (e *Z85Error) Error() string {
	switch {
	case e.Pos < 0:
		return fmt.Sprintf("invalid Z85: %s", e.Reason)
	case e.Char != 0:
		return fmt.Sprintf("invalid Z85: character %q (0x%02x) at position %d %s", rune(e.Char), e.Char, e.Pos, e.Reason)
	default:
		return fmt.Sprintf("invalid Z85: group at position %d %s", e.Pos, e.Reason)
	}
}

// Is makes every Z85Error match ErrInvalidZ85.
func (e *Z85Error) Is(target error) bool { return target == ErrInvalidZ85 }

// Z85Encode encodes src as Z85 text (RFC 32): every 4 bytes, read as a
// big-endian number, become 5 characters, most significant first. The
// length of src must be a multiple of 4.
func Z85Encode(src []byte) (string, error) {
	if len(src)%4 != 0 {
		return "", &Z85Error{Pos: -1, Len: len(src), Reason: fmt.Sprintf("%d bytes is not a multiple of 4", len(src))}
	}
	return string(appendZ85(make([]byte, 0, len(src)/4*5), src)), nil
}

// appendZ85 appends the Z85 form of src (a multiple of 4 bytes) to dst.
func appendZ85(dst, src []byte) []byte {
	for i := 0; i+4 <= len(src); i += 4 {
		v := uint32(src[i])<<24 | uint32(src[i+1])<<16 | uint32(src[i+2])<<8 | uint32(src[i+3])
		var g [5]byte
		for j := 4; j >= 0; j-- {
			g[j] = z85Alphabet[v%85]
			v /= 85
		}
		dst = append(dst, g[:]...)
	}
	return dst
}

// Z85Decode decodes Z85 text (RFC 32). The length of s must be a multiple
// of 5, every character must be in the alphabet, and no group of 5 may
// exceed 2^32-1 (RFC 32's reference decoder silently wraps such groups; we
// refuse them so every binary value has exactly one text form).
func Z85Decode(s string) ([]byte, error) {
	if len(s)%5 != 0 {
		return nil, &Z85Error{Pos: -1, Len: len(s), Reason: fmt.Sprintf("%d characters is not a multiple of 5", len(s))}
	}
	out := make([]byte, 0, len(s)/5*4)
	return decodeZ85(out, s)
}

// decodeZ85 appends the decoding of s (a multiple of 5 characters) to dst.
func decodeZ85(dst []byte, s string) ([]byte, error) {
	for i := 0; i+5 <= len(s); i += 5 {
		var v uint64
		for j := i; j < i+5; j++ {
			d := z85Values[s[j]]
			if d == 0xFF {
				return nil, &Z85Error{Pos: j, Char: s[j], Len: len(s), Reason: "is not in the alphabet"}
			}
			v = v*85 + uint64(d)
		}
		if v > 0xFFFFFFFF {
			return nil, &Z85Error{Pos: i, Len: len(s), Reason: fmt.Sprintf("%q exceeds 2^32-1", s[i:i+5])}
		}
		dst = append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return dst, nil
}
