package fs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zmesh/zmesh/store/backend"
)

// The key → path encoding (see the package comment for the rules). It is
// a bijection between all byte strings and the canonical paths: keyPath
// never fails, and pathKey accepts exactly the strings keyPath returns.

// pieceLen is the longest encoded piece of a chunk in one path component.
// A component is at most pieceLen+2 bytes ("+" and "~" around the piece),
// within the 255-byte name limit of every common file system.
const pieceLen = 200

// maxDepth is the most directories an entry file may lie under. Keys
// needing more are refused with backend.ErrInvalidKey; every key of at
// most backend.PortableKeyLen bytes needs at most 257 (the key of 256
// slashes). It bounds the directories a walk holds open.
const maxDepth = 600

// entryPath returns keyPath(key), or an error matching
// backend.ErrInvalidKey if the key is too deep for this backend.
func entryPath(key string) (string, error) {
	rel := keyPath(key)
	if depth := strings.Count(rel, "/"); depth > maxDepth {
		return "", fmt.Errorf("%w: its path is %d directories deep, more than %d", backend.ErrInvalidKey, depth, maxDepth)
	}
	return rel, nil
}

// errNotAKeyPath: a name under the storage root that keyPath cannot have
// produced (a foreign file). Never returned to users.
var errNotAKeyPath = errors.New("not a key path")

// literal reports whether b stands for itself in an encoded chunk. Only
// characters that mean the same thing on every common file system: no
// upper case (case-insensitive file systems would merge "A" and "a"), no
// bytes >= 0x80 (normalising file systems would merge NFC and NFD), no
// separators, and none of the markers %, ^, + and ~.
func literal(b byte) bool {
	return 'a' <= b && b <= 'z' || '0' <= b && b <= '9' ||
		b == '-' || b == '_' || b == '.' || b == '@' || b == '=' || b == ','
}

const hexDigits = "0123456789abcdef"

// appendEncoded appends the encoding of the bytes of s, where s starts a
// chunk if atStart: literals as themselves, except a '.' that starts a
// chunk (so no name is ".", ".." or hidden); 'A'..'Z' as '^' and the lower
// case letter; every other byte as '%' and two lower-case hex digits.
func appendEncoded(b []byte, s string, atStart bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case literal(c) && !(c == '.' && i == 0 && atStart):
			b = append(b, c)
		case 'A' <= c && c <= 'Z':
			b = append(b, '^', c+('a'-'A'))
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}

// encodeChunk appends the encoding of one whole chunk: "%" for the empty
// chunk, else appendEncoded.
func encodeChunk(b []byte, chunk string) []byte {
	if chunk == "" {
		return append(b, '%')
	}
	return appendEncoded(b, chunk, true)
}

// appendPieces appends an encoded chunk as path components: the first
// pieceLen bytes, then each further pieceLen bytes as a component of its
// own prefixed with "+", separated by "/".
func appendPieces(b []byte, enc []byte) []byte {
	for i := 0; i < len(enc); i += pieceLen {
		if i > 0 {
			b = append(b, '/', '+')
		}
		b = append(b, enc[i:min(i+pieceLen, len(enc))]...)
	}
	return b
}

// appendDirs appends the directory path of chunks (no leading or trailing
// separator). scratch is reused for encoding and returned.
func appendDirs(b, scratch []byte, chunks []string) ([]byte, []byte) {
	for i, c := range chunks {
		if i > 0 {
			b = append(b, '/')
		}
		scratch = encodeChunk(scratch[:0], c)
		b = appendPieces(b, scratch)
	}
	return b, scratch
}

// keyPath returns the path of key's entry file relative to the storage
// root, with "/" separators: the encoded chunks as directories, the last
// one followed by "~".
func keyPath(key string) string {
	var stack [512]byte
	var scratchStack [256]byte
	b, _ := appendDirs(stack[:0], scratchStack[:0], strings.Split(key, "/"))
	return string(append(b, '~'))
}

// dirPath returns the directory path (relative, "/" separators, "" for
// the root) holding every key whose chunks start with chunks.
func dirPath(chunks []string) string {
	b, _ := appendDirs(nil, nil, chunks)
	return string(b)
}

// pathKey is the inverse of keyPath: it returns the key whose file is at
// rel, or errNotAKeyPath if keyPath never returns rel.
func pathKey(rel string) (string, error) {
	body, ok := strings.CutSuffix(rel, "~")
	if !ok {
		return "", errNotAKeyPath
	}
	key := make([]byte, 0, len(body))
	enc := make([]byte, 0, pieceLen)
	for i, comp := range strings.Split(body, "/") {
		if piece, ok := strings.CutPrefix(comp, "+"); ok {
			if i == 0 {
				return "", errNotAKeyPath
			}
			enc = append(enc, piece...)
			continue
		}
		if i > 0 {
			var err error
			if key, err = decodeChunk(key, enc); err != nil {
				return "", err
			}
			key = append(key, '/')
		}
		enc = append(enc[:0], comp...)
	}
	key, err := decodeChunk(key, enc)
	if err != nil {
		return "", err
	}
	// Accept only the canonical spelling (piece lengths, no needless
	// escapes, "%2e" for a leading dot...), so that the mapping stays a
	// bijection and no two files ever claim the same key.
	if keyPath(string(key)) != rel {
		return "", errNotAKeyPath
	}
	return string(key), nil
}

// decodeChunk appends the chunk encoded as enc.
func decodeChunk(key, enc []byte) ([]byte, error) {
	if len(enc) == 1 && enc[0] == '%' {
		return key, nil // the empty chunk
	}
	if len(enc) == 0 {
		return nil, errNotAKeyPath
	}
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		switch {
		case literal(c):
			key = append(key, c)
		case c == '^' && i+1 < len(enc) && 'a' <= enc[i+1] && enc[i+1] <= 'z':
			key = append(key, enc[i+1]-('a'-'A'))
			i++
		case c == '%' && i+2 < len(enc):
			hi, lo := unhex(enc[i+1]), unhex(enc[i+2])
			if hi < 0 || lo < 0 {
				return nil, errNotAKeyPath
			}
			key = append(key, byte(hi<<4|lo))
			i += 2
		default:
			return nil, errNotAKeyPath
		}
	}
	return key, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// scanStart returns where Scan(prefix) must look: the directory holding
// every key that starts with prefix's complete chunks, and the encoding of
// the first piece of its last, partial chunk, which the names of that
// directory's entries must start with ("" accepts every name).
func scanStart(prefix string) (dir, firstPiece string) {
	chunks := strings.Split(prefix, "/")
	last := chunks[len(chunks)-1]
	dir = dirPath(chunks[:len(chunks)-1])
	if last == "" {
		return dir, ""
	}
	enc := appendEncoded(nil, last, true)
	return dir, string(enc[:min(len(enc), pieceLen)])
}
