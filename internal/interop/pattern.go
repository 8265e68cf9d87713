package interop

import (
	"encoding/binary"
	"fmt"
)

// Pattern returns message number seq (0-based) of size bytes, exactly as
// zpeer's send and reqrep modes build it:
//
//   - size >= 4: the first 4 bytes are uint32(seq) big-endian, and every
//     following byte j is (seq + j) & 0xff;
//   - size < 4: byte j is (seq + j) & 0xff.
//
// Such a message can be checked on its own with CheckPattern.
func Pattern(seq, size int) []byte {
	if size < 0 {
		panic(fmt.Sprintf("interop.Pattern: negative size %d", size))
	}
	b := make([]byte, size)
	s := uint32(seq)
	j := 0
	if size >= 4 {
		binary.BigEndian.PutUint32(b, s)
		j = 4
	}
	for ; j < size; j++ {
		b[j] = byte(s + uint32(j))
	}
	return b
}

// PatternSeq checks that body is a Pattern message and returns its sequence
// number. For bodies shorter than 4 bytes only the low 8 bits of the
// sequence number are known (0 for an empty body).
func PatternSeq(body []byte) (uint32, error) {
	if len(body) == 0 {
		return 0, nil
	}
	var seq uint32
	j := 0
	if len(body) >= 4 {
		seq = binary.BigEndian.Uint32(body)
		j = 4
	} else {
		seq = uint32(body[0])
		j = 1
	}
	for ; j < len(body); j++ {
		if want := byte(seq + uint32(j)); body[j] != want {
			return seq, fmt.Errorf("pattern: byte %d is 0x%02x, want 0x%02x (seq %d, len %d)",
				j, body[j], want, seq, len(body))
		}
	}
	return seq, nil
}

// CheckPattern returns nil when body is a Pattern message (of any sequence
// number), and an error naming the first wrong byte otherwise.
func CheckPattern(body []byte) error {
	_, err := PatternSeq(body)
	return err
}
