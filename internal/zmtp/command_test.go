package zmtp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCommandBodies(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"bare command", AppendCommand(nil, "WELCOME"), []byte("\x07WELCOME")},
		{"command with data", AppendCommand(nil, "HELLO", []byte{1, 0}, []byte("xy")), []byte("\x05HELLO\x01\x00xy")},
		{"READY from a CLIENT", AppendReady(nil, Metadata{{"Socket-Type", "CLIENT"}}),
			[]byte{0x05, 'R', 'E', 'A', 'D', 'Y', 0x0B, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 6, 'C', 'L', 'I', 'E', 'N', 'T'}},
		{"ERROR 400", AppendError(nil, "400"), []byte("\x05ERROR\x03400")},
		{"ERROR cut to 255", AppendError(nil, strings.Repeat("x", 300))[:8], []byte("\x05ERROR\xffx")},
		{"PING TTL 0, context LOL", AppendPing(nil, 0, []byte("LOL")), []byte("\x04PING\x00\x00LOL")},
		{"PING TTL 2.0 s", AppendPing(nil, 20, nil), []byte("\x04PING\x00\x14")},
		{"PONG LOL", AppendPong(nil, []byte("LOL")), []byte("\x04PONGLOL")},
		{"JOIN", AppendJoin(nil, "weather"), []byte("\x04JOINweather")},
		{"LEAVE the empty group", AppendLeave(nil, ""), []byte("\x05LEAVE")},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s:\n got % x\nwant % x", tc.name, tc.got, tc.want)
		}
	}
	if n := len(AppendError(nil, strings.Repeat("x", 300))); n != 6+1+255 {
		t.Errorf("ERROR with a long reason is %d bytes", n)
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		body       []byte
		name, data string
		msg        string
	}{
		{[]byte("\x05READY"), "READY", "", ""},
		{[]byte("\x04PING\x00\x0aLOL"), "PING", "\x00\x0aLOL", ""},
		{nil, "", "", "empty command"},
		{[]byte{0}, "", "", "command name length 0 runs past its 1-byte body"},
		{[]byte("\x09READY"), "", "", "command name length 9 runs past its 6-byte body"},
		{[]byte("^RROR\x03400"), "", "", "length 94"},
	} {
		name, data, err := ParseCommand(tc.body)
		if tc.msg != "" {
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("% x: %v, want a protocol error mentioning %q", tc.body, err, tc.msg)
			}
			continue
		}
		if err != nil || name != tc.name || string(data) != tc.data {
			t.Errorf("% x: %q %q %v", tc.body, name, data, err)
		}
	}
}

func TestIsCommand(t *testing.T) {
	for _, tc := range []struct {
		body []byte
		name string
		want bool
	}{
		{[]byte("\x04PING\x00\x00"), "PING", true},
		{[]byte("\x04PING"), "PING", true}, // no data
		{[]byte("\x04PONG\x00"), "PING", false},
		{[]byte("\x05PINGS\x00"), "PING", false},
		{[]byte("\x04PIN"), "PING", false},
		{nil, "PING", false},
	} {
		if got := IsCommand(tc.body, tc.name); got != tc.want {
			t.Errorf("IsCommand(%q, %q) = %v", tc.body, tc.name, got)
		}
	}
	if d := Data([]byte("\x05ERROR\x03bye"), "ERROR"); string(d) != "\x03bye" {
		t.Fatalf("Data: %q", d)
	}
}

func TestErrorReasons(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{[]byte("\x03400"), "400"},
		{nil, ""},
		{[]byte("\x09short"), "short"},    // claims more than there is
		{[]byte("\x03a\x1bb"), "a?b"},     // no terminal escapes
		{[]byte("\x02ok trailing"), "ok"}, // the rest is ignored
		{[]byte("\x04\xffOK\n"), "?OK?"},  // nor bytes above ASCII
	} {
		if got := ParseError(tc.data); got != tc.want {
			t.Errorf("ParseError(%q) = %q, want %q", tc.data, got, tc.want)
		}
	}
	// libzmq 4.3's PLAIN server: 5E "RROR" 03 "400".
	reason, ok := IsMalformedError([]byte{0x5E, 'R', 'R', 'O', 'R', 3, '4', '0', '0'})
	if !ok || reason != "400" {
		t.Fatalf("malformed ERROR: %q %v", reason, ok)
	}
	if _, ok := IsMalformedError([]byte("\x05ERROR\x03400")); ok {
		t.Fatal("a well-formed ERROR taken for libzmq's malformed one")
	}
}

func TestParsePing(t *testing.T) {
	for _, tc := range []struct {
		data    string
		ttl     uint16
		context string
		err     bool
	}{
		{"\x00\x0a", 10, "", false},
		{"\x00\x00LOL", 0, "LOL", false},
		{"\x01\x00" + "0123456789abcdefXYZ", 256, "0123456789abcdef", false},
		{"\x00", 0, "", true},
		{"", 0, "", true},
	} {
		ttl, ctx, err := ParsePing([]byte(tc.data))
		if tc.err {
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "PING without its TTL") {
				t.Errorf("%q: %v", tc.data, err)
			}
			continue
		}
		if err != nil || ttl != tc.ttl || string(ctx) != tc.context {
			t.Errorf("%q: %d %q %v", tc.data, ttl, ctx, err)
		}
	}
}

func TestParseGroup(t *testing.T) {
	for _, tc := range []struct {
		body     string
		group    string
		join, ok bool
	}{
		{"\x04JOINweather", "weather", true, true},
		{"\x04JOIN", "", true, true},
		{"\x05LEAVEweather", "weather", false, true},
		{"\x05LEAVE", "", false, true},
		{"\x04PING\x00\x00", "", false, false},
		{"\x04JOI", "", false, false},
		{"", "", false, false},
	} {
		g, join, ok := ParseGroup([]byte(tc.body))
		if string(g) != tc.group || join != tc.join || ok != tc.ok {
			t.Errorf("%q: %q %v %v", tc.body, g, join, ok)
		}
	}
}
