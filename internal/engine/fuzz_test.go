package engine

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/zmesh/zmesh/socket"
)

// FuzzFrameReader feeds arbitrary bytes to the frame decoder: it must
// return frames or errors, never panic, never return a body longer than
// the maximum message size, and never over-read.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte{0x00, 0x02, 'h', 'i'})
	f.Add([]byte{0x04, 0x07, 0x04, 'P', 'I', 'N', 'G', 0, 0})
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'})
	f.Add([]byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x01, 0x01, 'g', 0x00, 0x01, 'b'})
	f.Add([]byte{0x80, 1, 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := newFrameReader(bytes.NewReader(data), 1<<16)
		consumed := 0
		for i := 0; i < 1000; i++ {
			flags, body, _, err := fr.next()
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, socket.ErrProtocol) || errors.Is(err, socket.ErrTooLarge) {
					return
				}
				t.Fatalf("unexpected error kind: %v", err)
			}
			if len(body) > 1<<16 {
				t.Fatalf("body of %d bytes over the limit", len(body))
			}
			if flags&^(flagMore|flagCommand) != 0 {
				t.Fatalf("flags %x leaked", flags)
			}
			if i == 0 {
				// The first frame is read as during a handshake; then the
				// link is up, and the buffer grows with bytes still unread.
				fr.established(nil)
			}
			consumed += 2 + len(body)
			if consumed > len(data) {
				t.Fatalf("decoded more body bytes (%d) than were given (%d)", consumed, len(data))
			}
		}
	})
}

// FuzzGreeting checks the greeting parser on arbitrary input.
func FuzzGreeting(f *testing.F) {
	f.Add(appendGreeting(nil, "NULL", false))
	f.Add(appendGreeting(nil, "CURVE", true))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var buf [greetingLen]byte
		minor, err := readGreeting(bytes.NewReader(data), buf[:], "NULL")
		if err == nil {
			if len(data) < greetingLen || data[0] != 0xFF || data[10] < 3 {
				t.Fatalf("accepted a bad greeting % x", data)
			}
			if data[10] == 3 && minor != data[11] {
				t.Fatalf("minor %d, want %d", minor, data[11])
			}
		}
	})
}

func TestGreetingBytes(t *testing.T) {
	g := appendGreeting(nil, "NULL", false)
	want := append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1, 'N', 'U', 'L', 'L'}, make([]byte, 48)...)
	if !bytes.Equal(g, want) {
		t.Fatalf("greeting\n got % x\nwant % x", g, want)
	}
	if g := appendGreeting(nil, "CURVE", true); g[32] != 1 {
		t.Fatal("as-server byte not set")
	}
}

func TestFrameEncoding(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x00, 0}},
		{255, []byte{0x00, 255}},
		{256, []byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0}},
	} {
		if got := appendFrameHeader(nil, 0, tc.n); !bytes.Equal(got, tc.want) {
			t.Errorf("header for %d bytes: % x, want % x", tc.n, got, tc.want)
		}
	}
}

// FuzzDatagram: parseDatagram never panics, and what it accepts re-encodes
// to the same bytes.
func FuzzDatagram(f *testing.F) {
	f.Add([]byte{1, 'g', 'b'})
	f.Add([]byte{10, 'g'})
	f.Add([]byte{0})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		group, body, err := parseDatagram(data)
		if err != nil {
			return
		}
		out, err := appendDatagram(nil, string(group), body)
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("round trip of % x: % x, %v", data, out, err)
		}
	})
}
