package keyexpr

import (
	"iter"
	"strings"
)

// KeyExpr is a validated key expression in canonical form. The only ways
// to make one are New, Autocanonize and UnmarshalText, so holding a
// KeyExpr proves the string is valid. It is comparable: two KeyExprs are
// equal exactly when their strings are.
//
// The zero KeyExpr is not a valid expression (IsZero reports it); its
// methods treat it as the empty string and never panic.
type KeyExpr struct {
	s string
}

// New validates s strictly (see Validate) and wraps it.
func New(s string) (KeyExpr, error) {
	if err := Validate(s); err != nil {
		return KeyExpr{}, err
	}
	return KeyExpr{s}, nil
}

// Autocanonize rewrites s to canonical form (see Canonize), then wraps it.
func Autocanonize(s string) (KeyExpr, error) {
	c, err := Canonize(s)
	if err != nil {
		return KeyExpr{}, err
	}
	return KeyExpr{c}, nil
}

// NewKey validates s as a plain key, without wildcards (see ValidateKey).
func NewKey(s string) (KeyExpr, error) {
	if err := ValidateKey(s); err != nil {
		return KeyExpr{}, err
	}
	return KeyExpr{s}, nil
}

// String returns the expression.
func (k KeyExpr) String() string { return k.s }

// IsZero reports whether k is the zero KeyExpr.
func (k KeyExpr) IsZero() bool { return k.s == "" }

// IsWild reports whether k contains a wildcard (see the function IsWild).
func (k KeyExpr) IsWild() bool { return IsWild(k.s) }

// Intersects reports whether k and o share at least one key (see the
// function Intersects).
func (k KeyExpr) Intersects(o KeyExpr) bool { return Intersects(k.s, o.s) }

// Includes reports whether every key of o is a key of k (see the function
// Includes).
func (k KeyExpr) Includes(o KeyExpr) bool { return Includes(k.s, o.s) }

// LiteralPrefix returns the longest chunk-aligned prefix of k without
// wildcards (see the function LiteralPrefix).
func (k KeyExpr) LiteralPrefix() string { return LiteralPrefix(k.s) }

// Join returns k + "/" + o in canonical form ("a/*/**" joined with "**/d"
// gives "a/*/**/d").
func (k KeyExpr) Join(o KeyExpr) (KeyExpr, error) {
	return Autocanonize(k.s + "/" + o.s)
}

// Chunks yields the chunks of k from left to right.
func (k KeyExpr) Chunks() iter.Seq[string] {
	return func(yield func(string) bool) {
		if k.s == "" {
			return
		}
		for c := range strings.SplitSeq(k.s, "/") {
			if !yield(c) {
				return
			}
		}
	}
}

// MarshalText returns the expression, so KeyExprs print as strings in JSON
// and YAML.
func (k KeyExpr) MarshalText() ([]byte, error) { return []byte(k.s), nil }

// UnmarshalText validates strictly (see New), so configuration files must
// spell key expressions canonically.
func (k *KeyExpr) UnmarshalText(b []byte) error {
	n, err := New(string(b))
	if err != nil {
		return err
	}
	*k = n
	return nil
}
