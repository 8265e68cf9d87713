package zmtp

import "testing"

// The engine encodes and decodes a header per frame: both must cost a few
// nanoseconds and allocate nothing.

func BenchmarkAppendHeader(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
	}{{"short", 16}, {"long", 1 << 16}} {
		b.Run(tc.name, func(b *testing.B) {
			buf := make([]byte, 0, 64<<10)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				buf = AppendHeader(buf, FlagMore, tc.n)
				if len(buf) > 64<<10-LongHeaderLen {
					buf = buf[:0]
				}
			}
		})
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
	}{{"short", 16}, {"long", 1 << 16}} {
		b.Run(tc.name, func(b *testing.B) {
			hdr := AppendHeader(nil, FlagMore, tc.n)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h, err := ParseHeader(hdr, 1<<20)
				if err != nil || h.Size != tc.n {
					b.Fatal(h, err)
				}
			}
		})
	}
}

// TestHeaderCodecDoesNotAllocate holds the benchmarks' promise in the
// ordinary test run.
func TestHeaderCodecDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	long := AppendHeader(nil, 0, 1<<16)
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendHeader(buf[:0], FlagCommand, 300)
		if _, err := ParseHeader(long, 0); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per header encoded and parsed", n)
	}
}
