package hlc

import "testing"

func BenchmarkClockNow(b *testing.B) {
	c := NewClock(NewID())
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Now()
	}
}

func BenchmarkClockNowParallel(b *testing.B) {
	c := NewClock(NewID())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = c.Now()
		}
	})
}

func BenchmarkTimestampAppend(b *testing.B) {
	ts := NewClock(NewID()).Now()
	buf := make([]byte, 0, EncodedLen)
	b.ReportAllocs()
	for b.Loop() {
		buf = ts.Append(buf[:0])
	}
}

func BenchmarkDecodeTimestamp(b *testing.B) {
	enc := NewClock(NewID()).Now().Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeTimestamp(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTimestampAppendText(b *testing.B) {
	ts := NewClock(NewID()).Now()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = ts.AppendText(buf[:0])
	}
}
