package proto

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/store/hlc"
)

// FuzzDecode checks that Decode never panics, fails only with ErrMalformed
// or ErrVersion, and that every message it accepts encodes back to exactly
// the input.
func FuzzDecode(f *testing.F) {
	for _, e := range docExamples {
		b, err := e.msg.AppendBinary(nil)
		if err != nil {
			f.Fatalf("%s: %v", e.name, err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{2, 1, 0})
	f.Add([]byte{1, 0x82, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrVersion)) {
				t.Fatalf("Decode(% x) error %v is not a malformed/version *FormatError", b, err)
			}
			if fe.Offset < 0 || fe.Offset > len(b) {
				t.Fatalf("Decode(% x) error offset %d", b, fe.Offset)
			}
			return
		}
		if m.Size() != len(b) {
			t.Fatalf("Decode(% x): Size %d, input %d bytes", b, m.Size(), len(b))
		}
		out, err := m.AppendBinary(nil)
		if err != nil {
			t.Fatalf("Decode(% x) = %+v, which does not encode: %v", b, m, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("Decode(% x) = %+v, which encodes to % x", b, m, out)
		}
		if id, ok := PeekID(b); !ok || id != m.ID {
			t.Fatalf("PeekID = %d, %v; Decode says %d", id, ok, m.ID)
		}
	})
}

// FuzzRoundTrip builds messages from fuzzed fields and checks that every
// message AppendBinary accepts decodes back to itself.
func FuzzRoundTrip(f *testing.F) {
	ts := docTS.Append(nil)
	f.Add(byte(KindPut), uint64(1), "demo/a", "text/plain", "", []byte("value"), []byte{}, false, byte(0), uint32(0), "")
	f.Add(byte(KindReply), uint64(2), "demo/a", "", "", []byte{}, ts, false, byte(0), uint32(0), "")
	f.Add(byte(KindQuery), uint64(3), "demo/**", "", "a=1;b", []byte{}, []byte{}, false, byte(0), uint32(0), "")
	f.Add(byte(KindFinal), uint64(4), "", "", "", []byte{}, []byte{}, false, byte(StatusBackend), uint32(5), "disk")
	f.Add(byte(KindSample), uint64(5), "demo/*", "", "", []byte{}, ts, true, byte(0), uint32(0), "")
	f.Add(byte(KindQuery), uint64(6), "demo/a", "", "", []byte{}, []byte{}, false, byte(0), uint32(1<<30), "")
	f.Add(byte(KindReply), uint64(6), "demo/a", "", "", []byte("on"), ts, false, byte(0), uint32(1<<31), "")
	f.Fuzz(func(t *testing.T, kind byte, id uint64, key, enc, params string, value, tsb []byte, del bool, status byte, count uint32, text string) {
		m := Message{Kind: Kind(kind), ID: id, Key: key, Encoding: enc, Parameters: params, Value: value,
			Delete: del, Status: Status(status), Count: count, Text: text}
		if m.Kind != KindFinal {
			// The two high bits of count, which only a FINAL has, stand
			// for the flags L: Last (bit 31) and AcceptLast (bit 30).
			m.Last, m.AcceptLast = count&(1<<31) != 0, count&(1<<30) != 0
			m.Count &^= 3 << 30
		}
		if len(tsb) >= hlc.EncodedLen {
			m.Timestamp, _ = hlc.DecodeTimestamp(tsb[:hlc.EncodedLen])
		}
		b, err := m.AppendBinary(nil)
		head, herr := m.AppendHead(nil)
		if (err == nil) != (herr == nil) {
			t.Fatalf("AppendBinary(%+v) error %v, AppendHead error %v", m, err, herr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("AppendBinary(%+v) error %v", m, err)
			}
			return
		}
		if !bytes.Equal(append(head, m.Value...), b) {
			t.Fatalf("AppendHead(%+v) + Value = % x, AppendBinary % x", m, append(head, m.Value...), b)
		}
		if len(b) != m.Size() {
			t.Fatalf("AppendBinary gave %d bytes, Size %d", len(b), m.Size())
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("AppendBinary(%+v) = % x, which does not decode: %v", m, b, err)
		}
		if !equalMessages(got, m) {
			t.Fatalf("round trip of %+v gave %+v", m, got)
		}
	})
}
