package zmtp

import (
	"encoding/binary"
	"strings"
)

// MaxProperties bounds how many properties ParseMetadata accepts from one
// command, so a peer cannot make us build a long list out of tiny entries.
const MaxProperties = 64

// Property is one metadata property: a name of 1 to 255 bytes and a value.
type Property struct {
	Name  string
	Value string
}

// Metadata is an ordered list of properties, as READY and INITIATE carry
// them. On the wire each is: the name's length (1 byte), the name, the
// value's length (4 bytes, big-endian), the value.
type Metadata []Property

// Get returns the value of the named property. Names compare
// case-insensitively, as the RFC says (libzmq itself compares them
// case-sensitively, so always send the exact spellings, "Socket-Type").
func (m Metadata) Get(name string) (string, bool) {
	for _, p := range m {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// Append encodes the properties onto dst. It does not check the lengths
// of names and values.
func (m Metadata) Append(dst []byte) []byte {
	for _, p := range m {
		dst = append(dst, byte(len(p.Name)))
		dst = append(dst, p.Name...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(p.Value)))
		dst = append(dst, p.Value...)
	}
	return dst
}

// ParseMetadata decodes properties from b, a command's data. Every length
// is checked against what is left before anything is sliced; an empty
// name, more than MaxProperties properties and trailing bytes are errors
// (trailing bytes are in libzmq too).
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	for len(b) > 0 {
		if len(m) == MaxProperties {
			return nil, protocolf("more than %d metadata properties", MaxProperties)
		}
		n := int(b[0])
		if n == 0 {
			return nil, protocolf("metadata property with an empty name")
		}
		if 1+n+4 > len(b) {
			return nil, protocolf("metadata property name runs past the command")
		}
		name := string(b[1 : 1+n])
		vlen := binary.BigEndian.Uint32(b[1+n:])
		b = b[1+n+4:]
		if uint64(vlen) > uint64(len(b)) {
			return nil, protocolf("metadata property %q announces %d bytes, %d left", name, vlen, len(b))
		}
		m = append(m, Property{Name: name, Value: string(b[:vlen])})
		b = b[vlen:]
	}
	return m, nil
}
