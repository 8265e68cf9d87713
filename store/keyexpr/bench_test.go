package keyexpr

import (
	"strings"
	"testing"
)

var sink bool

func benchRelation(b *testing.B, rel func(x, y string) bool, x, y string) {
	b.ReportAllocs()
	for b.Loop() {
		sink = rel(x, y)
	}
}

// The storage hot path: a query's expression against a stored key.
func BenchmarkIntersectsWildVsKey(b *testing.B) {
	benchRelation(b, Intersects, "demo/**/sensor$*/temp", "demo/building/3/floor/2/sensor17/temp")
}

func BenchmarkIntersectsSingleStarVsKey(b *testing.B) {
	benchRelation(b, Intersects, "demo/*/sensor/*", "demo/b3/sensor/temp")
}

func BenchmarkIntersectsWildVsWild(b *testing.B) {
	benchRelation(b, Intersects, "demo/**/temp", "demo/b3/**")
}

func BenchmarkIncludesWildVsWild(b *testing.B) {
	benchRelation(b, Includes, "demo/*/**", "demo/b3/**/temp")
}

func BenchmarkIntersectsAdversarial(b *testing.B) {
	p, k := adversarial(50, 100)
	benchRelation(b, Intersects, p, k)
}

func BenchmarkIncludesAdversarial(b *testing.B) {
	p, k := adversarial(50, 100)
	benchRelation(b, Includes, p, k+"/b")
}

func BenchmarkIntersectsLongChunks(b *testing.B) {
	x := strings.Repeat("ab$*", 100) + "c"
	y := strings.Repeat("ab", 400) + "c"
	benchRelation(b, Intersects, x, y)
}

func BenchmarkValidate(b *testing.B) {
	s := "demo/example/**/sensor$*/temp"
	b.ReportAllocs()
	for b.Loop() {
		if Validate(s) != nil {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkCanonizeRewrite(b *testing.B) {
	s := "demo/**/**/$*/sensor$*$*/temp"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Canonize(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStripPrefix(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		StripPrefix("demo/**/te$*/*/xyz", "demo/example/test")
	}
}
