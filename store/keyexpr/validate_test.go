package keyexpr

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateNamesTheRuleAndOffset(t *testing.T) {
	tests := []struct {
		in     string
		rule   error
		offset int
	}{
		{"", ErrEmptyChunk, 0},
		{"/a", ErrEmptyChunk, 0},
		{"a/", ErrEmptyChunk, 2},
		{"a//b", ErrEmptyChunk, 2},
		{"a/b*", ErrStarInChunk, 3},
		{"***", ErrStarInChunk, 0},
		{"a/**$*", ErrStarInChunk, 2},
		{"a/$**", ErrStarInChunk, 4},
		{"demo/$*", ErrLoneDollarStar, 5},
		{"a/$/b", ErrUnboundDollar, 2},
		{"e$", ErrUnboundDollar, 1},
		{"$e", ErrUnboundDollar, 0},
		{"a$*$*b", ErrDollarAfterDollar, 3},
		{"a$*$/b", ErrDollarAfterDollar, 3},
		{"a/**/*/b", ErrSingleStarAfterDoubleStar, 5},
		{"a/**/**/b", ErrDoubleStarAfterDoubleStar, 5},
		{"a#", ErrSharpOrQMark, 1},
		{"a/b?c=1", ErrSharpOrQMark, 3},
		{"a/\xffb", ErrInvalidUTF8, 2},
		{"a/é\xe9", ErrInvalidUTF8, 4},
	}
	for _, tt := range tests {
		err := Validate(tt.in)
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, tt.rule) {
			t.Errorf("Validate(%q) = %v, want ErrInvalid and %v", tt.in, err, tt.rule)
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Validate(%q) = %T, want *Error", tt.in, err)
			continue
		}
		if e.Offset != tt.offset || e.Expr != tt.in {
			t.Errorf("Validate(%q): offset %d in %q, want offset %d", tt.in, e.Offset, e.Expr, tt.offset)
		}
	}
}

func TestErrorMessageSaysWhatAndWhere(t *testing.T) {
	err := Validate("a//b")
	if got, want := err.Error(), `invalid key expression "a//b": empty chunk at byte 2`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	long := strings.Repeat("a/", 100) + "#"
	msg := Validate(long).Error()
	if !strings.Contains(msg, `..."`) || !strings.HasSuffix(msg, "at byte 200") {
		t.Errorf("long expression message = %q", msg)
	}
}

func TestValidateAcceptsCanonicalExpressions(t *testing.T) {
	for _, s := range []string{
		"a", "@", "@a/b", "a b/c", "a/ü/c", "*", "**", "*/**", "a/*/**/b",
		"a$*", "$*a", "a$*b$*c", "@a$*", "a/**/b/**", strings.Repeat("x/", 1000) + "y",
	} {
		if err := Validate(s); err != nil {
			t.Errorf("Validate(%q) = %v", s, err)
		}
	}
}

func TestValidateKeyRefusesWildcards(t *testing.T) {
	for _, s := range []string{"a", "a/b/c", "@a/b", "a b"} {
		if err := ValidateKey(s); err != nil {
			t.Errorf("ValidateKey(%q) = %v", s, err)
		}
	}
	tests := []struct {
		in     string
		offset int
	}{{"a/*", 2}, {"**", 0}, {"a/b$*", 3}, {"a/$*b", 2}}
	for _, tt := range tests {
		err := ValidateKey(tt.in)
		var e *Error
		if !errors.Is(err, ErrWild) || !errors.Is(err, ErrInvalid) || !errors.As(err, &e) || e.Offset != tt.offset {
			t.Errorf("ValidateKey(%q) = %v, want ErrWild at %d", tt.in, err, tt.offset)
		}
	}
	if err := ValidateKey("a//b"); !errors.Is(err, ErrEmptyChunk) {
		t.Errorf("ValidateKey(a//b) = %v, want ErrEmptyChunk", err)
	}
}

func TestCanonizeRewrites(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a/**/*/**/*", "a/*/*/**"},
		{"**/*/*", "*/*/**"},
		{"**/**/**", "**"},
		{"**/$*/**/$*$*/x", "*/*/**/x"},
		{"a$*$*$*b$*$*c", "a$*b$*c"},
		{"@a/$*", "@a/*"},
		{"a/**/**/*/@b/**/*", "a/*/**/@b/*/**"},
	}
	for _, tt := range tests {
		got, err := Canonize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Canonize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCanonizeErrorsPointIntoTheInput(t *testing.T) {
	_, err := Canonize("**/**/a$*$/b")
	var e *Error
	if !errors.As(err, &e) || e.Rule != ErrUnboundDollar || e.Offset != 9 || e.Expr != "**/**/a$*$/b" {
		t.Errorf("Canonize error = %#v", err)
	}
}

func TestCanonizeDoesNotAllocateForCanonicalInput(t *testing.T) {
	s := "demo/example/*/**/x$*"
	if n := testing.AllocsPerRun(100, func() { _, _ = Canonize(s) }); n != 0 {
		t.Errorf("Canonize allocates %v times", n)
	}
}

func TestKeyExprType(t *testing.T) {
	k, err := New("demo/*/x")
	if err != nil || k.String() != "demo/*/x" || !k.IsWild() || k.IsZero() {
		t.Fatalf("New = %v, %v", k, err)
	}
	if _, err := New("demo/**/*"); !errors.Is(err, ErrSingleStarAfterDoubleStar) {
		t.Errorf("New(non-canonical) error = %v", err)
	}
	c, err := Autocanonize("demo/**/*")
	if err != nil || c.String() != "demo/*/**" {
		t.Errorf("Autocanonize = %v, %v", c, err)
	}
	key, err := NewKey("demo/a/x")
	if err != nil || key.IsWild() {
		t.Fatalf("NewKey = %v, %v", key, err)
	}
	if _, err := NewKey("demo/*"); !errors.Is(err, ErrWild) {
		t.Errorf("NewKey(wild) error = %v", err)
	}
	if !k.Intersects(key) || !k.Includes(key) || key.Includes(k) {
		t.Error("KeyExpr relations disagree with the functions")
	}
	if k.LiteralPrefix() != "demo" {
		t.Errorf("LiteralPrefix = %q", k.LiteralPrefix())
	}
	a, err := New("a/*/**")
	if err != nil {
		t.Fatal(err)
	}
	b, err := New("**/d/e")
	if err != nil {
		t.Fatal(err)
	}
	j, err := a.Join(b)
	if err != nil || j.String() != "a/*/**/d/e" {
		t.Errorf("Join = %v, %v", j, err)
	}
	var chunks []string
	for c := range k.Chunks() {
		chunks = append(chunks, c)
	}
	if strings.Join(chunks, "|") != "demo|*|x" {
		t.Errorf("Chunks = %q", chunks)
	}
	for c := range (KeyExpr{}).Chunks() {
		t.Errorf("zero KeyExpr yields chunk %q", c)
	}
	var u KeyExpr
	if err := u.UnmarshalText([]byte("a/$*")); !errors.Is(err, ErrLoneDollarStar) || !u.IsZero() {
		t.Errorf("UnmarshalText(bad) = %v, left %v", err, u)
	}
	if err := u.UnmarshalText([]byte("a/*")); err != nil || u.String() != "a/*" {
		t.Errorf("UnmarshalText = %v, %v", err, u)
	}
	if b, err := u.MarshalText(); err != nil || string(b) != "a/*" {
		t.Errorf("MarshalText = %q, %v", b, err)
	}
}
