package keyexpr

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIntersectsAndIncludesExtraCases(t *testing.T) {
	tests := []struct {
		a, b                 string
		intersects, includes bool
	}{
		{"a/**/b/**/c", "a/x/b/y/b/z/c", true, true},
		{"**/@a/**", "x/@a", true, true},
		{"**/@a/**", "x/@b/@a", false, false},
		{"**", "@a/b", false, false},
		{"@a/**", "@a/b/c", true, true},
		{"*/**", "**", true, false},
		{"**", "*/**", true, true},
		{"a$*b$*c", "a$*c", true, false},
		{"a$*c", "a$*b$*c", true, true},
		{"$*x$*", "y$*", true, false},
		{"ab$*", "b$*", false, false},
		{"$*ab", "$*b", true, false},
		{"$*b", "$*ab", true, true},
		{"@$*", "@$*", true, true},
		{"@$*", "@x", false, false},
		{"a/**", "a/**/b", true, true},
		{"a/**/b", "a/**", true, false},
		{"**/b/**", "**/c/**", true, false},
		{"a/*/**", "a", false, false},
		{"a/**", "a", true, true},
	}
	for _, tt := range tests {
		if got := Intersects(tt.a, tt.b); got != tt.intersects {
			t.Errorf("Intersects(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.intersects)
		}
		if got := Intersects(tt.b, tt.a); got != tt.intersects {
			t.Errorf("Intersects(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.intersects)
		}
		if got := Includes(tt.a, tt.b); got != tt.includes {
			t.Errorf("Includes(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.includes)
		}
	}
}

// adversarial returns "**/a/**/a/.../**/b" with n "a" chunks, and a key
// of m "a" chunks: a backtracking matcher needs exponential time on them.
func adversarial(n, m int) (pattern, key string) {
	pattern = strings.Repeat("**/a/", n) + "**/b"
	key = strings.TrimSuffix(strings.Repeat("a/", m), "/")
	return pattern, key
}

func TestMatchingIsPolynomialOnAdversarialInputs(t *testing.T) {
	p, k := adversarial(200, 400)
	start := time.Now()
	if Intersects(p, k) || Includes(p, k) {
		t.Fatal("a pattern ending in b matched a key of a's")
	}
	if !Intersects(p, k+"/b") || !Includes(p, k+"/b") {
		t.Fatal("pattern did not match a key ending in b")
	}
	q := strings.Repeat("a/**/", 150) + "b"
	if !Intersects(p, q) || Includes(p, q) || Includes(q, p) {
		t.Fatal("pattern against pattern")
	}
	dsl := strings.Repeat("a$*", 2000) + "b"
	if !Intersects(dsl, strings.Repeat("a$*", 1000)+"c$*b") || Includes(dsl, strings.Repeat("a", 3000)) {
		t.Fatal("sub-chunk wildcards")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestMatchingDoesNotAllocate(t *testing.T) {
	p, k := adversarial(10, 20)
	for _, tc := range [][2]string{
		{p, k},
		{"demo/**/x$*/*", "demo/a/b/xyz/c"},
		{"demo/*/x", "demo/a/x"},
		{"a/**/b", "**/b/**"},
	} {
		if n := testing.AllocsPerRun(100, func() {
			Intersects(tc[0], tc[1])
			Includes(tc[0], tc[1])
		}); n != 0 {
			t.Errorf("Intersects/Includes(%q, %q) allocate %v times", tc[0], tc[1], n)
		}
	}
}

func TestMatchingLongExpressions(t *testing.T) {
	// More chunks than fit the stack buffers.
	p := strings.Repeat("x/", 100) + "**/y"
	k := strings.Repeat("x/", 150) + "y"
	if !Intersects(p, k) || !Includes(p, k) || Includes(k, p) {
		t.Error("long expressions")
	}
}

func TestIsWild(t *testing.T) {
	for s, want := range map[string]bool{"a/b": false, "a/*": true, "**": true, "a$*": true, "@a": false} {
		if IsWild(s) != want {
			t.Errorf("IsWild(%q) = %v", s, !want)
		}
	}
}

func TestLiteralPrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"demo/example/**", "demo/example"},
		{"demo/**/test/**", "demo"},
		{"demo/ex$*/**", "demo"},
		{"**", ""},
		{"dem$*", ""},
		{"foo/bar/**", "foo/bar"},
		{"foo/*/baz", "foo"},
		{"bar1/ab$*/baz", "bar1"},
		{"foo/bar", "foo/bar"},
		{"@a/b/*", "@a/b"},
	}
	for _, tt := range tests {
		if got := LiteralPrefix(tt.in); got != tt.want {
			t.Errorf("LiteralPrefix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripKey(t *testing.T) {
	tests := []struct {
		key, prefix, rest string
		ok                bool
	}{
		{"demo/example/a/b", "demo/example", "a/b", true},
		{"demo/example", "demo/example", "", true},
		{"demo/example2/a", "demo/example", "", false},
		{"demo/exam", "demo/example", "", false},
		{"other", "demo", "", false},
	}
	for _, tt := range tests {
		rest, ok := StripKey(tt.key, tt.prefix)
		if rest != tt.rest || ok != tt.ok {
			t.Errorf("StripKey(%q, %q) = %q, %v; want %q, %v", tt.key, tt.prefix, rest, ok, tt.rest, tt.ok)
		}
	}
}

func TestStripPrefix(t *testing.T) {
	tests := []struct {
		ke, prefix string
		rests      []string
		withPrefix bool
	}{
		// Zenoh's strip_prefix unit tests.
		{"demo/example/test/**", "demo/example/test", []string{"**"}, true},
		{"demo/example/**", "demo/example/test", []string{"**"}, true},
		{"**", "demo/example/test", []string{"**"}, true},
		{"demo/example/test/**/x$*/**", "demo/example/test", []string{"**/x$*/**"}, false},
		{"demo/**/xyz", "demo/example/test", []string{"**/xyz"}, false},
		{"demo/**/test/**", "demo/example/test", []string{"**"}, true},
		{"demo/**/ex$*/*/xyz", "demo/example/test", []string{"xyz", "**/ex$*/*/xyz"}, false},
		{"demo/**/ex$*/t$*/xyz", "demo/example/test", []string{"xyz", "**/ex$*/t$*/xyz"}, false},
		{"demo/**/te$*/*/xyz", "demo/example/test", []string{"*/xyz", "**/te$*/*/xyz"}, false},
		{"demo/example/test", "demo/example/test", nil, true},
		{"demo/example/test/abc", "demo/example/test", []string{"abc"}, false},
		{"demo/example/test/abc", "not/a/prefix", nil, false},
		{"**", "not/a/prefix", []string{"**"}, true},
		// strip_nonwild_prefix facts: verbatim chunks are respected.
		{"*/example/test/1", "demo/example/test", []string{"1"}, false},
		{"*/test/1", "demo/example/test", nil, false},
		{"demo/example/test$*/something", "demo/example/test", []string{"something"}, false},
		{"**/test/something", "@demo/example/test", nil, false},
		{"**/@demo/test/something", "@demo/test", []string{"something"}, false},
		// More.
		{"demo/*", "demo", []string{"*"}, false},
		{"demo/*/**", "demo", []string{"*/**"}, false},
		{"*", "demo", nil, true},
		{"demo", "demo/example", nil, false},
		{"demo/@x/**", "demo/example", nil, false},
	}
	for _, tt := range tests {
		rests, withPrefix := StripPrefix(tt.ke, tt.prefix)
		if !slices.Equal(rests, tt.rests) || withPrefix != tt.withPrefix {
			t.Errorf("StripPrefix(%q, %q) = %q, %v; want %q, %v", tt.ke, tt.prefix, rests, withPrefix, tt.rests, tt.withPrefix)
		}
	}
}

func TestSelectorParameters(t *testing.T) {
	ke, p := SplitSelector("demo/**?p1=v1;p2;;p3=x=y;p4=a==b; sp = v ;m=a|b|c;p1=again")
	if ke != "demo/**" {
		t.Fatalf("ke = %q", ke)
	}
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"p1", "v1", true},
		{"p2", "", true},
		{"p3", "x=y", true},
		{"p4", "a==b", true},
		{" sp ", " v ", true},
		{"m", "a|b|c", true},
		{"absent", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		v, ok := p.Get(tt.name)
		if v != tt.value || ok != tt.ok {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tt.name, v, ok, tt.value, tt.ok)
		}
	}
	if got := p.Values("m"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Values(m) = %q", got)
	}
	if got := p.Values("absent"); got != nil {
		t.Errorf("Values(absent) = %q", got)
	}
	var names []string
	for n := range p.All() {
		names = append(names, n)
	}
	if got := strings.Join(names, ","); got != "p1,p2,p3,p4, sp ,m,p1" {
		t.Errorf("All names = %q", got)
	}
	ke, p = SplitSelector("a/b")
	if ke != "a/b" || p != "" {
		t.Errorf("SplitSelector without ? = %q, %q", ke, p)
	}
	if _, p = SplitSelector("a?p1=v1;p2=v2;"); p != "p1=v1;p2=v2;" {
		t.Errorf("params = %q", p)
	}
	if v, ok := p.Get("p2"); !ok || v != "v2" {
		t.Errorf("trailing ; : p2 = %q, %v", v, ok)
	}
}
