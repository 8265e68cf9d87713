package proto

import (
	"context"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/keyexpr"
)

// Status is the outcome a FINAL message reports for a request. Status
// values are errors themselves, so a client can test a server's answer
// with errors.Is(err, proto.StatusReadOnly).
//
// The codec carries any byte value; codes this version does not name
// still decode (String shows them as "status(N)") so newer servers can add
// codes.
type Status uint8

// Status codes. The numbers are part of the wire format
// (docs/storage-protocol.md) and never change meaning.
const (
	// StatusOK: the request succeeded.
	StatusOK Status = 0
	// StatusMalformed: the request could not be decoded.
	StatusMalformed Status = 1
	// StatusVersion: the request's protocol version is not supported; the
	// FINAL's text names the versions the server speaks.
	StatusVersion Status = 2
	// StatusInvalidKeyExpr: the key or key expression is not valid.
	StatusInvalidKeyExpr Status = 3
	// StatusWildcardKey: a PUT named a key expression with wildcards; puts
	// need a plain key.
	StatusWildcardKey Status = 4
	// StatusTooLarge: the value (or key, or encoding) exceeds the server's
	// limit.
	StatusTooLarge Status = 5
	// StatusReadOnly: every storage the request reached is read-only.
	StatusReadOnly Status = 6
	// StatusNoStorage: no storage's key expression intersects the
	// request's.
	StatusNoStorage Status = 7
	// StatusBackend: a storage's medium failed (disk, S3).
	StatusBackend Status = 8
	// StatusInternal: a bug or unexpected condition in the server.
	StatusInternal Status = 9
	// StatusTimeout: the server gave up on the request after its deadline.
	StatusTimeout Status = 10
	// StatusUnavailable: the server is shutting down or overloaded; the
	// request may be retried elsewhere or later.
	StatusUnavailable Status = 11
	// StatusTimestampDrift: the request's timestamp is further in the
	// server clock's future than the allowed drift.
	StatusTimestampDrift Status = 12
	// StatusUnsupported: the server does not accept this kind of message
	// as a request (for example a REPLY or SAMPLE sent to it).
	StatusUnsupported Status = 13
	// StatusUnknownUpload: a chunk arrived on a request id with no open
	// streamed put, or a resumed put names an upload the server does not
	// hold (never began, collected, or begun with other parameters).
	StatusUnknownUpload Status = 14
	// StatusIntegrity: a chunk or its proof does not match the value's
	// announced BLAKE3 root, or its length disagrees with the declared
	// size. Nothing of the value was stored.
	StatusIntegrity Status = 15
	// StatusStream: a streamed value broke the stream's rules: a chunk out
	// of order or beyond the granted window, more chunks than declared, or
	// a FINAL before the last chunk.
	StatusStream Status = 16
)

var statusNames = [...]string{
	StatusOK:             "ok",
	StatusMalformed:      "malformed request",
	StatusVersion:        "unsupported protocol version",
	StatusInvalidKeyExpr: "invalid key expression",
	StatusWildcardKey:    "wildcard in a put key",
	StatusTooLarge:       "too large",
	StatusReadOnly:       "read-only storage",
	StatusNoStorage:      "no storage matches",
	StatusBackend:        "backend failure",
	StatusInternal:       "internal error",
	StatusTimeout:        "timeout",
	StatusUnavailable:    "server unavailable",
	StatusTimestampDrift: "timestamp too far in the future",
	StatusUnsupported:    "unsupported request",
	StatusUnknownUpload:  "unknown upload",
	StatusIntegrity:      "chunk failed verification",
	StatusStream:         "stream out of order",
}

// String returns a short description ("read-only storage"), or
// "status(N)" for a code this version does not know.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Error makes a Status usable as an error target: errors.Is(err,
// StatusReadOnly) holds for a *StatusError with that status.
func (s Status) Error() string { return s.String() }

// StatusError is a non-OK FINAL seen as a Go error: the server's status and
// text. It matches its Status with errors.Is.
type StatusError struct {
	Status Status
	Text   string
}

// Error returns "storage server: <status>: <text>".
func (e *StatusError) Error() string {
	if e.Text == "" {
		return "storage server: " + e.Status.String()
	}
	return "storage server: " + e.Status.String() + ": " + e.Text
}

// Unwrap returns the Status.
func (e *StatusError) Unwrap() error { return e.Status }

// Err returns nil for a FINAL with StatusOK, and a *StatusError holding
// the status and text otherwise. For other kinds it returns nil.
func (m *Message) Err() error {
	if m.Kind != KindFinal || m.Status == StatusOK {
		return nil
	}
	return &StatusError{Status: m.Status, Text: m.Text}
}

// StatusOf maps an error to the status a server reports for it: nil is
// StatusOK; a Status or *StatusError keeps its status; this package's
// ErrMalformed, ErrVersion and ErrTooLarge, keyexpr.ErrWild and
// keyexpr.ErrInvalid, hlc.ErrDrift, the stream errors (ErrUnknownUpload,
// ErrStreamOrder, and package vstream's), context.DeadlineExceeded and
// context.Canceled map to the matching codes; anything else is
// StatusInternal. Servers map their backends' errors (read-only, medium
// failure) themselves before falling back on StatusOf.
func StatusOf(err error) Status {
	var s Status
	switch {
	case err == nil:
		return StatusOK
	case errors.As(err, &s):
		return s
	case errors.Is(err, ErrVersion):
		return StatusVersion
	case errors.Is(err, ErrTooLarge):
		return StatusTooLarge
	case errors.Is(err, ErrMalformed):
		return StatusMalformed
	case errors.Is(err, keyexpr.ErrWild):
		return StatusWildcardKey
	case errors.Is(err, keyexpr.ErrInvalid):
		return StatusInvalidKeyExpr
	case errors.Is(err, hlc.ErrDrift):
		return StatusTimestampDrift
	case errors.Is(err, ErrUnknownUpload):
		return StatusUnknownUpload
	case errors.Is(err, vstream.ErrCorrupt), errors.Is(err, vstream.ErrProof), errors.Is(err, vstream.ErrSize):
		return StatusIntegrity
	case errors.Is(err, ErrStreamOrder), errors.Is(err, vstream.ErrExtraChunk), errors.Is(err, vstream.ErrTruncated):
		return StatusStream
	case errors.Is(err, context.DeadlineExceeded):
		return StatusTimeout
	case errors.Is(err, context.Canceled):
		return StatusUnavailable
	}
	return StatusInternal
}

// NewFinal builds the FINAL message that closes request id after count
// REPLY messages: StatusOf(err) and err's text, cut to MaxStringLen bytes
// on a UTF-8 boundary so that it always encodes.
func NewFinal(id uint64, count uint32, err error) Message {
	m := Message{Kind: KindFinal, ID: id, Count: count, Status: StatusOf(err)}
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			m.Text = se.Text
		} else {
			m.Text = err.Error()
		}
		m.Text = truncateUTF8(m.Text, MaxStringLen)
	}
	return m
}

// truncateUTF8 cuts s to at most n bytes, backing off to the start of a
// rune so that valid UTF-8 stays valid.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for i := 0; i < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}
	return s[:cut]
}
