package zmtp

import (
	"fmt"
	"testing"
)

// The engine encodes and decodes a header per frame: both must cost a few
// nanoseconds and allocate nothing.

// BenchmarkHeader: encoding and parsing the header of a short and of a
// long frame.
func BenchmarkHeader(b *testing.B) {
	for _, n := range []int{16, 1 << 16} {
		hdr := AppendHeader(nil, FlagMore, n)
		buf := make([]byte, 0, 64<<10)
		b.Run(fmt.Sprintf("append/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if buf = AppendHeader(buf, FlagMore, n); len(buf) > cap(buf)-LongHeaderLen {
					buf = buf[:0]
				}
			}
		})
		b.Run(fmt.Sprintf("parse/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if h, err := ParseHeader(hdr, 1<<20); err != nil || h.Size != n {
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

// TestHeartbeatCodecDoesNotAllocate: what the engine does per PING it
// sends or answers, and per command it checks, allocates nothing beyond
// the buffers it passes in.
func TestHeartbeatCodecDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	ping := AppendPing(nil, 20, []byte("ctx"))
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendPing(buf[:0], 20, nil)
		if !IsCommand(ping, CmdPing) || CheckCommand(ping) != nil {
			t.Fatal("PING not recognised")
		}
		_, ctxt, err := ParsePing(Data(ping, CmdPing))
		if err != nil {
			t.Fatal(err)
		}
		buf = AppendPong(buf[:0], ctxt)
	}); n != 0 {
		t.Fatalf("%v allocations per PING and PONG", n)
	}
}
