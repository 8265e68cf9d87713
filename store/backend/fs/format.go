package fs

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// The entry file format, version 1, is described byte by byte in the
// package comment (doc.go); the offsets below follow it.
const (
	magic         = "zmkv"
	formatVersion = 1
	flagTombstone = 1 << 0
	// flagHash: the value's BLAKE3 hash (32 bytes) follows the encoding
	// (values stored by PutStream).
	flagHash = 1 << 1
	hashLen  = 32
	fixedLen = 48
	// maxHeaderLen is the longest header: with the longest encoding and
	// a hash.
	maxHeaderLen = fixedLen + backend.MaxEncodingLen + hashLen + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendHeader appends the header of e (a normalised entry) to b.
func appendHeader(b []byte, e backend.Entry) []byte {
	return appendHeaderOf(b, e, uint64(len(e.Value)), crc32.Checksum(e.Value, castagnoli), nil)
}

// appendHeaderOf appends the header of e (its Value unused) for a value
// of valueLen bytes whose CRC-32C is valueCRC, with the value's hash when
// hash is not nil.
func appendHeaderOf(b []byte, e backend.Entry, valueLen uint64, valueCRC uint32, hash *[32]byte) []byte {
	var flags byte
	if e.Deleted {
		flags |= flagTombstone
	}
	if hash != nil {
		flags |= flagHash
	}
	start := len(b)
	b = append(b, magic...)
	b = append(b, formatVersion, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Encoding)))
	b = e.Timestamp.Append(b)
	b = binary.BigEndian.AppendUint64(b, valueLen)
	b = binary.BigEndian.AppendUint32(b, valueCRC)
	b = append(b, e.Encoding...)
	if hash != nil {
		b = append(b, hash[:]...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// header is a decoded header.
type header struct {
	entry    backend.Entry // Key and Value unset
	valueLen uint64
	valueCRC uint32
	hash     [32]byte // zero without flagHash
	size     int      // bytes of header
}

// decodeHeader decodes the header at the start of b, which must hold at
// least the whole header (it may hold more). Errors match
// backend.ErrCorrupt; if b is too short to tell, need says how many bytes
// the header needs (then err is nil).
func decodeHeader(b []byte) (h header, need int, err error) {
	if len(b) < fixedLen {
		if len(b) >= 4 && string(b[:4]) != magic {
			return h, 0, fmt.Errorf("%w: bad magic %q", backend.ErrCorrupt, b[:4])
		}
		return h, fixedLen + 4, nil
	}
	if string(b[:4]) != magic {
		return h, 0, fmt.Errorf("%w: bad magic %q", backend.ErrCorrupt, b[:4])
	}
	if b[4] != formatVersion {
		return h, 0, fmt.Errorf("%w: unknown format version %d", backend.ErrCorrupt, b[4])
	}
	flags := b[5]
	if flags&^(flagTombstone|flagHash) != 0 {
		return h, 0, fmt.Errorf("%w: unknown flags %#x", backend.ErrCorrupt, flags)
	}
	n := int(binary.BigEndian.Uint16(b[6:]))
	if n > backend.MaxEncodingLen {
		return h, 0, fmt.Errorf("%w: encoding of %d bytes", backend.ErrCorrupt, n)
	}
	hl := 0
	if flags&flagHash != 0 {
		hl = hashLen
	}
	size := fixedLen + n + hl + 4
	if len(b) < size {
		return h, size, nil
	}
	if got, want := crc32.Checksum(b[:fixedLen+n+hl], castagnoli), binary.BigEndian.Uint32(b[fixedLen+n+hl:]); got != want {
		return h, 0, fmt.Errorf("%w: header checksum %08x, want %08x", backend.ErrCorrupt, got, want)
	}
	ts, err := hlc.DecodeTimestamp(b[8:36])
	if err != nil { // cannot happen: 28 bytes always decode
		return h, 0, fmt.Errorf("%w: %w", backend.ErrCorrupt, err)
	}
	h = header{
		entry: backend.Entry{
			Encoding:  string(b[fixedLen : fixedLen+n]),
			Timestamp: ts,
			Deleted:   flags&flagTombstone != 0,
		},
		valueLen: binary.BigEndian.Uint64(b[36:]),
		valueCRC: binary.BigEndian.Uint32(b[44:]),
		size:     size,
	}
	copy(h.hash[:], b[fixedLen+n:fixedLen+n+hl])
	if h.entry.Deleted && (n != 0 || h.valueLen != 0 || hl != 0) {
		return header{}, 0, fmt.Errorf("%w: tombstone with a value or encoding", backend.ErrCorrupt)
	}
	if h.entry.Timestamp.IsZero() {
		return header{}, 0, fmt.Errorf("%w: zero timestamp", backend.ErrCorrupt)
	}
	return h, 0, nil
}

// decodeFile decodes a whole entry file. The returned Value aliases b.
func decodeFile(b []byte) (backend.Entry, error) {
	h, need, err := decodeHeader(b)
	if err != nil {
		return backend.Entry{}, err
	}
	if need > 0 {
		return backend.Entry{}, fmt.Errorf("%w: file of %d bytes, shorter than its header", backend.ErrCorrupt, len(b))
	}
	if uint64(len(b)-h.size) != h.valueLen {
		return backend.Entry{}, fmt.Errorf("%w: value of %d bytes, header says %d", backend.ErrCorrupt, len(b)-h.size, h.valueLen)
	}
	e := h.entry
	if h.valueLen > 0 {
		e.Value = b[h.size:]
	}
	if got := crc32.Checksum(e.Value, castagnoli); got != h.valueCRC {
		return backend.Entry{}, fmt.Errorf("%w: value checksum %08x, want %08x", backend.ErrCorrupt, got, h.valueCRC)
	}
	return e, nil
}
