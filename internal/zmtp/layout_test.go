package zmtp

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// These tests pin down the byte layouts of the greeting, frames, commands
// and metadata that the package documentation describes.

func TestAppendHeaderBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags byte
		n     int
		want  []byte
	}{
		{"empty message", 0, 0, []byte{0x00, 0x00}},
		{"short message, more", FlagMore, 5, []byte{0x01, 0x05}},
		{"largest short", 0, 255, []byte{0x00, 0xFF}},
		{"smallest long", 0, 256, []byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0}},
		{"long, more", FlagMore, 1 << 20, []byte{0x03, 0, 0, 0, 0, 0, 0x10, 0, 0}},
		{"short command", FlagCommand, 7, []byte{0x04, 0x07}},
		{"long command", FlagCommand, 300, []byte{0x06, 0, 0, 0, 0, 0, 0, 1, 0x2C}},
		{"LONG in flags is the size's to decide", FlagLong, 3, []byte{0x00, 0x03}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendHeader([]byte{0xAA}, tc.flags, tc.n)
			if !bytes.Equal(got, append([]byte{0xAA}, tc.want...)) {
				t.Fatalf("got % x, want AA % x", got, tc.want)
			}
			if HeaderLen(tc.n) != len(tc.want) {
				t.Fatalf("HeaderLen(%d) = %d, want %d", tc.n, HeaderLen(tc.n), len(tc.want))
			}
		})
	}
}

func TestAppendFrameBytes(t *testing.T) {
	// A PING with TTL 1.0 s and no context, as libzmq sends it.
	got := AppendFrame(nil, FlagCommand, AppendPing(nil, 10, nil))
	want := []byte{0x04, 0x07, 0x04, 'P', 'I', 'N', 'G', 0x00, 0x0A}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x, want % x", got, want)
	}
}

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		max  int64
		want Header
		err  error
		msg  string
	}{
		{"nothing yet", nil, 0, Header{Need: 2}, nil, ""},
		{"flags only", []byte{0x00}, 0, Header{Need: 2}, nil, ""},
		{"short", []byte{0x01, 0x05, 'x'}, 0, Header{Flags: FlagMore, Size: 5, Len: 2}, nil, ""},
		{"short command", []byte{0x04, 0xFF}, 0, Header{Flags: FlagCommand, Size: 255, Len: 2}, nil, ""},
		{"long, incomplete", []byte{0x02, 0, 0, 0}, 0, Header{Need: 9}, nil, ""},
		{"long for a small body", []byte{0x02, 0, 0, 0, 0, 0, 0, 0, 3}, 0, Header{Size: 3, Len: 9}, nil, ""},
		{"long command", []byte{0x06, 0, 0, 0, 0, 0, 0, 1, 0x2C}, 0, Header{Flags: FlagCommand, Size: 300, Len: 9}, nil, ""},
		{"at the limit", []byte{0x00, 100}, 100, Header{Size: 100, Len: 2}, nil, ""},
		{"over the limit", []byte{0x00, 101}, 100, Header{}, ErrTooLarge, "peer announced a 101-byte frame, the maximum message size is 100"},
		{"2^40 over the limit", []byte{0x06, 0, 0, 1, 0, 0, 0, 0, 0}, 1 << 20, Header{}, ErrTooLarge, "1099511627776-byte frame"},
		{"2^63", []byte{0x02, 0x80, 0, 0, 0, 0, 0, 0, 0}, 0, Header{}, ErrProtocol, "exceeds 2^63-1"},
		{"reserved bit", []byte{0x80, 1, 'a'}, 0, Header{}, ErrProtocol, "reserved frame flag bits set (0x80)"},
		{"reserved bit seen before the long size", []byte{0x0A}, 0, Header{Need: 2}, nil, ""},
		{"reserved bit on a long header", []byte{0x0A, 0}, 0, Header{}, ErrProtocol, "(0x0a)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHeader(tc.in, tc.max)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !bytes.Contains([]byte(err.Error()), []byte(tc.msg)) {
					t.Fatalf("error %v, want %v mentioning %q", err, tc.err, tc.msg)
				}
				return
			}
			if err != nil || h != tc.want {
				t.Fatalf("got %+v %v, want %+v", h, err, tc.want)
			}
		})
	}
}

func TestParseHeaderSizeErrorFields(t *testing.T) {
	_, err := ParseHeader([]byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0}, 1<<20)
	var se *SizeError
	if !errors.As(err, &se) || se.Size != 1<<62 || se.Max != 1<<20 {
		t.Fatalf("got %#v", err)
	}
	// Without a limit, a frame whose length an int cannot hold is too
	// large (a reader computes header + size).
	_, err = ParseHeader([]byte{0x02, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 0)
	if !errors.As(err, &se) || se.Max != math.MaxInt-LongHeaderLen {
		t.Fatalf("a size of 2^63-1: %v", err)
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 65535, 1 << 30} {
		for _, flags := range []byte{0, FlagMore, FlagCommand} {
			b := AppendHeader(nil, flags, n)
			h, err := ParseHeader(b, 0)
			if err != nil || h.Flags != flags || h.Size != n || h.Len != len(b) {
				t.Fatalf("%d bytes, flags %x: % x parses as %+v %v", n, flags, b, h, err)
			}
		}
	}
}

func TestGreetingBytes(t *testing.T) {
	got := NewGreeting("NULL", false).Append(nil)
	want := append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1, 'N', 'U', 'L', 'L'}, make([]byte, 48)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("greeting\n got % x\nwant % x", got, want)
	}
	got = NewGreeting("CURVE", true).Append(nil)
	if len(got) != GreetingLen || string(got[12:17]) != "CURVE" || got[17] != 0 || got[32] != 1 || !bytes.Equal(got[33:], make([]byte, 31)) {
		t.Fatalf("CURVE server greeting % x", got)
	}
}

func TestParseGreeting(t *testing.T) {
	good := NewGreeting("PLAIN", true).Append(nil)
	with := func(i int, b byte) []byte { g := bytes.Clone(good); g[i] = b; return g }
	for _, tc := range []struct {
		name string
		in   []byte
		want Greeting
		msg  string // a *ProtocolError mentioning this, if set
	}{
		{"ours", good, Greeting{3, 1, "PLAIN", true}, ""},
		{"libzmq 4.3.2: 3.0, zero padding, as-server 0", func() []byte {
			g := with(11, 0)
			g[8], g[32] = 0, 0
			return g
		}(), Greeting{3, 0, "PLAIN", false}, ""},
		{"ZMTP 4 peer", with(10, 4), Greeting{4, 1, "PLAIN", true}, ""},
		{"signature end: only bit 0 counts", with(9, 0x01), Greeting{3, 1, "PLAIN", true}, ""},
		{"ZMTP 2.0", with(10, 2), Greeting{}, "ZMTP 2.1 is not supported"},
		{"no 0xFF", with(0, 0xFE), Greeting{}, "bad signature fe"},
		{"signature end without bit 0", with(9, 0x7E), Greeting{}, "not a ZMTP 3 peer"},
		{"HTTP", []byte("GET / HTTP/1.1\r\n\r\n"), Greeting{}, "bad signature 47 45 54"},
		{"short", good[:63], Greeting{}, "63 bytes, want 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ParseGreeting(tc.in)
			if tc.msg != "" {
				if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("error %v, want a protocol error mentioning %q", err, tc.msg)
				}
				return
			}
			if err != nil || g != tc.want {
				t.Fatalf("got %+v %v, want %+v", g, err, tc.want)
			}
		})
	}
}

func TestGreetingRevisionAndMechanism(t *testing.T) {
	for _, tc := range []struct {
		g    Greeting
		want byte
	}{{Greeting{Major: 3, Minor: 0}, 0}, {Greeting{Major: 3, Minor: 1}, 1}, {Greeting{Major: 3, Minor: 7}, 7}, {Greeting{Major: 4, Minor: 0}, 1}} {
		if got := tc.g.Revision(); got != tc.want {
			t.Errorf("%d.%d: revision %d, want %d", tc.g.Major, tc.g.Minor, got, tc.want)
		}
	}
	if err := (Greeting{Mechanism: "NULL"}).CheckMechanism("NULL"); err != nil {
		t.Fatal(err)
	}
	err := (Greeting{Mechanism: "CUR\x1bVE\x00junk"}).CheckMechanism("NULL")
	if !errors.Is(err, ErrProtocol) || err.Error() != `protocol error: greeting: peer's mechanism "CUR?VE" does not match ours "NULL"` {
		t.Fatalf("got %v", err)
	}
}

// TestReadGreetingChecksSignatureFirst: a peer that sent only a bad
// signature is refused without waiting for the other 54 bytes.
func TestReadGreetingChecksSignatureFirst(t *testing.T) {
	var buf [GreetingLen]byte
	_, err := ReadGreeting(&onlyReader{data: []byte("GET / HTTP")}, buf[:])
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("got %v", err)
	}
	g, err := ReadGreeting(bytes.NewReader(NewGreeting("NOISE", false).Append(nil)), buf[:])
	if err != nil || g.Mechanism != "NOISE" {
		t.Fatalf("got %+v %v", g, err)
	}
	for _, n := range []int{0, 5, 10, 63} {
		_, err := ReadGreeting(bytes.NewReader(NewGreeting("NULL", false).Append(nil)[:n]), buf[:])
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
}

// onlyReader serves its data and then fails the test's expectations by
// reporting that a read would have blocked.
type onlyReader struct{ data []byte }

var errWouldBlock = errors.New("read past the data: would have blocked")

func (r *onlyReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errWouldBlock
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

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

// TestParseCommand also holds CheckCommand to ParseCommand's verdicts.
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
		if cerr := CheckCommand(tc.body); (cerr == nil) != (err == nil) || cerr != nil && cerr.Error() != err.Error() {
			t.Errorf("% x: CheckCommand says %v, ParseCommand %v", tc.body, cerr, err)
		}
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

func TestMetadataRoundTrip(t *testing.T) {
	md := Metadata{{"Socket-Type", "CLIENT"}, {"X-Empty", ""}, {"Identity", string(make([]byte, 300))}}
	got, err := ParseMetadata(md.Append(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(md) {
		t.Fatalf("got %d properties", len(got))
	}
	for i := range md {
		if got[i] != md[i] {
			t.Fatalf("property %d: %+v, want %+v", i, got[i], md[i])
		}
	}
	if v, ok := got.Get("socket-TYPE"); !ok || v != "CLIENT" {
		t.Fatal("Get is not case-insensitive")
	}
	if _, ok := got.Get("Routing-Id"); ok {
		t.Fatal("Get found a property that is not there")
	}
	if md, err := ParseMetadata(nil); err != nil || len(md) != 0 {
		t.Fatalf("no properties: %v %v", md, err)
	}
}

func TestMetadataBytes(t *testing.T) {
	got := Metadata{{"Socket-Type", "SERVER"}, {"X-A", "b"}}.Append(nil)
	want := []byte("\x0bSocket-Type\x00\x00\x00\x06SERVER\x03X-A\x00\x00\x00\x01b")
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
}

func TestParseMetadataRefuses(t *testing.T) {
	many := bytes.Repeat([]byte("\x01a\x00\x00\x00\x00"), MaxProperties+1)
	for _, tc := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"empty name", []byte("\x00\x00\x00\x00\x00"), "empty name"},
		{"name past the end", []byte("\x0bSocket"), "name runs past the command"},
		{"value length cut", []byte("\x01a\x00\x00"), "name runs past the command"},
		{"value past the end", []byte("\x0bSocket-Type\x00\x00\x10\x00CLIENT"), `"Socket-Type" announces 4096 bytes, 6 left`},
		{"trailing byte", []byte("\x01a\x00\x00\x00\x00\x05"), "runs past"},
		{"too many", many, "more than 64 metadata properties"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMetadata(tc.in)
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want a protocol error mentioning %q", err, tc.msg)
			}
		})
	}
	if md, err := ParseMetadata(many[:6*MaxProperties]); err != nil || len(md) != MaxProperties {
		t.Fatalf("exactly %d properties: %d %v", MaxProperties, len(md), err)
	}
}

// SUBSCRIBE and CANCEL bodies, and the LONG flag decided by the whole
// body, never by the topic alone (libzmq issue 4367: a 246-255-byte
// topic).
func TestSubscriptionLayout(t *testing.T) {
	if got := AppendSubscription(nil, []byte("ab"), true); string(got) != "\x09SUBSCRIBEab" {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	if got := AppendSubscription(nil, nil, false); string(got) != "\x06CANCEL" {
		t.Fatalf("CANCEL: %q", got)
	}
	for _, n := range []int{245, 246, 250, 255} {
		body := AppendSubscription(nil, make([]byte, n), true)
		frame := AppendFrame(nil, FlagCommand, body)
		long := frame[0]&FlagLong != 0
		if long != (len(body) > 255) {
			t.Errorf("%d-byte topic: %d-byte body, LONG %v", n, len(body), long)
		}
		topic, sub, ok := ParseSubscription(body)
		if !ok || !sub || len(topic) != n {
			t.Errorf("%d-byte topic parsed as %d bytes, %v %v", n, len(topic), sub, ok)
		}
	}
	if _, _, ok := ParseSubscription(AppendCommand(nil, CmdJoin, []byte("g"))); ok {
		t.Error("JOIN parsed as a subscription")
	}
}
