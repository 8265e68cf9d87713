package proto

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"

	"github.com/zmesh/zmesh/store/hlc"
)

// Version is the protocol version this package speaks, the first byte of
// every message.
const Version = 1

// HeaderLen is the size of the header every message starts with: version
// (1 byte), kind (1), flags (1), request id (8, big-endian).
const HeaderLen = 11

// MaxStringLen is the longest key, key expression, encoding, parameters
// or text a message can carry: their lengths are 16-bit.
const MaxStringLen = 0xFFFF

// Kind says what a message is. Requests (client to server) have the high
// bit clear; messages from the server have it set.
type Kind uint8

// Message kinds. The numbers are part of the wire format.
const (
	// KindPut stores Value under Key (a plain key) with Encoding, stamped
	// with Timestamp, or by the server if Timestamp is zero.
	KindPut Kind = 0x01
	// KindDelete deletes every key matching Key (a key expression),
	// stamped with Timestamp, or by the server if Timestamp is zero.
	KindDelete Kind = 0x02
	// KindQuery asks for every stored key matching Key (a key expression),
	// with selector Parameters.
	KindQuery Kind = 0x03
	// KindReply answers a query with one stored key: Key, Encoding,
	// Timestamp and Value. A query gets zero or more, then a FINAL.
	KindReply Kind = 0x81
	// KindFinal closes a request: Status (and Text when not OK) and Count,
	// the number of REPLY messages sent for the request before it.
	KindFinal Kind = 0x82
	// KindSample is a change-feed event: a PUT (Key, Encoding, Timestamp,
	// Value) or, with Delete set, a DELETE (Key, Timestamp) that a storage
	// applied. Servers publish samples on a RADIO; ID is the publisher's
	// sequence number.
	KindSample Kind = 0x83
)

// String returns the kind's name as the protocol page writes it ("PUT"),
// or "kind(0xNN)".
func (k Kind) String() string {
	switch k {
	case KindPut:
		return "PUT"
	case KindDelete:
		return "DELETE"
	case KindQuery:
		return "QUERY"
	case KindReply:
		return "REPLY"
	case KindFinal:
		return "FINAL"
	case KindSample:
		return "SAMPLE"
	}
	if name := streamKindName(k); name != "" {
		return name
	}
	return "kind(0x" + strconv.FormatUint(uint64(k), 16) + ")"
}

// Flag bits (byte 2 of the header). Bits a kind does not define must be 0.
const (
	// flagTimestamp: a 28-byte timestamp is present (PUT, DELETE; always
	// set in REPLY and SAMPLE).
	flagTimestamp = 0x01
	// flagDelete: the SAMPLE is a DELETE.
	flagDelete = 0x02
	// flagOmitted: the SAMPLE's or REPLY's value is left out; its value
	// field holds the value's size and BLAKE3 hash instead (OmittedValue).
	flagOmitted = 0x04
	// flagLast: in a QUERY, the client accepts an answer whose last REPLY
	// ends it (AcceptLast); in a REPLY, this REPLY ends the answer, in
	// place of an OK FINAL counting it (Last).
	flagLast = 0x08
)

// OmittedLen is the length of an omitted value's descriptor: the value's
// size (uint64, big-endian) then its BLAKE3-256 hash.
const OmittedLen = 8 + 32

// OmittedValue returns the descriptor an Omitted SAMPLE or REPLY carries as its
// Value: size (uint64, big-endian) followed by hash. A hash of 32 zero bytes
// means the server does not know it (a value written whole, without a
// streamed put's hash); HashHex shows it as unknown.
func OmittedValue(size uint64, hash [32]byte) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, OmittedLen), size)
	return append(b, hash[:]...)
}

// ParseOmitted returns the size and hash an Omitted SAMPLE's Value holds.
// It fails, matching ErrMalformed, unless v is OmittedLen bytes.
func ParseOmitted(v []byte) (size uint64, hash [32]byte, err error) {
	if len(v) != OmittedLen {
		return 0, hash, &FormatError{Err: ErrMalformed, Kind: KindSample, Field: "value", Offset: -1,
			Detail: "an omitted value's descriptor is " + strconv.Itoa(OmittedLen) + " bytes, got " + strconv.Itoa(len(v))}
	}
	copy(hash[:], v[8:])
	return binary.BigEndian.Uint64(v), hash, nil
}

// Message is one storage protocol message of any kind. Which fields a kind
// uses is listed below; the others must be zero to encode, and are zero
// after decoding.
//
//	kind     ID                 Key             other fields
//	PUT      request id         plain key       Encoding, Timestamp (optional), Value
//	DELETE   request id         key expression  Timestamp (optional)
//	QUERY    request id         key expression  Parameters, Stream, AcceptLast
//	REPLY    request id         plain key       Encoding, Timestamp (required), Value, Omitted, Last
//	FINAL    request id         -               Status, Count, Text
//	SAMPLE   sequence number    key (or key     Delete, Timestamp (required), and for
//	                            expression)     a put: Encoding, Value
//
// A zero Timestamp means "absent". The codec checks lengths only: keys
// and key expressions are validated by the server (package keyexpr), which
// answers StatusInvalidKeyExpr or StatusWildcardKey.
type Message struct {
	Kind Kind
	// ID is the request id that ties replies and the FINAL to their
	// request, so many goroutines can share one CLIENT socket. In a SAMPLE
	// it is the publisher's sequence number.
	ID uint64
	// Key is the key or key expression.
	Key string
	// Encoding describes the value, as a MIME type ("text/plain") or
	// Zenoh encoding name ("zenoh/bytes"); free text for the codec.
	Encoding string
	// Parameters is the selector's parameters part, without the "?"
	// ("limit=10;_time=[now(-1h)..]").
	Parameters string
	// Timestamp orders writes (last writer wins).
	Timestamp hlc.Timestamp
	// Value is the payload. Decode makes it point into the decoded buffer.
	Value []byte
	// Delete marks a SAMPLE as a delete.
	Delete bool
	// Omitted (SAMPLE and REPLY only) says the value was too large for the
	// change feed, or for a wildcard query's REPLY, and is left out: Value
	// then holds its size and BLAKE3 hash (OmittedValue, ParseOmitted), and
	// the reader gets the key for it (a streamed get reads the value).
	Omitted bool
	// Stream (QUERY only) says the client accepts streamed replies
	// (REPLY_BEGIN and REPLY_CHUNK, docs/storage-protocol.md §12); without
	// it a server answers a value too large for one REPLY with TOO_LARGE.
	Stream bool
	// AcceptLast (QUERY only) says the client accepts an answer ended by
	// a REPLY with Last set instead of a FINAL (docs/storage-protocol.md
	// §4, flag L). Without it a server always ends an answer with a FINAL.
	AcceptLast bool
	// Last (REPLY only) says this REPLY ends the answer: it stands for
	// itself followed by a FINAL with StatusOK counting every REPLY of the
	// request, this one included, and no FINAL follows. A server sends it
	// only to a QUERY with AcceptLast.
	Last bool
	// Status is a FINAL's outcome.
	Status Status
	// Count is the number of REPLY messages the server sent for this
	// request before the FINAL, so a client can tell none were lost.
	Count uint32
	// Text explains a non-OK Status (may be empty).
	Text string
}

// Size returns the exact number of bytes AppendBinary appends for m (for
// a message that encodes).
func (m *Message) Size() int {
	n := HeaderLen
	switch m.Kind {
	case KindFinal:
		return n + 1 + 4 + 2 + len(m.Text)
	case KindQuery:
		return n + 4 + len(m.Key) + len(m.Parameters)
	}
	n += 4 + len(m.Key) + len(m.Encoding) + len(m.Value)
	if !m.Timestamp.IsZero() {
		n += hlc.EncodedLen
	}
	return n
}

// MarshalBinary returns m encoded in a new slice (see AppendBinary).
func (m *Message) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, m.Size()))
}

// AppendHead appends m's encoding without its Value, which comes last in
// every kind that has one: the encoding of m is the result followed by
// m.Value. A sender of a large value frames it this way without copying
// it (patterns.Server.RouteConcat). It refuses what AppendBinary refuses.
func (m *Message) AppendHead(dst []byte) ([]byte, error) {
	if err := m.check(); err != nil {
		return dst, err
	}
	head := *m
	head.Value = nil
	return head.appendChecked(dst), nil // checked with its Value (an omitted one's descriptor)
}

// AppendBinary appends m's encoding (docs/storage-protocol.md) to dst and
// returns the extended slice. It does not allocate when dst has room (see
// Size), so a sender can reuse one buffer for every message.
//
// It refuses, with an error matching ErrMalformed, a message Decode would
// reject: an unknown Kind, a field the kind does not use set, a REPLY or
// SAMPLE without a Timestamp; and with ErrTooLarge a string field longer
// than MaxStringLen. On error dst is returned unchanged.
func (m *Message) AppendBinary(dst []byte) ([]byte, error) {
	if err := m.check(); err != nil {
		return dst, err
	}
	return m.appendChecked(dst), nil
}

// appendChecked is AppendBinary for a message check accepted.
func (m *Message) appendChecked(dst []byte) []byte {
	var flags byte
	if !m.Timestamp.IsZero() {
		flags |= flagTimestamp
	}
	if m.Delete {
		flags |= flagDelete
	}
	if m.Stream {
		flags |= flagStream
	}
	if m.Omitted {
		flags |= flagOmitted
	}
	if m.AcceptLast || m.Last {
		flags |= flagLast
	}
	dst = append(dst, Version, byte(m.Kind), flags)
	dst = binary.BigEndian.AppendUint64(dst, m.ID)
	switch m.Kind {
	case KindFinal:
		dst = append(dst, byte(m.Status))
		dst = binary.BigEndian.AppendUint32(dst, m.Count)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Text)))
		return append(dst, m.Text...)
	case KindQuery:
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Key)))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Parameters)))
		dst = append(dst, m.Key...)
		return append(dst, m.Parameters...)
	}
	// PUT, DELETE, REPLY, SAMPLE: the entry layout.
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Key)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Encoding)))
	dst = append(dst, m.Key...)
	dst = append(dst, m.Encoding...)
	if flags&flagTimestamp != 0 {
		dst = m.Timestamp.Append(dst)
	}
	return append(dst, m.Value...)
}

// check reports whether m can be encoded: what Decode accepts, and
// nothing else.
func (m *Message) check() error {
	bad := func(field, detail string) error {
		return &FormatError{Err: ErrMalformed, Kind: m.Kind, Field: field, Offset: -1, Detail: detail}
	}
	tooLong := func(field string, n int) error {
		if n > MaxStringLen {
			return &FormatError{Err: ErrTooLarge, Kind: m.Kind, Field: field, Offset: -1,
				Detail: strconv.Itoa(n) + " bytes, limit " + strconv.Itoa(MaxStringLen)}
		}
		return nil
	}
	k := m.Kind
	switch k {
	case KindPut, KindDelete, KindQuery, KindReply, KindFinal, KindSample:
	default:
		return bad("kind", "unknown kind "+k.String())
	}
	hasTS := !m.Timestamp.IsZero()
	entry := k != KindQuery && k != KindFinal
	writesEncoding := k == KindPut || k == KindReply || (k == KindSample && !m.Delete)
	switch {
	case k == KindFinal && m.Key != "":
		return bad("key", "a FINAL has no key")
	case !writesEncoding && m.Encoding != "":
		return bad("encoding", k.String()+" has no encoding")
	case !writesEncoding && len(m.Value) > 0:
		return bad("value", k.String()+" has no value")
	case k != KindQuery && m.Parameters != "":
		return bad("parameters", "only a QUERY has parameters")
	case !entry && hasTS:
		return bad("timestamp", k.String()+" has no timestamp")
	case (k == KindReply || k == KindSample) && !hasTS:
		return bad("timestamp", k.String()+" requires a timestamp")
	case k != KindSample && m.Delete:
		return bad("delete", "only a SAMPLE has the delete flag")
	case k != KindQuery && m.Stream:
		return bad("stream", "only a QUERY has the stream flag")
	case m.Omitted && (k != KindSample && k != KindReply || m.Delete):
		return bad("omitted", "only a REPLY or a put SAMPLE has the omitted flag")
	case k != KindQuery && m.AcceptLast:
		return bad("accept last", "only a QUERY has the accept-last flag")
	case k != KindReply && m.Last:
		return bad("last", "only a REPLY has the last flag")
	case m.Omitted && len(m.Value) != OmittedLen:
		return bad("value", "an omitted value's descriptor is "+strconv.Itoa(OmittedLen)+" bytes")
	case k != KindFinal && (m.Status != StatusOK || m.Count != 0 || m.Text != ""):
		return bad("status", "only a FINAL has status, count and text")
	}
	if err := tooLong("key", len(m.Key)); err != nil {
		return err
	}
	if err := tooLong("encoding", len(m.Encoding)); err != nil {
		return err
	}
	if err := tooLong("parameters", len(m.Parameters)); err != nil {
		return err
	}
	return tooLong("text", len(m.Text))
}

// PeekID returns the request id of a message without decoding the rest,
// whatever its version or kind: every version of the protocol keeps the
// version at byte 0 and the request id at bytes 3 to 10, so a server can
// address its StatusVersion or StatusMalformed FINAL. ok is false if b is
// shorter than HeaderLen.
func PeekID(b []byte) (id uint64, ok bool) {
	if len(b) < HeaderLen {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[3:HeaderLen]), true
}

// HashHex returns hash in lower-case hex, or "" for the zero hash, which an
// omitted value's descriptor carries when its hash is not known (see
// OmittedValue).
func HashHex(hash [32]byte) string {
	if hash == ([32]byte{}) {
		return ""
	}
	return hex.EncodeToString(hash[:])
}
