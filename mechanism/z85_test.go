package mechanism

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Test vectors: RFC 32's, and the keys of libzmq's tests.
var z85Vectors = []struct{ hex, text string }{
	{"", ""},
	{"864FD26FB559F75B", "HelloWorld"},
	{"8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7", "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"},
	{"00000000", "00000"},
	{"FFFFFFFF", "%nSc0"},
}

func TestZ85Vectors(t *testing.T) {
	for _, v := range z85Vectors {
		bin, _ := hex.DecodeString(v.hex)
		got, err := Z85Encode(bin)
		if err != nil || got != v.text {
			t.Errorf("Z85Encode(%s) = %q, %v; want %q", v.hex, got, err, v.text)
		}
		back, err := Z85Decode(v.text)
		if err != nil || !bytes.Equal(back, bin) {
			t.Errorf("Z85Decode(%q) = %X, %v; want %s", v.text, back, err, v.hex)
		}
	}
}

func TestZ85Errors(t *testing.T) {
	cases := []struct {
		in      string
		pos     int
		char    byte
		message string
	}{
		{"Hello", -1, 0, ""}, // valid, checked below separately
		{"Hell", -1, 0, "invalid Z85: 4 characters is not a multiple of 5"},
		{"Hell~World", 4, '~', `invalid Z85: character '~' (0x7e) at position 4 is not in the alphabet`},
		{"HelloWor\"d", 8, '"', `invalid Z85: character '"' (0x22) at position 8 is not in the alphabet`},
		{"00000#####", 5, 0, `invalid Z85: group at position 5 "#####" exceeds 2^32-1`},
		{"%nSc1", 0, 0, `invalid Z85: group at position 0 "%nSc1" exceeds 2^32-1`},
	}
	for _, tc := range cases[1:] {
		_, err := Z85Decode(tc.in)
		var ze *Z85Error
		if !errors.Is(err, ErrInvalidZ85) || !errors.As(err, &ze) {
			t.Errorf("Z85Decode(%q): %v, want a *Z85Error", tc.in, err)
			continue
		}
		if ze.Pos != tc.pos || ze.Char != tc.char || err.Error() != tc.message {
			t.Errorf("Z85Decode(%q): pos %d char %q %q; want pos %d char %q %q", tc.in, ze.Pos, ze.Char, err, tc.pos, tc.char, tc.message)
		}
	}
	if _, err := Z85Encode([]byte{1, 2, 3}); !errors.Is(err, ErrInvalidZ85) || err.Error() != "invalid Z85: 3 bytes is not a multiple of 4" {
		t.Errorf("Z85Encode of 3 bytes: %v", err)
	}
}

func TestZ85EveryCharacterRoundTrips(t *testing.T) {
	// 85 values in groups: "0000x" decodes to x's value for every x.
	for i := 0; i < 85; i++ {
		s := "0000" + string(z85Alphabet[i])
		b, err := Z85Decode(s)
		if err != nil || b[3] != byte(i) || b[0]|b[1]|b[2] != 0 {
			t.Fatalf("%q: %v %v", s, b, err)
		}
	}
	if n := strings.Count(z85Alphabet, ""); n != 86 {
		t.Fatalf("alphabet has %d characters", n-1)
	}
}

func TestKeysKnownPairs(t *testing.T) {
	// libzmq's test keys: secret → public via X25519 with base point 9.
	pairs := [][2]string{
		{"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"},
		{"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs", "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"},
		{"sqe2ZQ%<<?*(MV2Shf%9=CtldI@T^^pgrML1S.F/", "hb=GN9.(K*)]:{q*)XjsMgwfDTPJYh!w*n/xlIl+"},
	}
	for _, p := range pairs {
		sec, err := ParseSecretKey(p[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := PublicFromSecret(sec).String(); got != p[1] {
			t.Errorf("public of %s = %s, want %s", p[0], got, p[1])
		}
		if got := sec.Public().String(); got != p[1] {
			t.Errorf("SecretKey.Public = %s", got)
		}
		if sec.Z85() != p[0] {
			t.Errorf("Z85() = %s", sec.Z85())
		}
	}
}

func TestParseKeyForms(t *testing.T) {
	z := "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
	want := libzmqServerPublic
	for name, in := range map[string]string{"z85": z, "z85 with NUL": z + "\x00", "raw": string(want[:])} {
		got, err := ParsePublicKey(in)
		if err != nil || got != want {
			t.Errorf("%s: %s %v", name, got, err)
		}
	}
	cases := []struct{ in, msg string }{
		{"short", "invalid key: 5 bytes; want 40 Z85 characters or 32 raw bytes"},
		{z + "x", "invalid key: 41 bytes; want 40 Z85 characters or 32 raw bytes"},
		{z[:10] + "~" + z[11:], `invalid key: invalid Z85: character '~' (0x7e) at position 10 is not in the alphabet`},
	}
	for _, tc := range cases {
		_, err := ParsePublicKey(tc.in)
		if !errors.Is(err, ErrInvalidKey) || err.Error() != tc.msg {
			t.Errorf("ParsePublicKey(%q): %v; want %q", tc.in, err, tc.msg)
		}
		_, err = ParseSecretKey(tc.in)
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ParseSecretKey(%q): %v", tc.in, err)
		}
	}
	var ze *Z85Error
	if _, err := ParsePublicKey(cases[2].in); !errors.As(err, &ze) || ze.Pos != 10 || ze.Char != '~' {
		t.Errorf("position not reported: %v", err)
	}
}

func TestKeyTextForms(t *testing.T) {
	var k PublicKey
	if err := k.UnmarshalText([]byte(libzmqServerPublic.String())); err != nil || k != libzmqServerPublic {
		t.Fatalf("UnmarshalText: %v", err)
	}
	if b, _ := k.MarshalText(); string(b) != "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" {
		t.Fatalf("MarshalText: %s", b)
	}
	var s SecretKey
	if err := s.UnmarshalText([]byte("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")); err != nil || s != libzmqServerSecret {
		t.Fatalf("UnmarshalText: %v", err)
	}
	if s.String() != "SecretKey(redacted)" || (SecretKey{}).String() != "SecretKey(zero)" {
		t.Fatalf("String leaks or is wrong: %s", s)
	}
	if err := k.UnmarshalText([]byte("nope")); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("bad text: %v", err)
	}
}

func TestGenerateKeyPair(t *testing.T) {
	p1, s1, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p2, s2 := newKeyPair(t)
	if p1 == p2 || s1 == s2 || PublicFromSecret(s1) != p1 || p1.IsZero() || s1.IsZero() {
		t.Fatal("key pairs are not fresh and consistent")
	}
	if !p1.Equal(p1) || p1.Equal(p2) {
		t.Fatal("Equal")
	}
}
