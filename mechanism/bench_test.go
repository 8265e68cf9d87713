package mechanism

import (
	"fmt"
	"testing"
)

// Benchmarks of the per-frame codecs and of whole handshakes. Run with
//
//	go test -run '^$' -bench . -benchmem ./mechanism/

func benchSizes() []int { return []int{16, 1 << 10} }

func BenchmarkCurveSeal(b *testing.B) { benchSeal(b, curvePair) }

func BenchmarkCurveOpen(b *testing.B) {
	benchOpen(b, curvePair, func(c Codec) func() {
		rx := c.(*curveCodec)
		return func() { rx.recvd = 0 } // accept the same nonce again
	})
}

// BenchmarkCurveOpenInto opens into memory the caller gives, as the
// engine does (no allocation per message).
func BenchmarkCurveOpenInto(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			cs := benchCodecs(b, curvePair())
			rx := cs[1].(*curveCodec)
			f := sealOne(b, cs[0], n)
			space := make([]byte, rx.OpenSpace(len(f.body)))
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				rx.recvd = 0 // accept the same nonce again
				if _, _, err := rx.OpenInto(f.flags, f.body, space); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNoiseSeal(b *testing.B) { benchSeal(b, noisePair) }

func BenchmarkNoiseOpen(b *testing.B) {
	benchOpen(b, noisePair, func(c Codec) func() {
		rx := c.(*noiseCodec)
		n0, c0 := rx.recv.n, rx.recv.count
		return func() { rx.recv.n, rx.recv.count = n0, c0 } // the same message again
	})
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

// benchSeal measures the client's Seal of one frame per size.
func benchSeal(b *testing.B, newPair func() pair) {
	cs := benchCodecs(b, newPair())
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			body := pattern(n)
			buf := make([]byte, 0, 64<<10)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = cs[0].Seal(buf[:0], 0, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchOpen measures the server's Open of one sealed frame per size, the
// same frame again and again: the function rewinder returns puts the
// codec back to before it (nonces, counters), so Open is measured alone.
func benchOpen(b *testing.B, newPair func() pair, rewinder func(Codec) func()) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			cs := benchCodecs(b, newPair())
			rewind := rewinder(cs[1])
			f := sealOne(b, cs[0], n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				rewind()
				if _, _, err := cs[1].Open(f.flags, f.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sealOne(b *testing.B, c Codec, n int) frame { return mustSeal(b, c, 0, pattern(n)) }
