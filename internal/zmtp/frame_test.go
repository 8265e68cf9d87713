package zmtp

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

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
