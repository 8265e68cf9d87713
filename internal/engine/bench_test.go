package engine

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

// loopReader serves the same bytes forever, so the decoder's cost is
// measured without a network.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.data[r.off:])
		n += c
		r.off = (r.off + c) % len(r.data)
	}
	return n, nil
}

// BenchmarkFrameDecode: the reader's cost per received frame, body copy
// (into a slab, or its own allocation above 1 KiB) included.
func BenchmarkFrameDecode(b *testing.B) {
	s := testSocket(b)
	for _, size := range []int{16, 1024, 65536} {
		b.Run(byteSize(size), func(b *testing.B) {
			var stream []byte
			for len(stream) < 1<<20 {
				stream = zmtp.AppendFrame(stream, 0, bytes.Repeat([]byte{1}, size))
			}
			fr := newFrameReader(&loopReader{data: stream}, 0)
			fr.established(nil, nil)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, body, owned, err := fr.next()
				if err != nil {
					b.Fatal(err)
				}
				slabbed := false
				if !owned {
					body, slabbed = fr.own(body)
				}
				m := s.received(body, 0, "", nil, testBodyFrom(body, slabbed))
				m.Release()
			}
		})
	}
}

// BenchmarkFrameEncode: the writer's cost per frame into its buffer.
func BenchmarkFrameEncode(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(byteSize(size), func(b *testing.B) {
			body := make([]byte, size)
			buf := make([]byte, 0, flushAt+512)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				buf = zmtp.AppendFrame(buf, 0, body)
				if len(buf) >= flushAt {
					buf = buf[:0]
				}
			}
		})
	}
}

// BenchmarkPipe: a send into a pipe and the writer taking it in batches,
// the two halves of the send path without a connection.
func BenchmarkPipe(b *testing.B) {
	s := &Socket{opts: socket.Options{SendHWM: 1000, RecvHWM: 1000}}
	p := newPipe(s, "bench")
	m := socket.Msg{Body: make([]byte, 16)}
	batch := make([]socket.Msg, 0, 1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if ok, err := p.TrySend(m); !ok || err != nil {
			batch, _ = p.take(batch, false)
			p.written(int64(len(batch) * len(m.Body)))
			clear(batch)
			if ok, err := p.TrySend(m); !ok || err != nil {
				b.Fatal("pipe full after a take", err)
			}
		}
	}
}

// BenchmarkFairQueue: the receive path: a reader pushing batches, a
// receiver popping one message at a time, across 4 pipes.
func BenchmarkFairQueue(b *testing.B) {
	s := &Socket{opts: socket.Options{SendHWM: 1000, RecvHWM: 1000}}
	s.in.init()
	pipes := make([]*Pipe, 4)
	for i := range pipes {
		pipes[i] = newPipe(s, "bench")
		pipes[i].recvHWM = 0
	}
	batch := make([]socket.Msg, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i += len(batch) * len(pipes) {
		for _, p := range pipes {
			s.in.pushBatch(p, batch, 0)
		}
		for j := 0; j < len(batch)*len(pipes); j++ {
			if _, ok := s.in.pop(); !ok {
				b.Fatal("queue empty")
			}
		}
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1024 && n%1024 == 0:
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

var _ io.Reader = (*loopReader)(nil)
