package mechanism

import (
	"fmt"
	"testing"
)

// Benchmarks of the per-frame codecs and of whole handshakes. Run with
//
//	go test -run '^$' -bench . -benchmem ./mechanism/

func benchSizes() []int { return []int{16, 1 << 10} }

func BenchmarkCurveSeal(b *testing.B) {
	cs := benchCodecs(b, curvePair())
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) { benchSeal(b, cs[0], n) })
	}
}

func BenchmarkCurveOpen(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			cs := benchCodecs(b, curvePair())
			f := sealOne(b, cs[0], n)
			rx := cs[1].(*curveCodec)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				rx.recvd = 0 // accept the same nonce again: measure Open alone
				if _, _, err := rx.Open(f.flags, f.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNoiseSeal(b *testing.B) {
	cs := benchCodecs(b, noisePair())
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) { benchSeal(b, cs[0], n) })
	}
}

func BenchmarkNoiseOpen(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			cs := benchCodecs(b, noisePair())
			rx := cs[1].(*noiseCodec)
			n0, c0 := rx.recv.n, rx.recv.count
			f := sealOne(b, cs[0], n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				rx.recv.n, rx.recv.count = n0, c0 // the same message again
				if _, _, err := rx.Open(f.flags, f.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandshake runs both ends of a whole handshake, over the
// harness's net.Pipe and real ZMTP frames, and reports handshakes per
// second (both ends on this machine).
func BenchmarkHandshake(b *testing.B) {
	for _, name := range []string{"NULL", "PLAIN", "CURVE", "NOISE"} {
		b.Run(name, func(b *testing.B) {
			p := mechanismPairs()[name]
			p.closeAfter = true
			b.ReportAllocs()
			for b.Loop() {
				cl, sv := p.run(b)
				if cl.err != nil || sv.err != nil {
					b.Fatal(cl.err, sv.err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
		})
	}
}

func benchCodecs(b *testing.B, p pair) [2]Codec {
	p.closeAfter = true
	cl, sv := p.run(b)
	if cl.err != nil || sv.err != nil {
		b.Fatal(cl.err, sv.err)
	}
	return [2]Codec{cl.res.Codec, sv.res.Codec}
}

func benchSeal(b *testing.B, c Codec, n int) {
	body := pattern(n)
	buf := make([]byte, 0, 64<<10)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = c.Seal(buf[:0], 0, body); err != nil {
			b.Fatal(err)
		}
	}
}

func sealOne(b *testing.B, c Codec, n int) frame { return mustSeal(b, c, 0, pattern(n)) }
