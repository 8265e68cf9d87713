package zmtp

import (
	"bytes"
	"errors"
	"strings"
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
