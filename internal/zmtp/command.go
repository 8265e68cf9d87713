package zmtp

import "encoding/binary"

// Names of the commands zmesh sends or understands. HELLO, WELCOME,
// INITIATE and MESSAGE belong to the security mechanisms, which lay out
// their data themselves.
const (
	CmdReady    = "READY"
	CmdError    = "ERROR"
	CmdHello    = "HELLO"
	CmdWelcome  = "WELCOME"
	CmdInitiate = "INITIATE"
	CmdMessage  = "MESSAGE"
	CmdPing     = "PING"
	CmdPong     = "PONG"
	CmdJoin     = "JOIN"
	CmdLeave    = "LEAVE"
	// CmdSubscribe and CmdCancel carry a PUB/SUB subscription's topic
	// (ZMTP 3.1; a 3.0 peer sends a data frame 0x01/0x00+topic instead).
	CmdSubscribe = "SUBSCRIBE"
	CmdCancel    = "CANCEL"
)

// Limits of command fields.
const (
	MaxNameLen        = 255 // a command or property name
	MaxReasonLen      = 255 // an ERROR reason
	MaxGroupLen       = 255 // a JOIN or LEAVE group
	MaxPingContextLen = 16  // the context a PONG echoes
)

// AppendCommand appends a command body (name length, name, then data) to
// dst. name must be 1 to 255 bytes; AppendCommand does not check it
// (Writer does).
func AppendCommand(dst []byte, name string, data ...[]byte) []byte {
	dst = append(dst, byte(len(name)))
	dst = append(dst, name...)
	for _, d := range data {
		dst = append(dst, d...)
	}
	return dst
}

// ParseCommand splits a command body into its name and data. It fails on
// an empty body, an empty name, or a name that runs past the body (see
// CheckCommand).
func ParseCommand(body []byte) (name string, data []byte, err error) {
	if err := CheckCommand(body); err != nil {
		return "", nil, err
	}
	n := int(body[0])
	return string(body[1 : 1+n]), body[1+n:], nil
}

// CheckCommand reports whether body is a well-formed command, a name of 1
// to 255 bytes and then any data, as ParseCommand does but without
// allocating the name.
func CheckCommand(body []byte) error {
	if len(body) == 0 {
		return protocolf("empty command")
	}
	if n := int(body[0]); n == 0 || 1+n > len(body) {
		return protocolf("command name length %d runs past its %d-byte body", n, len(body))
	}
	return nil
}

// IsCommand reports whether body is the command called name, with or
// without data, without allocating.
func IsCommand(body []byte, name string) bool {
	return len(body) > len(name) && int(body[0]) == len(name) && string(body[1:1+len(name)]) == name
}

// Data returns the data of body, which IsCommand(body, name) accepted.
func Data(body []byte, name string) []byte { return body[1+len(name):] }

// AppendReady appends a READY body carrying md.
func AppendReady(dst []byte, md Metadata) []byte {
	return md.Append(AppendCommand(dst, CmdReady))
}

// AppendError appends an ERROR body: the reason's length (1 byte) and the
// reason, cut to 255 bytes.
func AppendError(dst []byte, reason string) []byte {
	if len(reason) > MaxReasonLen {
		reason = reason[:MaxReasonLen]
	}
	dst = AppendCommand(dst, CmdError)
	dst = append(dst, byte(len(reason)))
	return append(dst, reason...)
}

// ParseError returns the reason an ERROR command's data carries, as
// printable text (see Printable). A reason that claims more bytes than
// there are is cut to what is there.
func ParseError(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	n := int(data[0])
	if 1+n > len(data) {
		n = len(data) - 1
	}
	return Printable(data[1 : 1+n])
}

// IsMalformedError reports whether body is the ERROR libzmq 4.3's PLAIN
// server sends: its source writes the prefix as "\x05ERROR", and the hex
// escape swallows the E, so the body starts 0x5E "RROR" (a name length
// of 94) and the reason follows at offset 5. It returns the reason.
func IsMalformedError(body []byte) (reason string, ok bool) {
	if len(body) >= 5 && string(body[:5]) == "^RROR" {
		return ParseError(body[5:]), true
	}
	return "", false
}

// AppendPing appends a PING body: the TTL (2 bytes, big-endian, in tenths
// of a second; 0 for none) and a context of up to 16 bytes for the PONG
// to echo.
func AppendPing(dst []byte, ttl uint16, context []byte) []byte {
	dst = AppendCommand(dst, CmdPing)
	dst = binary.BigEndian.AppendUint16(dst, ttl)
	return append(dst, context...)
}

// ParsePing decodes a PING's data. The TTL is required (libzmq reads it
// without checking, so a PING without it is broken); a context over 16
// bytes is cut to 16, as libzmq cuts it when it answers.
func ParsePing(data []byte) (ttl uint16, context []byte, err error) {
	if len(data) < 2 {
		return 0, nil, protocolf("PING without its TTL")
	}
	context = data[2:]
	if len(context) > MaxPingContextLen {
		context = context[:MaxPingContextLen]
	}
	return binary.BigEndian.Uint16(data), context, nil
}

// AppendPong appends a PONG body echoing a PING's context.
func AppendPong(dst []byte, context []byte) []byte {
	return AppendCommand(dst, CmdPong, context)
}

// AppendJoin appends a JOIN body: a DISH asks a RADIO for group's
// messages. The group is the whole data, without a length.
func AppendJoin(dst []byte, group string) []byte {
	return append(AppendCommand(dst, CmdJoin), group...)
}

// AppendLeave appends a LEAVE body, which undoes a JOIN.
func AppendLeave(dst []byte, group string) []byte {
	return append(AppendCommand(dst, CmdLeave), group...)
}

// ParseGroup recognises JOIN and LEAVE (the empty group included) and
// returns the group and which of the two it is; ok is false for any other
// command. The group's length is the caller's to check (MaxGroupLen).
func ParseGroup(body []byte) (group []byte, join, ok bool) {
	switch {
	case IsCommand(body, CmdJoin):
		return Data(body, CmdJoin), true, true
	case IsCommand(body, CmdLeave):
		return Data(body, CmdLeave), false, true
	}
	return nil, false, false
}

// AppendSubscription appends a SUBSCRIBE (subscribe true) or CANCEL body
// for topic. Its frame's LONG flag follows from the body's whole length
// (AppendFrame), never from the topic's alone (libzmq's issue 4367).
func AppendSubscription(dst []byte, topic []byte, subscribe bool) []byte {
	if subscribe {
		return AppendCommand(dst, CmdSubscribe, topic)
	}
	return AppendCommand(dst, CmdCancel, topic)
}

// ParseSubscription recognises SUBSCRIBE and CANCEL (the empty topic
// included) and returns the topic and which of the two it is; ok is false
// for any other command.
func ParseSubscription(body []byte) (topic []byte, subscribe, ok bool) {
	switch {
	case IsCommand(body, CmdSubscribe):
		return Data(body, CmdSubscribe), true, true
	case IsCommand(body, CmdCancel):
		return Data(body, CmdCancel), false, true
	}
	return nil, false, false
}
