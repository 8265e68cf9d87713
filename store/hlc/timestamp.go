package hlc

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a point on the hybrid logical clock. Its zero value is "no
// timestamp" (see IsZero); the storage protocol uses it to let the server
// stamp a write.
type Timestamp struct {
	// Time is the physical part: nanoseconds since the Unix epoch (UTC).
	Time int64
	// Counter is the logical part: it orders timestamps issued within the
	// same nanosecond, or while the wall clock stood still or went back.
	Counter uint32
	// Source identifies the clock that issued the timestamp; it breaks ties.
	Source ID
}

// EncodedLen is the size of a timestamp's binary form: Time (8 bytes),
// Counter (4 bytes), Source (16 bytes), integers big-endian.
const EncodedLen = 28

// textLayout prints all nine fraction digits so the text form is lossless
// and has a fixed width. The physical part fits years 1677 to 2262 (the
// range of int64 nanoseconds), all four digits wide.
const textLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Compare returns -1, 0 or +1 as t is before, equal to, or after u: by Time,
// then Counter, then the Source bytes in order.
func (t Timestamp) Compare(u Timestamp) int {
	switch {
	case t.Time < u.Time:
		return -1
	case t.Time > u.Time:
		return 1
	case t.Counter < u.Counter:
		return -1
	case t.Counter > u.Counter:
		return 1
	}
	return bytes.Compare(t.Source[:], u.Source[:])
}

// IsZero reports whether t is the zero Timestamp (no time, no counter, zero
// source), which means "not stamped".
func (t Timestamp) IsZero() bool {
	return t == Timestamp{}
}

// String returns the readable, lossless text form
// "2026-11-21T23:50:30.123456789Z/3/<32 hex digits>": the physical time in
// RFC 3339 UTC with nine fraction digits, the counter in decimal, the
// source ID in hex. ParseTimestamp reads it back exactly.
func (t Timestamp) String() string {
	var buf [64]byte
	return string(t.appendText(buf[:0]))
}

// AppendText appends the text form (see String) to b. It never fails; the
// error is there to satisfy encoding.TextAppender.
func (t Timestamp) AppendText(b []byte) ([]byte, error) {
	return t.appendText(b), nil
}

// MarshalText returns the text form (see String).
func (t Timestamp) MarshalText() ([]byte, error) {
	return t.appendText(make([]byte, 0, 64)), nil
}

// UnmarshalText parses the text form (see ParseTimestamp) into t.
func (t *Timestamp) UnmarshalText(b []byte) error {
	u, err := ParseTimestamp(string(b))
	if err != nil {
		return err
	}
	*t = u
	return nil
}

func (t Timestamp) appendText(b []byte) []byte {
	b = time.Unix(0, t.Time).UTC().AppendFormat(b, textLayout)
	b = append(b, '/')
	b = strconv.AppendUint(b, uint64(t.Counter), 10)
	b = append(b, '/')
	return hex.AppendEncode(b, t.Source[:])
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// ParseTimestamp parses the text form written by String:
// "<RFC 3339 time>/<counter>/<32 hex digits>". The time may have any number
// of fraction digits and any UTC offset, but must fall within the range of
// int64 Unix nanoseconds (years 1677 to 2262). Errors match ErrMalformed and
// say which part is wrong.
func ParseTimestamp(s string) (Timestamp, error) {
	ts, rest, ok := strings.Cut(s, "/")
	if !ok {
		return Timestamp{}, fmt.Errorf("%w: %q: want <time>/<counter>/<id>", ErrMalformed, s)
	}
	cs, ids, ok := strings.Cut(rest, "/")
	if !ok {
		return Timestamp{}, fmt.Errorf("%w: %q: want <time>/<counter>/<id>", ErrMalformed, s)
	}
	pt, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return Timestamp{}, fmt.Errorf("%w: time %q: %v", ErrMalformed, ts, err)
	}
	if pt.Before(minTime) || pt.After(maxTime) {
		return Timestamp{}, fmt.Errorf("%w: time %q outside the range of int64 nanoseconds", ErrMalformed, ts)
	}
	c, err := strconv.ParseUint(cs, 10, 32)
	if err != nil {
		return Timestamp{}, fmt.Errorf("%w: counter %q: want a decimal uint32", ErrMalformed, cs)
	}
	id, err := ParseID(ids)
	if err != nil {
		return Timestamp{}, err
	}
	return Timestamp{Time: pt.UnixNano(), Counter: uint32(c), Source: id}, nil
}

// Append appends the 28-byte binary form to b: Time as a big-endian int64
// (two's complement), Counter as a big-endian uint32, then the 16 Source
// bytes. It does not allocate when b has room.
func (t Timestamp) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Time))
	b = binary.BigEndian.AppendUint32(b, t.Counter)
	return append(b, t.Source[:]...)
}

// AppendBinary appends the binary form (see Append) to b. It never fails;
// the error is there to satisfy encoding.BinaryAppender.
func (t Timestamp) AppendBinary(b []byte) ([]byte, error) {
	return t.Append(b), nil
}

// MarshalBinary returns the 28-byte binary form (see Append).
func (t Timestamp) MarshalBinary() ([]byte, error) {
	return t.Append(make([]byte, 0, EncodedLen)), nil
}

// UnmarshalBinary decodes the binary form (see DecodeTimestamp) into t.
func (t *Timestamp) UnmarshalBinary(b []byte) error {
	u, err := DecodeTimestamp(b)
	if err != nil {
		return err
	}
	*t = u
	return nil
}

// DecodeTimestamp decodes the binary form written by Append. b must be
// exactly EncodedLen bytes long; otherwise the error matches ErrMalformed.
// Every 28-byte input decodes to some Timestamp.
func DecodeTimestamp(b []byte) (Timestamp, error) {
	if len(b) != EncodedLen {
		return Timestamp{}, fmt.Errorf("%w: binary form is %d bytes, want %d", ErrMalformed, len(b), EncodedLen)
	}
	var t Timestamp
	t.Time = int64(binary.BigEndian.Uint64(b[0:8]))
	t.Counter = binary.BigEndian.Uint32(b[8:12])
	copy(t.Source[:], b[12:EncodedLen])
	return t, nil
}
