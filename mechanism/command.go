package mechanism

import (
	"encoding/binary"
	"strings"
)

// AppendCommand appends a command body (name length, name, data...) to dst.
// name must be 1 to 255 bytes.
func AppendCommand(dst []byte, name string, data ...[]byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	for _, d := range data {
		dst = append(dst, d...)
	}
	return dst
}

// ParseCommand splits a command body into its name and data. It fails on an
// empty body or a name length that runs past the end.
func ParseCommand(body []byte) (name string, data []byte, err error) {
	if len(body) == 0 {
		return "", nil, Protocolf("empty command")
	}
	n := int(body[0])
	if n == 0 || 1+n > len(body) {
		return "", nil, Protocolf("command name length %d runs past its %d-byte body", n, len(body))
	}
	return string(body[1 : 1+n]), body[1+n:], nil
}

// IsCommand reports whether body is the command called name, without
// allocating.
func IsCommand(body []byte, name string) bool {
	return len(body) > len(name) && int(body[0]) == len(name) && string(body[1:1+len(name)]) == name
}

// Property is one metadata property (ZMTP §1.4).
type Property struct {
	Name  string
	Value string
}

// Metadata is an ordered list of properties, as READY and INITIATE carry.
type Metadata []Property

// Get returns the value of the named property, compared case-insensitively
// as the RFC says (libzmq itself compares case-sensitively, so we always
// send the exact spellings).
func (m Metadata) Get(name string) (string, bool) {
	for _, p := range m {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// Append encodes the properties onto dst: name length (1 byte), name, value
// length (4 bytes, big-endian), value.
func (m Metadata) Append(dst []byte) []byte {
	for _, p := range m {
		dst = append(dst, byte(len(p.Name)))
		dst = append(dst, p.Name...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(p.Value)))
		dst = append(dst, p.Value...)
	}
	return dst
}

// maxProperties bounds how many properties one command may carry, so a
// hostile peer cannot make us build a huge list from tiny entries.
const maxProperties = 64

// ParseMetadata decodes properties from b. Every length is checked against
// what is left before anything is sliced; trailing bytes are an error (as in
// libzmq).
func ParseMetadata(b []byte) (Metadata, error) {
	var m Metadata
	for len(b) > 0 {
		if len(m) == maxProperties {
			return nil, Protocolf("more than %d metadata properties", maxProperties)
		}
		n := int(b[0])
		if n == 0 {
			return nil, Protocolf("metadata property with an empty name")
		}
		if 1+n+4 > len(b) {
			return nil, Protocolf("metadata property name runs past the command")
		}
		name := string(b[1 : 1+n])
		vlen := binary.BigEndian.Uint32(b[1+n:])
		b = b[1+n+4:]
		if uint64(vlen) > uint64(len(b)) {
			return nil, Protocolf("metadata property %q announces %d bytes, %d left", name, vlen, len(b))
		}
		m = append(m, Property{Name: name, Value: string(b[:vlen])})
		b = b[vlen:]
	}
	return m, nil
}

// ParseError decodes the reason of an ERROR command's data. It also
// recognises libzmq 4.3's malformed PLAIN ERROR ("^RROR", spec §3.2): pass
// the whole command body to IsMalformedError first.
func ParseError(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	n := int(data[0])
	if 1+n > len(data) {
		n = len(data) - 1
	}
	return sanitize(data[1 : 1+n])
}

// IsMalformedError reports whether body is libzmq 4.3's malformed PLAIN
// ERROR command (0x5E "RROR" ...), and returns its reason.
func IsMalformedError(body []byte) (reason string, ok bool) {
	if len(body) >= 5 && string(body[:5]) == "^RROR" {
		return ParseError(body[5:]), true
	}
	return "", false
}

// sanitize keeps printable ASCII so a hostile reason cannot forge log lines.
func sanitize(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		} else {
			out = append(out, '?')
		}
	}
	return string(out)
}

// AppendError appends an ERROR command body carrying reason (at most 255
// bytes; longer reasons are cut).
func AppendError(dst []byte, reason string) []byte {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	dst = AppendCommand(dst, "ERROR")
	dst = append(dst, byte(len(reason)))
	return append(dst, reason...)
}
