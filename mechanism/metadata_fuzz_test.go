package mechanism

import (
	"bytes"
	"testing"
)

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
}

func TestMalformedLibzmqError(t *testing.T) {
	// spec §3.2: libzmq 4.3's PLAIN server sends "^RROR" 03 "400".
	body := []byte{0x5E, 'R', 'R', 'O', 'R', 3, '4', '0', '0'}
	reason, ok := IsMalformedError(body)
	if !ok || reason != "400" {
		t.Fatalf("got %q %v", reason, ok)
	}
	err := Unexpected(body, "WELCOME")
	he, _ := err.(*HandshakeError)
	if he == nil || !he.Remote || he.Reason != "peer sent ERROR: 400" {
		t.Fatalf("got %#v", err)
	}
}

// FuzzParseMetadata: never panic; whatever parses re-encodes to the input.
func FuzzParseMetadata(f *testing.F) {
	f.Add(Metadata{{"Socket-Type", "CLIENT"}}.Append(nil))
	f.Add([]byte{0x0b, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0x10, 0})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseMetadata(data)
		if err != nil {
			return
		}
		if got := md.Append(nil); !bytes.Equal(got, data) {
			t.Fatalf("re-encoding differs:\n% x\n% x", got, data)
		}
	})
}

// FuzzParseCommand: never panic; the name and data partition the body.
func FuzzParseCommand(f *testing.F) {
	f.Add(AppendCommand(nil, "READY"))
	f.Add(AppendError(nil, "400"))
	f.Add([]byte{0xff, 'x'})
	f.Fuzz(func(t *testing.T, body []byte) {
		name, data, err := ParseCommand(body)
		if err != nil {
			return
		}
		if 1+len(name)+len(data) != len(body) || name == "" {
			t.Fatalf("bad split of % x: %q % x", body, name, data)
		}
		_ = ParseError(data)
		_, _ = IsMalformedError(body)
	})
}
