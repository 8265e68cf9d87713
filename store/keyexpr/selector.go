package keyexpr

import (
	"iter"
	"strings"
)

// SplitSelector splits a selector "keyexpr?parameters" at its first "?"
// (a key expression never contains one). Without "?", params is "". The
// key expression is not validated.
func SplitSelector(sel string) (ke string, params Parameters) {
	ke, p, _ := strings.Cut(sel, "?")
	return ke, Parameters(p)
}

// Parameters is the parameters part of a selector:
// ";"-separated entries, each "name=value" split at the first "=", or a
// bare "name" whose value is "". Empty entries are ignored, spaces are
// kept, and "|" separates several values of one name. Every string is a
// valid Parameters; parsing happens on access, without allocating (except
// Values, which returns a slice).
//
// Names that do not start with an ASCII letter are reserved by Zenoh;
// "_time" selects a time range.
type Parameters string

// All yields each entry's name and value in order, skipping empty entries.
// A name may appear more than once.
func (p Parameters) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for s := string(p); s != ""; {
			entry, rest, _ := strings.Cut(s, ";")
			s = rest
			if entry == "" {
				continue
			}
			name, value, _ := strings.Cut(entry, "=")
			if !yield(name, value) {
				return
			}
		}
	}
}

// Get returns the value of the first entry with the given name; ok is
// false if there is none.
func (p Parameters) Get(name string) (value string, ok bool) {
	for n, v := range p.All() {
		if n == name {
			return v, true
		}
	}
	return "", false
}

// Values returns the "|"-separated values of the first entry with the
// given name ("k=a|b" gives ["a", "b"]), or nil if there is none.
func (p Parameters) Values(name string) []string {
	v, ok := p.Get(name)
	if !ok {
		return nil
	}
	return strings.Split(v, "|")
}
