package engine

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

// FuzzFrameReader feeds arbitrary bytes to the frame decoder: it must
// return frames or errors, never panic, never return a body longer than
// the maximum message size, and never over-read.
func FuzzFrameReader(f *testing.F) {
	f.Add(zmtp.AppendFrame(nil, 0, []byte("hi")))
	f.Add(zmtp.AppendFrame(nil, zmtp.FlagCommand, zmtp.AppendPing(nil, 0, nil)))
	f.Add(zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("g")), 0, []byte("b")))
	f.Add(rawFrame(f, zmtp.FlagLong, 3, []byte("abc"))) // a long header for a short body
	f.Add(rawFrame(f, zmtp.FlagLong, 1<<62, nil))       // a size over any limit
	f.Add(rawFrame(f, 0x80, 1, []byte("x")))            // a reserved flag bit
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
			if flags&^(zmtp.FlagMore|zmtp.FlagCommand) != 0 {
				t.Fatalf("flags %x leaked", flags)
			}
			if i == 0 {
				// The first frame is read as during a handshake; then the
				// link is up, and the buffer grows with bytes still unread.
				fr.established(nil, nil)
			}
			consumed += 2 + len(body)
			if consumed > len(data) {
				t.Fatalf("decoded more body bytes (%d) than were given (%d)", consumed, len(data))
			}
		}
	})
}

// rawFrame writes a frame header exactly as given (see zmtp.Writer.WriteHeader),
// legal or not, followed by body.
func rawFrame(tb testing.TB, flags byte, size uint64, body []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := zmtp.NewWriter(&b)
	w.AllowIllegal = true
	if err := w.WriteHeader(flags, size); err != nil {
		tb.Fatal(err)
	}
	b.Write(body)
	return b.Bytes()
}

// FuzzGreeting checks the engine's greeting check on arbitrary input: it
// accepts only what zmtp parses as a NULL greeting, and follows its
// revision.
func FuzzGreeting(f *testing.F) {
	f.Add(zmtp.NewGreeting("NULL", false).Append(nil))
	f.Add(zmtp.NewGreeting("CURVE", true).Append(nil))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var buf [zmtp.GreetingLen]byte
		minor, err := readGreeting(newFrameReader(bytes.NewReader(data), 0), buf[:], "NULL")
		if err == nil {
			if len(data) < zmtp.GreetingLen {
				t.Fatalf("accepted a short greeting % x", data)
			}
			g, err := zmtp.ParseGreeting(data[:zmtp.GreetingLen])
			if err != nil || g.Mechanism != "NULL" || minor != g.Revision() {
				t.Fatalf("accepted % x as minor %d; zmtp: %+v, %v", data, minor, g, err)
			}
		}
	})
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
