package zmtp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// wantKind fails the test unless err is one of the errors zmtp's parsers
// return (or an I/O error in io).
func wantKind(t *testing.T, err error, io ...error) {
	t.Helper()
	for _, k := range append(io, ErrProtocol, ErrTooLarge) {
		if errors.Is(err, k) {
			return
		}
	}
	t.Fatalf("error of an unknown kind: %v", err)
}

// Fuzz targets for every parser here. Seed corpora beyond the f.Add seeds
// live in testdata/fuzz/<target>/ (FuzzParseCommand's started as the READY
// and INITIATE bodies mechanism's PLAIN fuzzers had found).

// FuzzParseHeader: never panic; a header either needs more bytes, fails
// with a protocol or size error, or re-encodes to the same meaning.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x00, 0x02, 'h', 'i'}, int64(0))
	f.Add([]byte{0x06, 0, 0, 1, 0, 0, 0, 0, 0}, int64(1<<20))
	f.Add([]byte{0x02, 0x80, 0, 0, 0, 0, 0, 0, 0}, int64(0))
	f.Add([]byte{0x80, 1}, int64(0))
	f.Fuzz(func(t *testing.T, b []byte, max int64) {
		h, err := ParseHeader(b, max)
		switch {
		case err != nil:
			wantKind(t, err)
		case h.Len == 0:
			if h.Need <= len(b) || (h.Need != ShortHeaderLen && h.Need != LongHeaderLen) {
				t.Fatalf("% x: needs %d", b, h.Need)
			}
		default:
			if max > 0 && int64(h.Size) > max {
				t.Fatalf("% x: %d bytes over the limit %d", b, h.Size, max)
			}
			if h.Flags&^(FlagMore|FlagCommand) != 0 {
				t.Fatalf("% x: flags %x", b, h.Flags)
			}
			again, err := ParseHeader(AppendHeader(nil, h.Flags, h.Size), 0)
			if err != nil || again.Flags != h.Flags || again.Size != h.Size {
				t.Fatalf("% x: %+v re-encodes as %+v %v", b, h, again, err)
			}
		}
	})
}

// FuzzReader: a stream of arbitrary bytes gives frames or errors, never a
// panic, never a body over MaxSize, never more body bytes than came in.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0x00, 0x02, 'h', 'i', 0x04, 0x07, 0x04, 'P', 'I', 'N', 'G', 0, 0})
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'})
	f.Add([]byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x01, 0x01, 'g', 0x00, 0x01, 'b'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.MaxSize = 1 << 16
		got := 0
		for {
			fr, err := r.ReadFrame()
			if err != nil {
				wantKind(t, err, io.EOF, io.ErrUnexpectedEOF)
				return
			}
			if len(fr.Body) > 1<<16 {
				t.Fatalf("body of %d bytes over the limit", len(fr.Body))
			}
			got += 2 + len(fr.Body)
			if got > len(data) {
				t.Fatalf("decoded more bytes (%d) than were given (%d)", got, len(data))
			}
		}
	})
}

// FuzzParseGreeting: never panic; what parses has the signature and a
// version of 3 or later, and re-encodes to the same fields.
func FuzzParseGreeting(f *testing.F) {
	f.Add(NewGreeting("NULL", false).Append(nil))
	f.Add(NewGreeting("CURVE", true).Append(nil))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := ParseGreeting(b)
		if err != nil {
			wantKind(t, err)
			return
		}
		if len(b) < GreetingLen || b[0] != 0xFF || b[9]&1 == 0 || b[10] < 3 {
			t.Fatalf("accepted a bad greeting % x", b)
		}
		again, err := ParseGreeting(g.Append(nil))
		if err != nil || again != g {
			t.Fatalf("%+v re-encodes as %+v %v", g, again, err)
		}
		if g.CheckMechanism(g.Mechanism) != nil {
			t.Fatalf("%q does not match itself", g.Mechanism)
		}
	})
}

// FuzzParseCommand: never panic; the name and data partition the body,
// and every command parser copes with the data.
func FuzzParseCommand(f *testing.F) {
	f.Add(AppendReady(nil, Metadata{{"Socket-Type", "CLIENT"}}))
	f.Add(AppendError(nil, "400"))
	f.Add([]byte("^RROR\x03400"))
	f.Add(AppendPing(nil, 10, []byte("ctx")))
	f.Add(AppendJoin(nil, "g"))
	f.Add([]byte{0xff, 'x'})
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = IsMalformedError(body)
		_, _, _ = ParseGroup(body)
		name, data, err := ParseCommand(body)
		if err != nil {
			return
		}
		if 1+len(name)+len(data) != len(body) || name == "" || !IsCommand(body, name) {
			t.Fatalf("bad split of % x: %q % x", body, name, data)
		}
		_ = ParseError(data)
		if ttl, ctx, err := ParsePing(data); err == nil && len(ctx) > MaxPingContextLen {
			t.Fatalf("PING context of %d bytes (TTL %d)", len(ctx), ttl)
		}
		if md, err := ParseMetadata(data); err == nil && !bytes.Equal(md.Append(AppendCommand(nil, name)), body) {
			t.Fatalf("%s % x re-encodes differently", name, body)
		}
	})
}

// FuzzParseMetadata: never panic; whatever parses re-encodes to the input.
func FuzzParseMetadata(f *testing.F) {
	f.Add(Metadata{{"Socket-Type", "CLIENT"}}.Append(nil))
	f.Add([]byte{0x0b, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0x10, 0})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseMetadata(data)
		if err != nil {
			wantKind(t, err)
			return
		}
		if len(md) > MaxProperties {
			t.Fatalf("%d properties", len(md))
		}
		if got := md.Append(nil); !bytes.Equal(got, data) {
			t.Fatalf("re-encoding differs:\n% x\n% x", got, data)
		}
	})
}
