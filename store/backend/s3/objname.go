package s3

import (
	"errors"
	"strings"
)

// The key → object name encoding. See the package comment ("Object names")
// for the rules and examples; the invariants the code below keeps are:
//
//   - Streaming: the encoder turns each key byte into a code as it reads it,
//     deciding only from what it has read so far. So the encoding of a key
//     prefix p is a prefix of the name of every key that starts with p,
//     which is what lets Scan list by object-name prefix.
//   - Prefix-free codes: a name parses into codes one way only, so the
//     names that start with encodePrefix(p) are exactly the names of keys
//     that start with p.
//   - Every object-name segment is 1 to maxSegment bytes and ends with a
//     marker ('_' or "__" before a '/', '!' at the end of the name), so no
//     segment is empty, ".", "..", or longer than the 255-byte limit.
//   - '!' appears only as the last byte of a name. A name followed by '/'
//     is therefore never the start of another name: no object is a
//     "folder" of another.

const (
	// maxContent is the most bytes of codes one segment carries. A segment
	// adds at most two marker bytes ("__" before a soft break), so it stays
	// within maxSegment.
	maxContent = 253
	// maxSegment is the longest object-name segment MinIO, versitygw (and
	// the file systems under them) accept.
	maxSegment = 255
	// MaxObjectNameLen is the longest object name S3 accepts, in bytes. A
	// key whose name would be longer is refused with backend.ErrInvalidKey;
	// every key of at most backend.PortableKeyLen bytes fits (at most three
	// name bytes per key byte, plus markers).
	MaxObjectNameLen = 1024

	escape     = '_' // "_HH": one key byte as two upper-case hex digits
	terminator = '!' // the last byte of every name, and nowhere else
	hexUpper   = "0123456789ABCDEF"
)

// errNotAName: an object name encodeKey cannot have produced (an object
// some other program put in the bucket). Never returned to users.
var errNotAName = errors.New("not a zmesh object name")

// literal reports whether the key byte c stands for itself in a name: only
// letters, digits, '-' and '.', which every S3 implementation, URL encoder
// and file system treats as plain text. Everything else, '_' and '!' and
// bytes of UTF-8 sequences included, is escaped.
func literal(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.'
}

// encoder is the streaming state of appendCodes: how many code bytes the
// current segment holds.
type encoder struct{ seg int }

// appendCodes appends the codes of key bytes s to b.
func (e *encoder) appendCodes(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' { // hard break: the key's own separator
			b = append(b, escape, '/')
			e.seg = 0
			continue
		}
		n := 1
		if !literal(c) {
			n = 3
		}
		if e.seg+n > maxContent { // soft break: the segment is full
			b = append(b, escape, escape, '/')
			e.seg = 0
		}
		if n == 1 {
			b = append(b, c)
		} else {
			b = append(b, escape, hexUpper[c>>4], hexUpper[c&0xf])
		}
		e.seg += n
	}
	return b
}

// encodeKey returns the object name of key. It never fails; callers check
// the length against MaxObjectNameLen.
func encodeKey(key string) string {
	var e encoder
	b := make([]byte, 0, len(key)+len(key)/2+2)
	b = e.appendCodes(b, key)
	return string(append(b, terminator))
}

// encodePrefix returns the object-name prefix shared by the names of all
// keys that start with prefix, and by no other name. prefix is a plain byte
// string and may end inside a UTF-8 sequence.
func encodePrefix(prefix string) string {
	var e encoder
	return string(e.appendCodes(make([]byte, 0, len(prefix)+len(prefix)/2), prefix))
}

// decodeName returns the key whose object name is name, or errNotAName if
// encodeKey would not have produced name: the encoding is a bijection
// between keys and the names it produces, so foreign objects are told
// apart instead of being read as some other key.
func decodeName(name string) (string, error) {
	if len(name) == 0 || name[len(name)-1] != terminator {
		return "", errNotAName
	}
	body := name[:len(name)-1]
	key := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case literal(c):
			key = append(key, c)
			i++
		case c != escape || i+1 >= len(body):
			return "", errNotAName
		case body[i+1] == '/':
			key = append(key, '/')
			i += 2
		case body[i+1] == escape: // soft break: contributes nothing
			if i+2 >= len(body) || body[i+2] != '/' {
				return "", errNotAName
			}
			i += 3
		default:
			if i+2 >= len(body) {
				return "", errNotAName
			}
			hi, lo := unhex(body[i+1]), unhex(body[i+2])
			if hi < 0 || lo < 0 {
				return "", errNotAName
			}
			key = append(key, byte(hi<<4|lo))
			i += 3
		}
	}
	// Canonical form only: soft breaks exactly where the encoder puts
	// them, no escaped literals. Re-encoding is the simplest exact check.
	k := string(key)
	if encodeKey(k) != name {
		return "", errNotAName
	}
	return k, nil
}

// unhex returns the value of an upper-case hex digit, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// segmentsOK reports whether every '/'-separated segment of name is
// between 1 and maxSegment bytes and not "." or "..": what S3 servers that
// map names onto directories accept. The encoding guarantees it; tests
// check it.
func segmentsOK(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if len(seg) == 0 || len(seg) > maxSegment || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
