package fs

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestKeyPathExamples(t *testing.T) {
	tests := []struct{ key, path string }{
		{"demo/example/a", "demo/example/a~"},
		{"", "%~"},
		{"a", "a~"},
		{"a/b", "a/b~"},
		{"a/", "a/%~"},
		{"/", "%/%~"},
		{"a//b", "a/%/b~"},
		{".", "%2e~"},
		{"..", "%2e.~"},
		{"../etc/passwd", "%2e./etc/passwd~"},
		{"a/.hidden", "a/%2ehidden~"},
		{"file.txt", "file.txt~"},
		{"Hello/World", "^hello/^world~"},
		{"é", "%c3%a9~"},
		{"a b", "a%20b~"},
		{"a\x00b", "a%00b~"},
		{"@root", "@root~"},
		{"%~+^", "%25%7e%2b%5e~"},
		{"*/**/$*", "%2a/%2a%2a/%24%2a~"},
		{strings.Repeat("x", 201), strings.Repeat("x", 200) + "/+x~"},
		{strings.Repeat("x", 400), strings.Repeat("x", 200) + "/+" + strings.Repeat("x", 200) + "~"},
	}
	for _, tt := range tests {
		if got := keyPath(tt.key); got != tt.path {
			t.Errorf("keyPath(%q) = %q, want %q", tt.key, got, tt.path)
		}
		if got, err := pathKey(tt.path); got != tt.key || err != nil {
			t.Errorf("pathKey(%q) = %q, %v; want %q", tt.path, got, err, tt.key)
		}
	}
}

func TestPathKeyRefusesNonCanonicalPaths(t *testing.T) {
	for _, p := range []string{
		"", "~", "a", "a/b", "/a~", "a//b~", "a/~", "+a~", "a/+~",
		".~", "..~", ".x~", "a/./b~", "a/../b~",
		"A~", "%61~", "%2E~", "%2~", "%zz~", "^~", "^A~", "^1~", "é~", "a b~",
		"%%~", "a~~", "a~/b~", "+~",
		strings.Repeat("x", 199) + "/+x~", // first piece too short to continue
		strings.Repeat("x", 201) + "~",    // piece too long
		".tmp-123", ".lock",
	} {
		if k, err := pathKey(p); err == nil {
			t.Errorf("pathKey(%q) = %q, want an error", p, k)
		}
	}
}

func TestScanStart(t *testing.T) {
	tests := []struct{ prefix, dir, first string }{
		{"", "", ""},
		{"a", "", "a"},
		{"a/", "a", ""},
		{"a/b", "a", "b"},
		{"a/b/", "a/b", ""},
		{"/", "%", ""},
		{"A/.b", "^a", "%2eb"},
		{strings.Repeat("x", 250), "", strings.Repeat("x", 200)},
		{strings.Repeat("y", 250) + "/z", strings.Repeat("y", 200) + "/+" + strings.Repeat("y", 50), "z"},
	}
	for _, tt := range tests {
		dir, first := scanStart(tt.prefix)
		if dir != tt.dir || first != tt.first {
			t.Errorf("scanStart(%q) = %q, %q; want %q, %q", tt.prefix, dir, first, tt.dir, tt.first)
		}
	}
}

// checkPath checks the properties every path keyPath returns must have.
func checkPath(t *testing.T, key, p string) {
	t.Helper()
	if !strings.HasSuffix(p, "~") {
		t.Fatalf("keyPath(%q) = %q: no ~ suffix", key, p)
	}
	comps := strings.Split(p, "/")
	for i, c := range comps {
		switch {
		case c == "" || c == "." || c == "..":
			t.Fatalf("keyPath(%q) = %q: component %q", key, p, c)
		case len(c) > 255:
			t.Fatalf("keyPath(%q): component of %d bytes", key, len(c))
		case c[0] == '.':
			t.Fatalf("keyPath(%q) = %q: hidden component %q", key, p, c)
		case strings.HasSuffix(c, "~") != (i == len(comps)-1):
			t.Fatalf("keyPath(%q) = %q: ~ on component %d", key, p, i)
		}
		for j := 0; j < len(c); j++ {
			if b := c[j]; b >= 0x80 || b < 0x20 || ('A' <= b && b <= 'Z') || b == '\\' || b == ':' {
				t.Fatalf("keyPath(%q) = %q: byte %#x in a component", key, p, b)
			}
		}
	}
	if !utf8.ValidString(p) {
		t.Fatalf("keyPath(%q) is not UTF-8", key)
	}
}

func FuzzKeyPathRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "a/b", "a/", "/", "..", "./a", "a\x00b", "Hello", "é", "%2e", "\xff", strings.Repeat("x", 401), strings.Repeat("/", 5)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p := keyPath(key)
		checkPath(t, key, p)
		back, err := pathKey(p)
		if err != nil || back != key {
			t.Fatalf("pathKey(keyPath(%q) = %q) = %q, %v", key, p, back, err)
		}
		// Prefix narrowing: the key's file lies under the directory Scan
		// starts from for any prefix of the key, and its first component
		// there starts with the first piece scanStart asks for.
		for _, cut := range []int{0, len(key) / 3, len(key) / 2, len(key)} {
			dir, first := scanStart(key[:cut])
			rest := p
			if dir != "" {
				var ok bool
				if rest, ok = strings.CutPrefix(p, dir+"/"); !ok {
					t.Fatalf("keyPath(%q) = %q is not under scanStart(%q) dir %q", key, p, key[:cut], dir)
				}
			}
			if !strings.HasPrefix(rest, first) || strings.HasPrefix(rest, "+") {
				t.Fatalf("keyPath(%q) = %q: under %q, %q does not start with %q", key, p, dir, rest, first)
			}
		}
	})
}

func FuzzPathKeyInverse(f *testing.F) {
	for _, s := range []string{"a~", "%~", "a/+b~", "^a~", "%2e~", "..~", "a//b~", "+~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		key, err := pathKey(p)
		if err != nil {
			return
		}
		if back := keyPath(key); back != p {
			t.Fatalf("pathKey(%q) = %q, whose path is %q", p, key, back)
		}
	})
}
