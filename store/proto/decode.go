package proto

import (
	"encoding/binary"
	"strconv"

	"github.com/zmesh/zmesh/store/hlc"
)

// Decode parses one message. It checks every length against the bytes
// actually there before slicing, and refuses (with a *FormatError
// matching ErrMalformed or ErrVersion, naming the field and its offset)
// anything AppendBinary would not produce: a wrong version, an unknown
// kind, reserved flag bits, a field the kind does not have, missing or
// trailing bytes. So for every b it accepts, encoding the result gives b
// back byte for byte.
//
// Value aliases b: it stays valid only as long as b is not reused (copy it
// with bytes.Clone to keep it). The string fields are copied, all in one
// allocation; a message without string content (a FINAL with StatusOK)
// decodes without allocating.
func Decode(b []byte) (Message, error) {
	var m Message
	if len(b) < 1 {
		return m, malformed(0, "version", 0, "empty message")
	}
	if b[0] != Version {
		return m, &FormatError{Err: ErrVersion, Field: "version", Offset: 0,
			Detail: "version " + strconv.Itoa(int(b[0])) + ", this side speaks " + strconv.Itoa(Version)}
	}
	if len(b) < HeaderLen {
		return m, malformed(0, "header", 0, "%d bytes, a header is %d", len(b), HeaderLen)
	}
	m.Kind = Kind(b[1])
	flags := b[2]
	m.Stream = m.Kind == KindQuery && flags&flagStream != 0
	m.AcceptLast = m.Kind == KindQuery && flags&flagLast != 0
	m.Last = m.Kind == KindReply && flags&flagLast != 0
	m.ID = binary.BigEndian.Uint64(b[3:HeaderLen])

	var allowed byte
	switch m.Kind {
	case KindPut, KindDelete:
		allowed = flagTimestamp
	case KindReply:
		allowed = flagTimestamp | flagOmitted | flagLast
		if flags&flagTimestamp == 0 {
			return Message{}, malformed(m.Kind, "flags", 2, "a REPLY requires a timestamp (flag 0x01)")
		}
	case KindSample:
		allowed = flagTimestamp | flagDelete | flagOmitted
		if flags&flagTimestamp == 0 {
			return Message{}, malformed(m.Kind, "flags", 2, "a SAMPLE requires a timestamp (flag 0x01)")
		}
		if flags&flagOmitted != 0 && flags&flagDelete != 0 {
			return Message{}, malformed(m.Kind, "flags", 2, "a DELETE sample has no value to omit (flags 0x02 and 0x04)")
		}
	case KindQuery:
		allowed = flagStream | flagLast
	case KindFinal:
	default:
		if IsStream(m.Kind) {
			return Message{}, malformed(0, "kind", 1, "%v is a streamed-value message, not supported here", m.Kind)
		}
		return Message{}, malformed(0, "kind", 1, "unknown kind 0x%02x", b[1])
	}
	if flags&^allowed != 0 {
		return Message{}, malformed(m.Kind, "flags", 2, "reserved bits 0x%02x set", flags&^allowed)
	}
	body := b[HeaderLen:]

	switch m.Kind {
	case KindFinal:
		// status (1) | count (4) | text length (2) | text
		if len(body) < 7 {
			return Message{}, malformed(m.Kind, "status", HeaderLen, "%d bytes, need 7", len(body))
		}
		m.Status = Status(body[0])
		m.Count = binary.BigEndian.Uint32(body[1:5])
		n := int(binary.BigEndian.Uint16(body[5:7]))
		if len(body)-7 != n {
			return Message{}, malformed(m.Kind, "text length", HeaderLen+5, "%d bytes, %d follow", n, len(body)-7)
		}
		if n > 0 {
			m.Text = string(body[7:])
		}
		return m, nil
	}

	// QUERY: key length | parameters length | key | parameters
	// others: key length | encoding length | key | encoding | [timestamp] | value
	if len(body) < 4 {
		return Message{}, malformed(m.Kind, "key length", HeaderLen, "%d bytes, need 4 for the lengths", len(body))
	}
	kl := int(binary.BigEndian.Uint16(body[0:2]))
	sl := int(binary.BigEndian.Uint16(body[2:4]))
	second := "encoding length"
	if m.Kind == KindQuery {
		second = "parameters length"
	}
	rest := body[4:]
	if kl > len(rest) {
		return Message{}, malformed(m.Kind, "key length", HeaderLen, "%d bytes, only %d left", kl, len(rest))
	}
	if sl > len(rest)-kl {
		return Message{}, malformed(m.Kind, second, HeaderLen+2, "%d bytes, only %d left after the key", sl, len(rest)-kl)
	}
	var strs string
	if kl+sl > 0 {
		strs = string(rest[:kl+sl]) // one allocation for both strings
	}
	m.Key = strs[:kl]
	off := HeaderLen + 4 + kl + sl
	rest = rest[kl+sl:]

	switch m.Kind {
	case KindQuery:
		m.Parameters = strs[kl:]
		if len(rest) != 0 {
			return Message{}, malformed(m.Kind, "end", off, "%d trailing bytes", len(rest))
		}
		return m, nil
	case KindDelete:
		if sl != 0 {
			return Message{}, malformed(m.Kind, "encoding length", HeaderLen+2, "a DELETE has no encoding, got %d bytes", sl)
		}
	case KindSample:
		if flags&flagDelete != 0 && sl != 0 {
			return Message{}, malformed(m.Kind, "encoding length", HeaderLen+2, "a DELETE sample has no encoding, got %d bytes", sl)
		}
	}
	m.Encoding = strs[kl:]
	m.Delete = flags&flagDelete != 0

	if flags&flagTimestamp != 0 {
		if len(rest) < hlc.EncodedLen {
			return Message{}, malformed(m.Kind, "timestamp", off, "%d bytes, need %d", len(rest), hlc.EncodedLen)
		}
		ts, err := hlc.DecodeTimestamp(rest[:hlc.EncodedLen])
		if err != nil {
			return Message{}, malformed(m.Kind, "timestamp", off, "%v", err)
		}
		if ts.IsZero() {
			// The zero timestamp means "absent"; sending it with the flag
			// set would not survive re-encoding.
			return Message{}, malformed(m.Kind, "timestamp", off, "zero timestamp with the timestamp flag set")
		}
		m.Timestamp = ts
		off += hlc.EncodedLen
		rest = rest[hlc.EncodedLen:]
	}

	if len(rest) > 0 {
		if m.Kind == KindDelete || m.Delete {
			return Message{}, malformed(m.Kind, "end", off, "a delete has no value, %d trailing bytes", len(rest))
		}
		m.Value = rest[:len(rest):len(rest)]
	}
	if flags&flagOmitted != 0 {
		if len(rest) != OmittedLen {
			return Message{}, malformed(m.Kind, "value", off, "an omitted value's descriptor is %d bytes, got %d", OmittedLen, len(rest))
		}
		m.Omitted = true
	}
	return m, nil
}

// UnmarshalBinary decodes b into m like Decode, but copies Value so that m
// does not refer to b afterwards (as encoding.BinaryUnmarshaler requires).
func (m *Message) UnmarshalBinary(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	if d.Value != nil {
		d.Value = append([]byte(nil), d.Value...)
	}
	*m = d
	return nil
}
