// Package zmtp is zmesh's one codec of the ZeroMQ Message Transport
// Protocol, version 3.1: the greeting, frames, commands and their
// metadata. Everything that puts ZMTP bytes on a wire or reads them off one
// goes through it: the socket engine (with the allocation-free primitives
// AppendHeader and ParseHeader over its own buffers), the security
// mechanisms (commands and metadata), and tests and test peers (Reader and
// Writer; Writer.AllowIllegal lets a hostile peer send broken bytes through
// the same code).
//
// # Greeting
//
// Each side sends 64 bytes as soon as the connection is up, without
// waiting for the other's (libzmq sends its own in pieces and waits in
// between, so a peer that waits for all 64 bytes first deadlocks):
//
//	offset  size  field
//	0       1     0xFF                     signature start
//	1       8     padding                  libzmq: big-endian 1; never checked
//	9       1     0x7F                     signature end; only bit 0 is checked
//	10      1     major version            3; below 3 is refused
//	11      1     minor version            1 (libzmq up to 4.3.2 sends 0)
//	12      20    mechanism                "NULL", "PLAIN", "CURVE", "NOISE", NUL-padded
//	32      1     as-server                1 for a PLAIN/CURVE/NOISE server; ignored
//	33      31    filler                   zeros; ignored
//
// A signature without 0xFF first or bit 0 of byte 9 is ZMTP 1.0 or not
// ZMTP; it is checked on the first 10 bytes, before waiting for the rest
// (CheckSignature). A major version above 3 is answered as 3.1; 3.0 and 3.1
// frame alike. The mechanism names must match to the byte, or the
// connection is closed without an ERROR, as libzmq does. libzmq never sets
// or reads the as-server byte, so nothing may depend on it.
//
// # Frames
//
// After the greetings everything is a frame: a flags byte, the body's size
// and the body.
//
//	short:  flags(1) size(1)                       body   size 0..255
//	long:   flags(1)|0x02 size(8, big-endian)      body   size 0..2^63-1
//
//	flag 0x01 MORE     another frame of the same message follows
//	flag 0x02 LONG     the size takes 8 bytes
//	flag 0x04 COMMAND  a command frame (never with MORE)
//	bits 3-7           reserved, must be 0 (libzmq ignores them; we refuse them)
//
// Encoders use the short form up to 255 bytes and the long one above, as
// libzmq does; decoders take the long form for any size. A reader checks
// the announced size against its limit before it allocates anything for
// the body (ParseHeader, Reader.MaxSize).
//
// # Commands
//
// A command frame's body is the name's length (1 to 255), the name
// (case-sensitive ASCII) and the command's data:
//
//	READY    metadata                              NULL, PLAIN and CURVE handshakes
//	ERROR    reason-len(1) reason                  a refused handshake ("400", "500")
//	PING     ttl(2, big-endian, 0.1 s) context(0..16)
//	PONG     the PING's context
//	JOIN     group (the rest of the body)          DISH to RADIO
//	LEAVE    group
//	HELLO, WELCOME, INITIATE, MESSAGE              laid out by each mechanism
//
// Metadata, in READY and INITIATE, is a list of properties, each
// name-len(1) name value-len(4, big-endian) value; trailing bytes are an
// error. libzmq sends "Socket-Type" always and compares names
// case-sensitively; the RFC says case-insensitively, so we send the exact
// spellings and look names up case-insensitively.
//
// Two quirks of libzmq 4.3 shape the decoders. Its PLAIN server sends
// ERROR as 0x5E "RROR" reason-len reason (its source writes "\x05ERROR" and
// the hex escape eats the E): IsMalformedError recognises it. And it reads
// a PING's TTL without checking the length, so we always send it and
// refuse a PING without it. After the handshake, commands a side does not
// know are dropped, as libzmq drops them.
//
// # Errors
//
// Bytes that break the protocol give a *ProtocolError (errors.Is
// ErrProtocol); a frame over the size limit a *SizeError (ErrTooLarge). The
// engine and the mechanisms wrap them into their own errors.
package zmtp
