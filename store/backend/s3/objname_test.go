package s3

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zmesh/zmesh/store/backend"
)

func TestEncodeKeyExamples(t *testing.T) {
	tests := []struct{ key, name string }{
		{"", "!"},
		{"a", "a!"},
		{"a/b", "a_/b!"},
		{"ab", "ab!"},
		{"a/b/c", "a_/b_/c!"},
		{"demo/example/a", "demo_/example_/a!"},
		{"a/", "a_/!"},
		{"/", "_/!"},
		{"//", "_/_/!"},
		{"/abs", "_/abs!"},
		{"a//b", "a_/_/b!"},
		{".", ".!"},
		{"..", "..!"},
		{"a/../b", "a_/.._/b!"},
		{"./a", "._/a!"},
		{"50%", "50_25!"},
		{"%2F", "_252F!"},
		{"my_key", "my_5Fkey!"},
		{"wow!", "wow_21!"},
		{"with space", "with_20space!"},
		{"é", "_C3_A9!"},
		{"日本/語", "_E6_97_A5_E6_9C_AC_/_E8_AA_9E!"},
		{"a\x00b", "a_00b!"},
		{"Abc-1.2", "Abc-1.2!"},
		{"@@none_key@@", "_40_40none_5Fkey_40_40!"},
		{"*/**", "_2A_/_2A_2A!"},
		{strings.Repeat("x", 253), strings.Repeat("x", 253) + "!"},
		{strings.Repeat("x", 254), strings.Repeat("x", 253) + "__/x!"},
		{strings.Repeat("x", 253) + "/y", strings.Repeat("x", 253) + "_/y!"},
		{strings.Repeat("x", 252) + "é", strings.Repeat("x", 252) + "__/_C3_A9!"},
		{strings.Repeat("x", 250) + "é", strings.Repeat("x", 250) + "_C3__/_A9!"},
	}
	for _, tt := range tests {
		if got := encodeKey(tt.key); got != tt.name {
			t.Errorf("encodeKey(%q) = %q, want %q", tt.key, got, tt.name)
		}
		if got, err := decodeName(tt.name); err != nil || got != tt.key {
			t.Errorf("decodeName(%q) = %q, %v; want %q", tt.name, got, err, tt.key)
		}
	}
}

func TestDecodeNameRefusesForeignNames(t *testing.T) {
	for _, name := range []string{
		"", "a", "a/b", "a!/b!", "!!", "a!b!", "_!", "_2!", "_2f!", "_2G!", "__!", "__x!",
		"_41!",               // escaped literal 'A'
		"ab__/c!",            // soft break where the encoder puts none
		"a/b!",               // bare '/'
		"x y!", "é!", "a~b!", // bytes the encoder always escapes
		strings.Repeat("x", 254) + "!", // segment the encoder would have split
	} {
		if k, err := decodeName(name); !errors.Is(err, errNotAName) {
			t.Errorf("decodeName(%q) = %q, %v; want errNotAName", name, k, err)
		}
	}
}

// TestNoNameIsAFolderOfAnother pins down the property the encoding exists
// for: with objects "a" and "a/b", MinIO hides "a/b" from listings and
// versitygw refuses the second upload; the names of keys "a" and "a/b" must
// be two flat names, neither a directory of the other.
func TestNoNameIsAFolderOfAnother(t *testing.T) {
	keys := []string{"", "a", "a/b", "a/b/c", "ab", "a/", "a//", "/", "a/b/", "x!", "x!/y",
		strings.Repeat("x", 253), strings.Repeat("x", 254), strings.Repeat("x", 253) + "/y"}
	for _, k1 := range keys {
		n1 := encodeKey(k1)
		if !segmentsOK(n1) {
			t.Errorf("encodeKey(%q) = %q has a bad segment", k1, n1)
		}
		for _, k2 := range keys {
			if n2 := encodeKey(k2); strings.HasPrefix(n2, n1+"/") {
				t.Errorf("name of %q (%q) is a folder of the name of %q (%q)", k1, n1, k2, n2)
			}
		}
	}
}

func TestListPrefixLeavesOutDotSegments(t *testing.T) {
	for _, tt := range []struct{ prefix, want string }{
		{"", ""}, {".", ""}, {"..", ""}, {"...", ""}, {".a", ".a"}, {"a/.", "a_/"}, {"a/..", "a_/"},
		{"a/..b", "a_/..b"}, {"a.", "a."}, {"a/b", "a_/b"},
	} {
		if got := listPrefix(tt.prefix); got != tt.want {
			t.Errorf("listPrefix(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
}

// portableNameLen bounds the name of a key of backend.PortableKeyLen bytes
// (see the package comment): three bytes per key byte, three soft breaks,
// the terminator.
const portableNameLen = 3*backend.PortableKeyLen + 3*3 + 1

func TestPortableKeysFit(t *testing.T) {
	for _, k := range []string{
		strings.Repeat("é", 128), strings.Repeat("/", 256), strings.Repeat("_/", 128),
		strings.Repeat("\x00", 256), strings.Repeat("日", 85),
	} {
		if n := encodeKey(k); len(n) > portableNameLen || !segmentsOK(n) {
			t.Errorf("%d-byte key %.12q: %d-byte name, segments ok %v", len(k), k, len(n), segmentsOK(n))
		}
	}
}

// checkName checks every property of the encoding on one key.
func checkName(t *testing.T, key string) {
	name := encodeKey(key)
	got, err := decodeName(name)
	if err != nil || got != key {
		t.Fatalf("decodeName(encodeKey(%q) = %q) = %q, %v", key, name, got, err)
	}
	if !segmentsOK(name) {
		t.Fatalf("encodeKey(%q) = %q has a bad segment", key, name)
	}
	if strings.IndexByte(name, terminator) != len(name)-1 {
		t.Fatalf("encodeKey(%q) = %q has '!' before its end", key, name)
	}
	if strings.Contains(name, "//") || strings.HasPrefix(name, "/") {
		t.Fatalf("encodeKey(%q) = %q has an empty segment", key, name)
	}
	step := max(1, len(key)/256) // every prefix of short keys, 256 of long ones
	for i := 0; i <= len(key); i += step {
		if p := encodePrefix(key[:i]); !strings.HasPrefix(name, p) {
			t.Fatalf("encodePrefix(%q) = %q is not a prefix of encodeKey(%q) = %q", key[:i], p, key, name)
		}
	}
	if len(key) <= backend.PortableKeyLen && len(name) > portableNameLen {
		t.Fatalf("%d-byte key has a %d-byte name", len(key), len(name))
	}
}

func FuzzObjectNameRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "a/b", "ab", "a/b/c", "a//b", "/", "a/", ".", "..", "a/../b",
		"%", "%2F", "_", "!", "é", "e\u0301", "\x00", strings.Repeat("x", 300), strings.Repeat("é", 200)} {
		f.Add(s, "a/b")
	}
	f.Fuzz(func(t *testing.T, key, other string) {
		if len(key) > 4*MaxObjectNameLen || len(other) > 4*MaxObjectNameLen {
			return // longer keys are refused before they are encoded
		}
		checkName(t, key)
		// Prefix preservation both ways: other's name starts with the
		// encoded prefix key exactly when other starts with key.
		if got, want := strings.HasPrefix(encodeKey(other), encodePrefix(key)), strings.HasPrefix(other, key); got != want {
			t.Fatalf("name of %q starts with encodePrefix(%q): %v, but key prefix: %v", other, key, got, want)
		}
		n1, n2 := encodeKey(key), encodeKey(other)
		if (n1 == n2) != (key == other) {
			t.Fatalf("keys %q and %q, names %q and %q", key, other, n1, n2)
		}
		if strings.HasPrefix(n2, n1+"/") {
			t.Fatalf("name %q of %q is a folder of %q's name %q", n1, key, other, n2)
		}
	})
}

func FuzzDecodeName(f *testing.F) {
	for _, s := range []string{"!", "a_/b!", "_C3_A9!", "__/!", "_2", "a/b", strings.Repeat("x", 253) + "__/x!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		key, err := decodeName(name)
		if err != nil {
			return
		}
		if encodeKey(key) != name {
			t.Fatalf("decodeName(%q) = %q, which encodes to %q", name, key, encodeKey(key))
		}
		if !utf8.ValidString(name) {
			t.Fatalf("decodeName accepted non-UTF-8 name %q", name)
		}
	})
}
