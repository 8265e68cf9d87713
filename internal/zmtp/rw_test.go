package zmtp

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestWriterBytes pins down what each Writer method puts on the wire, legal
// and illegal alike.
func TestWriterBytes(t *testing.T) {
	long := bytes.Repeat([]byte{'x'}, 256)
	for _, tc := range []struct {
		name    string
		illegal bool // refused with ErrIllegal unless AllowIllegal
		write   func(w *Writer) error
		want    []byte
	}{
		{"greeting", false, func(w *Writer) error { return w.WriteGreeting(NewGreeting("NULL", false)) }, NewGreeting("NULL", false).Append(nil)},
		{"ZMTP 3.0 greeting", false, func(w *Writer) error { return w.WriteGreeting(Greeting{Major: 3, Mechanism: "NULL"}) },
			append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0, 'N', 'U', 'L', 'L'}, make([]byte, 48)...)},
		{"ZMTP 2.0 greeting", true, func(w *Writer) error { return w.WriteGreeting(Greeting{Major: 2, Mechanism: "NULL"}) },
			append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 2, 0, 'N', 'U', 'L', 'L'}, make([]byte, 48)...)},
		{"greeting without a mechanism", true, func(w *Writer) error { return w.WriteGreeting(Greeting{Major: 3, Minor: 1}) },
			append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1}, make([]byte, 52)...)},
		{"greeting, 21-byte mechanism", true, func(w *Writer) error { return w.WriteGreeting(NewGreeting(strings.Repeat("M", 21), false)) },
			append(append([]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1}, bytes.Repeat([]byte{'M'}, 20)...), make([]byte, 32)...)},
		{"message frame", false, func(w *Writer) error { return w.WriteFrame(FlagMore, []byte("hi")) }, []byte{0x01, 0x02, 'h', 'i'}},
		{"long message frame", false, func(w *Writer) error { return w.WriteFrame(0, long) }, append([]byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0}, long...)},
		{"reserved flag bits", true, func(w *Writer) error { return w.WriteFrame(0x80, []byte("a")) }, []byte{0x80, 0x01, 'a'}},
		{"LONG flag from the caller", true, func(w *Writer) error { return w.WriteFrame(FlagLong, []byte("a")) }, []byte{0x00, 0x01, 'a'}},
		{"command with MORE", true, func(w *Writer) error { return w.WriteFrame(FlagCommand|FlagMore, []byte("\x04PONG")) }, []byte{0x05, 0x05, 0x04, 'P', 'O', 'N', 'G'}},
		{"long header for a small body", false, func(w *Writer) error { return w.WriteHeader(FlagLong, 3) }, []byte{0x02, 0, 0, 0, 0, 0, 0, 0, 3}},
		{"header announcing 2^40 bytes", false, func(w *Writer) error { return w.WriteHeader(FlagLong|FlagCommand, 1<<40) }, []byte{0x06, 0, 0, 1, 0, 0, 0, 0, 0}},
		{"header announcing 2^63 bytes", true, func(w *Writer) error { return w.WriteHeader(FlagLong, 1<<63) }, []byte{0x02, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"short header, reserved bit", true, func(w *Writer) error { return w.WriteHeader(0x80, 1) }, []byte{0x80, 0x01}},
		{"short header of a truncated frame", false, func(w *Writer) error { return w.WriteHeader(0, 10) }, []byte{0x00, 10}},
		{"raw bytes", false, func(w *Writer) error { return w.WriteRaw([]byte("GET /")) }, []byte("GET /")},
		{"command", false, func(w *Writer) error { return w.WriteCommand("UNKNOWN") }, []byte("\x04\x08\x07UNKNOWN")},
		{"command with data", false, func(w *Writer) error { return w.WriteCommand("PING", []byte{0, 0}) }, []byte("\x04\x07\x04PING\x00\x00")},
		{"command without a name", true, func(w *Writer) error { return w.WriteCommand("", []byte("x")) }, []byte("\x04\x02\x00x")},
		{"READY", false, func(w *Writer) error { return w.WriteReady(Metadata{{"Socket-Type", "CLIENT"}}) },
			[]byte("\x04\x1c\x05READY\x0bSocket-Type\x00\x00\x00\x06CLIENT")},
		{"READY, property without a name", true, func(w *Writer) error { return w.WriteReady(Metadata{{"", "v"}}) },
			[]byte("\x04\x0c\x05READY\x00\x00\x00\x00\x01v")},
		{"ERROR", false, func(w *Writer) error { return w.WriteError("bye") }, []byte("\x04\x0a\x05ERROR\x03bye")},
		{"PING", false, func(w *Writer) error { return w.WritePing(10, nil) }, []byte{0x04, 0x07, 0x04, 'P', 'I', 'N', 'G', 0x00, 0x0A}},
		{"PING, 17-byte context", true, func(w *Writer) error { return w.WritePing(0, bytes.Repeat([]byte{'c'}, 17)) },
			append([]byte("\x04\x18\x04PING\x00\x00"), bytes.Repeat([]byte{'c'}, 17)...)},
		{"PONG", false, func(w *Writer) error { return w.WritePong([]byte("LOL")) }, []byte("\x04\x08\x04PONGLOL")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewWriter(&b)
			err := tc.write(w)
			if tc.illegal {
				if !errors.Is(err, ErrIllegal) || b.Len() != 0 {
					t.Fatalf("without AllowIllegal: %v, %d bytes written", err, b.Len())
				}
				w.AllowIllegal = true
				err = tc.write(w)
			}
			if err != nil || !bytes.Equal(b.Bytes(), tc.want) {
				t.Fatalf("got % x %v\nwant % x", b.Bytes(), err, tc.want)
			}
		})
	}
}

func TestWriteHeaderShortCannotCarryLargeSize(t *testing.T) {
	w := NewWriter(io.Discard)
	w.AllowIllegal = true
	if err := w.WriteHeader(0, 256); !errors.Is(err, ErrIllegal) {
		t.Fatalf("got %v", err)
	}
}

// TestReaderReadsWhatWriterWrites: frames of every size and kind survive
// a round trip, and the Reader reads nothing past what it returns.
func TestReaderReadsWhatWriterWrites(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	bodies := [][]byte{nil, []byte("x"), make([]byte, 255), make([]byte, 256), make([]byte, 300<<10)}
	if err := w.WriteGreeting(NewGreeting("CURVE", true)); err != nil {
		t.Fatal(err)
	}
	for i, body := range bodies {
		if err := w.WriteFrame(byte(i%2)*FlagMore, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteReady(Metadata{{"Socket-Type", "DISH"}}); err != nil {
		t.Fatal(err)
	}
	b.WriteString("after")

	r := NewReader(&b)
	g, err := r.ReadGreeting()
	if err != nil || g != NewGreeting("CURVE", true) {
		t.Fatalf("greeting %+v %v", g, err)
	}
	for i, body := range bodies {
		f, err := r.ReadFrame()
		if err != nil || f.Flags != byte(i%2)*FlagMore || !bytes.Equal(f.Body, body) {
			t.Fatalf("frame %d: flags %x, %d bytes, %v", i, f.Flags, len(f.Body), err)
		}
	}
	body, err := r.ReadCommand()
	if err != nil || !IsCommand(body, CmdReady) {
		t.Fatalf("READY: %q %v", body, err)
	}
	if md, err := ParseMetadata(Data(body, CmdReady)); err != nil || md[0] != (Property{"Socket-Type", "DISH"}) {
		t.Fatalf("READY's metadata: %v %v", md, err)
	}
	if rest, _ := io.ReadAll(&b); string(rest) != "after" {
		t.Fatalf("the reader read ahead: %q left", rest)
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
}

func TestReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		max  int64
		err  error
	}{
		{"message frame for a command", []byte{0x00, 0x01, 'x'}, 0, ErrProtocol},
		{"reserved bits", []byte{0x84, 0x01, 'x'}, 0, ErrProtocol},
		{"over MaxSize", []byte{0x04, 0x11}, 16, ErrTooLarge},
		{"2^40 over MaxSize", []byte{0x06, 0, 0, 1, 0, 0, 0, 0, 0}, 1 << 20, ErrTooLarge},
		{"closed in the header", []byte{0x04}, 0, io.ErrUnexpectedEOF},
		{"closed in the long size", []byte{0x06, 0, 0}, 0, io.ErrUnexpectedEOF},
		{"closed in the body", []byte{0x04, 0x05, 'a'}, 0, io.ErrUnexpectedEOF},
		{"closed in a huge body, no limit", append([]byte{0x06, 0, 0, 1, 0, 0, 0, 0, 0}, make([]byte, 1000)...), 0, io.ErrUnexpectedEOF},
		{"closed between frames", nil, 0, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.in))
			r.MaxSize = tc.max
			if _, err := r.ReadCommand(); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}

// TestReaderGrowsWithArrivals: a frame announcing 2^40 bytes, of which 1
// MiB arrives, costs a few MiB in all (the body at most doubles ahead of
// its bytes, so the copies add up to about four times what arrived), not
// 2^40.
func TestReaderGrowsWithArrivals(t *testing.T) {
	in := append([]byte{0x02, 0, 0, 1, 0, 0, 0, 0, 0}, make([]byte, 1<<20)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := NewReader(bytes.NewReader(in)).ReadFrame(); err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if per := after.TotalAlloc - before.TotalAlloc; per > 12<<20 || per < 1<<20 {
		t.Fatalf("%d bytes allocated for 1 MiB of a 2^40-byte frame", per)
	}
}
