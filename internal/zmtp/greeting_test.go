package zmtp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

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
