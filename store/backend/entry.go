package backend

import (
	"fmt"
	"unicode/utf8"

	"github.com/zmesh/zmesh/store/hlc"
)

// Limits every backend shares.
const (
	// MaxKeyLen is the longest key, in bytes, any backend accepts. Longer
	// keys are refused with ErrInvalidKey everywhere.
	MaxKeyLen = 4096
	// PortableKeyLen is the longest key, in bytes, every backend must
	// accept: any valid UTF-8 string up to this length, whatever its
	// characters ("..", "a//b", NUL, "@", a trailing "/"...). Between
	// PortableKeyLen and MaxKeyLen a backend may refuse a key it cannot
	// represent (a file path or S3 object name too long) with
	// ErrInvalidKey.
	PortableKeyLen = 256
	// MaxEncodingLen is the longest Entry.Encoding, in bytes.
	MaxEncodingLen = 1024
)

// Entry is what a store holds for one key: a value or a tombstone, with the
// hlc timestamp that orders it against every other write to that key.
type Entry struct {
	// Key is the storage-relative key (strip_prefix already removed); it
	// may be "". See CheckKey for which strings are accepted.
	Key string
	// Value is the payload. A Store copies it on Apply; the Value a Store
	// returns from Get or Scan may be shared with the Store and must not be
	// modified. Always nil for a tombstone returned by a Store, and for
	// entries reported by Scan in ScanMeta mode.
	Value []byte
	// Encoding describes the payload ("text/plain", "application/json",
	// "zenoh/bytes"...). Opaque to backends. Always "" for a tombstone
	// returned by a Store.
	Encoding string
	// Timestamp orders this entry against every other write to Key. It must
	// not be zero: the storage server stamps writes that arrive without one.
	Timestamp hlc.Timestamp
	// Deleted marks a tombstone: the key was deleted at Timestamp.
	Deleted bool
	// Omitted is set only by Scan in ScanValues mode, on a value too large
	// for it to read whole (the engine's blobs, S3 objects, over their MaxGetSize): Value
	// is nil, and the store's OpenStream (Streamer) gives the value, its
	// size and hash. Apply refuses an Omitted entry (ErrInvalidEntry).
	Omitted bool
}

// CheckKey reports whether every backend can be asked about key: it must be
// valid UTF-8 and at most MaxKeyLen bytes. Otherwise the error matches
// ErrInvalidKey. Backends may refuse more keys (see PortableKeyLen).
func CheckKey(key string) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %d bytes, longer than %d", ErrInvalidKey, len(key), MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidKey, key)
	}
	return nil
}

// CheckEntry reports whether e may be applied: its key passes CheckKey
// (else ErrInvalidKey), its timestamp is not zero, and its encoding is valid
// UTF-8 of at most MaxEncodingLen bytes (else ErrInvalidEntry). The value
// and encoding of a tombstone are not checked: stores drop them.
func CheckEntry(e Entry) error {
	if err := CheckKey(e.Key); err != nil {
		return err
	}
	if e.Timestamp.IsZero() {
		return fmt.Errorf("%w: key %q has no timestamp", ErrInvalidEntry, e.Key)
	}
	if e.Deleted {
		return nil
	}
	if e.Omitted {
		return fmt.Errorf("%w: key %q: an entry whose value Scan left out cannot be stored", ErrInvalidEntry, e.Key)
	}
	if len(e.Encoding) > MaxEncodingLen {
		return fmt.Errorf("%w: encoding of key %q is %d bytes, longer than %d",
			ErrInvalidEntry, e.Key, len(e.Encoding), MaxEncodingLen)
	}
	if !utf8.ValidString(e.Encoding) {
		return fmt.Errorf("%w: encoding %q of key %q is not valid UTF-8", ErrInvalidEntry, e.Encoding, e.Key)
	}
	return nil
}

// Normalize returns e as a store keeps it: a tombstone loses its value and
// encoding. It does not copy the value.
func Normalize(e Entry) Entry {
	if e.Deleted {
		e.Value, e.Encoding = nil, ""
	}
	return e
}
