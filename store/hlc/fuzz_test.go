package hlc

import (
	"errors"
	"testing"
)

// FuzzParseTimestamp checks that ParseTimestamp never panics, fails only
// with ErrMalformed, and that whatever it accepts prints back to text that
// parses to the same timestamp.
func FuzzParseTimestamp(f *testing.F) {
	f.Add("2026-11-21T23:50:30.123456789Z/3/000102030405060708090a0b0c0d0e0f")
	f.Add("1970-01-01T00:00:00Z/0/00000000000000000000000000000000")
	f.Add("2026-01-02T04:04:05.5+01:00/7/FFEEDDCCBBAA99887766554433221100")
	f.Add("2262-04-11T23:47:16.854775807Z/4294967295/ffeeddccbbaa99887766554433221100")
	f.Add("")
	f.Add("//")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseTimestamp(%q) error %v does not match ErrMalformed", s, err)
			}
			return
		}
		back, err := ParseTimestamp(ts.String())
		if err != nil || back != ts {
			t.Fatalf("ParseTimestamp(%q) = %+v; its String %q parses to %+v, %v", s, ts, ts.String(), back, err)
		}
	})
}

// FuzzDecodeTimestamp checks that DecodeTimestamp never panics, accepts
// exactly the 28-byte inputs, and that encoding gives the input back.
func FuzzDecodeTimestamp(f *testing.F) {
	f.Add(make([]byte, EncodedLen))
	f.Add([]byte{1, 2, 3})
	f.Add(Timestamp{Time: -1, Counter: 9, Source: ID{1, 2, 3}}.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := DecodeTimestamp(b)
		if len(b) != EncodedLen {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeTimestamp(%d bytes) error = %v", len(b), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("DecodeTimestamp(% x): %v", b, err)
		}
		if got := ts.Append(nil); string(got) != string(b) {
			t.Fatalf("re-encoded % x, want % x", got, b)
		}
	})
}
