package proto

import (
	"time"

	"github.com/zmesh/zmesh/store/hlc"
)

// docTS is the timestamp the examples in docs/storage-protocol.md use:
// 2026-11-21T23:50:30.123456789Z, counter 3, source 00 01 .. 0f.
var docTS = hlc.Timestamp{
	Time:    time.Date(2026, 11, 21, 23, 50, 30, 123456789, time.UTC).UnixNano(),
	Counter: 3,
	Source:  hlc.ID{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f},
}

// docExamples are the messages whose encodings docs/storage-protocol.md
// shows, by the name the page gives them.
var docExamples = []struct {
	name string
	msg  Message
}{
	{"put", Message{Kind: KindPut, ID: 1, Key: "demo/a", Encoding: "text/plain", Value: []byte("0123456789abcdef")}},
	{"put-stamped", Message{Kind: KindPut, ID: 2, Key: "a/b", Timestamp: docTS, Value: []byte("hi")}},
	{"delete", Message{Kind: KindDelete, ID: 3, Key: "demo/**"}},
	{"query", Message{Kind: KindQuery, ID: 4, Key: "demo/*/temp", Parameters: "limit=10"}},
	{"reply", Message{Kind: KindReply, ID: 4, Key: "demo/b3/temp", Encoding: "text/plain", Timestamp: docTS, Value: []byte("21.5")}},
	{"final-ok", Message{Kind: KindFinal, ID: 4, Count: 1}},
	{"query-last", Message{Kind: KindQuery, ID: 6, Key: "demo/a", AcceptLast: true}},
	{"reply-last", Message{Kind: KindReply, ID: 6, Key: "demo/a", Timestamp: docTS, Value: []byte("on"), Last: true}},
	{"final-error", Message{Kind: KindFinal, ID: 5, Status: StatusReadOnly, Text: "demo is read-only"}},
	{"sample-put", Message{Kind: KindSample, ID: 42, Key: "demo/a", Encoding: "text/plain", Timestamp: docTS, Value: []byte("on")}},
	{"sample-delete", Message{Kind: KindSample, ID: 43, Key: "demo/**", Delete: true, Timestamp: docTS}},
}
