package keyexpr

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// maxRefChunks bounds the inputs handed to the exponential references.
const maxRefChunks = 10

func FuzzValidate(f *testing.F) {
	for _, s := range []string{"", "a/b", "demo/**/*/x", "a$*$*b", "a/\xff", "@a/$*", "#", "a//b", "**/**"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Validate(s)
		if err != nil {
			var e *Error
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(s) || e.Rule == nil {
				t.Fatalf("Validate(%q) = %#v", s, err)
			}
			if kerr := ValidateKey(s); !errors.Is(kerr, ErrInvalid) {
				t.Fatalf("ValidateKey(%q) = %v after Validate failed", s, kerr)
			}
			return
		}
		if c, cerr := Canonize(s); cerr != nil || c != s {
			t.Fatalf("valid %q canonizes to %q, %v", s, c, cerr)
		}
		if kerr := ValidateKey(s); (kerr == nil) == IsWild(s) {
			t.Fatalf("ValidateKey(%q) = %v, IsWild = %v", s, kerr, IsWild(s))
		}
		p := LiteralPrefix(s)
		if p != "" && (Validate(p) != nil || IsWild(p) || !strings.HasPrefix(s, p) || (len(p) < len(s) && s[len(p)] != '/')) {
			t.Fatalf("LiteralPrefix(%q) = %q", s, p)
		}
		if !Includes(s, s) || !Intersects(s, s) {
			t.Fatalf("%q does not include itself", s)
		}
	})
}

func FuzzCanonize(f *testing.F) {
	for _, s := range []string{"a/**/*/**/*", "$*$*$*/x", "**/$*", "a$*$", "a/**/**", "hi*", "@a/$*$*b"} {
		f.Add(s)
		f.Add(string([]byte{0, 9, 25, 10, 11}))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, in := range []string{s, genExpr(s)} {
			got, err := Canonize(in)
			if len(in) > 512 {
				// The reference is cubic; on long inputs only check that
				// the result is valid.
				if err == nil && Validate(got) != nil {
					t.Fatalf("Canonize(%q) = %q, which is invalid", in, got)
				}
				continue
			}
			want, ok := refCanonize(in)
			if (err == nil) != ok {
				t.Fatalf("Canonize(%q) = %q, %v; reference ok=%v (%q)", in, got, err, ok, want)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Expr != in || e.Offset < 0 || e.Offset > len(in) {
					t.Fatalf("Canonize(%q) error %#v", in, err)
				}
				continue
			}
			if got != want {
				t.Fatalf("Canonize(%q) = %q, reference %q", in, got, want)
			}
			if Validate(got) != nil {
				t.Fatalf("Canonize(%q) = %q, which is invalid: %v", in, got, Validate(got))
			}
		}
	})
}

func FuzzIntersects(f *testing.F) {
	f.Add("\x08\x00", "\x00\x01", "a/**", "a/b")
	f.Add("\x09\x18\x09", "\x18\x10", "**/@a", "@a")
	f.Add("\x10\x11\x12", "\x13\x14", "a$*b", "$*c")
	f.Add("\x09\x00\x09\x00\x09\x01", "\x00\x00\x00\x00", "**/a/**/a/**/b", "a/a/a/a")
	f.Fuzz(func(t *testing.T, sa, sb, rawA, rawB string) {
		// Raw inputs: anything goes, nothing may panic.
		Intersects(rawA, rawB)
		Includes(rawA, rawB)
		StripPrefix(rawA, rawB)

		if len(sa) > maxRefChunks || len(sb) > maxRefChunks || sa == "" || sb == "" {
			return
		}
		a, errA := Canonize(genExpr(sa))
		b, errB := Canonize(genExpr(sb))
		if errA != nil || errB != nil {
			return
		}
		ca, cb := strings.Split(a, "/"), strings.Split(b, "/")
		inter := Intersects(a, b)
		if want := refIntersects(ca, cb); inter != want {
			t.Fatalf("Intersects(%q, %q) = %v, reference %v", a, b, inter, want)
		}
		if Intersects(b, a) != inter {
			t.Fatalf("Intersects(%q, %q) is not symmetric", a, b)
		}
		incl := Includes(a, b)
		if want := refIncludes(ca, cb); incl != want {
			t.Fatalf("Includes(%q, %q) = %v, reference %v", a, b, incl, want)
		}
		if incl && !inter {
			t.Fatalf("Includes(%q, %q) without Intersects", a, b)
		}

		// Against a key, both relations are plain matching; check them
		// against a regexp.
		key := genKey(sb)
		if ValidateKey(key) != nil {
			t.Fatalf("genKey gave %q: %v", key, ValidateKey(key))
		}
		want := keyRegexp(a).MatchString(markVerbatim(key))
		if got := Intersects(a, key); got != want {
			t.Fatalf("Intersects(%q, key %q) = %v, regexp says %v", a, key, got, want)
		}
		if got := Includes(a, key); got != want {
			t.Fatalf("Includes(%q, key %q) = %v, regexp says %v", a, key, got, want)
		}
	})
}

func FuzzStripPrefix(f *testing.F) {
	f.Add("\x00\x09\x01", "\x00\x01", "\x01")
	f.Add("\x09\x10\x08\x02", "\x00\x00\x00", "\x02")
	f.Add("\x18\x09", "\x18", "\x00\x00")
	f.Fuzz(func(t *testing.T, se, sp, sr string) {
		if len(se) > maxRefChunks || len(sp) > maxRefChunks || len(sr) > maxRefChunks || se == "" || sp == "" {
			return
		}
		ke, err := Canonize(genExpr(se))
		if err != nil {
			return
		}
		prefix := genKey(sp)
		rests, withPrefix := StripPrefix(ke, prefix)
		if withPrefix != Intersects(ke, prefix) {
			t.Fatalf("StripPrefix(%q, %q) withPrefix = %v, Intersects says %v", ke, prefix, withPrefix, !withPrefix)
		}
		for i, r := range rests {
			if Validate(r) != nil || !strings.HasSuffix(ke, r) {
				t.Fatalf("StripPrefix(%q, %q) rest %q is not a valid suffix", ke, prefix, r)
			}
			for j, q := range rests {
				if i != j && Includes(q, r) {
					t.Fatalf("StripPrefix(%q, %q) = %q: %q includes %q", ke, prefix, rests, q, r)
				}
			}
		}
		if sr == "" {
			if rest, ok := StripKey(prefix, prefix); !ok || rest != "" {
				t.Fatalf("StripKey(p, p) = %q, %v", rest, ok)
			}
			return
		}
		// A key under the prefix is matched by ke exactly when its
		// stripped form is matched by one of the rests.
		stripped := genKey(sr)
		full := prefix + "/" + stripped
		if rest, ok := StripKey(full, prefix); !ok || rest != stripped {
			t.Fatalf("StripKey(%q, %q) = %q, %v", full, prefix, rest, ok)
		}
		want := Intersects(ke, full)
		got := slices.ContainsFunc(rests, func(r string) bool { return Intersects(r, stripped) })
		if got != want {
			t.Fatalf("StripPrefix(%q, %q) = %q: matches %q is %v, but %q matches %q is %v",
				ke, prefix, rests, stripped, got, ke, full, want)
		}
	})
}

func FuzzParameters(f *testing.F) {
	for _, s := range []string{"a/b?p1=v1;p2;;p3=x=y", "?", "k?=;=;;a=|b|", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sel string) {
		ke, p := SplitSelector(sel)
		if strings.Contains(ke, "?") || (len(p) > 0 && ke+"?"+string(p) != sel) {
			t.Fatalf("SplitSelector(%q) = %q, %q", sel, ke, p)
		}
		seen := map[string]bool{}
		for name, value := range p.All() {
			if strings.Contains(name, ";") || strings.Contains(name, "=") || strings.Contains(value, ";") {
				t.Fatalf("entry %q=%q from %q", name, value, p)
			}
			if !seen[name] {
				seen[name] = true
				if v, ok := p.Get(name); !ok || v != value {
					t.Fatalf("Get(%q) = %q, %v; All gave %q first", name, v, ok, value)
				}
				if vs := p.Values(name); strings.Join(vs, "|") != value {
					t.Fatalf("Values(%q) = %q, want split of %q", name, vs, value)
				}
			}
		}
	})
}
