package patterns

// The same benchmarks for github.com/go-zeromq/zmq4 (PUSH/PULL and
// REQ/REP, its nearest types: it has no draft sockets), run in the same
// process and session as ours so the ratio is meaningful on a noisy machine.

import (
	"context"
	"sync"
	"testing"

	"github.com/go-zeromq/zmq4"
)

func BenchmarkZMQ4Throughput(b *testing.B) {
	for _, tc := range []struct {
		name, ep string
		size     int
	}{
		{"tcp/16B", "tcp://127.0.0.1:0", 16},
		{"tcp/1KiB", "tcp://127.0.0.1:0", 1024},
		{"tcp/64KiB", "tcp://127.0.0.1:0", 64 << 10},
		{"inproc/16B", "inproc://zmq4-bench", 16},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pull := zmq4.NewPull(ctx)
			defer pull.Close()
			if err := pull.Listen(tc.ep); err != nil {
				b.Fatal(err)
			}
			push := zmq4.NewPush(ctx)
			defer push.Close()
			ep := tc.ep
			if a := pull.Addr(); a != nil && a.Network() == "tcp" {
				ep = "tcp://" + a.String()
			}
			if err := push.Dial(ep); err != nil {
				b.Fatal(err)
			}
			body := make([]byte, tc.size)
			push.Send(zmq4.NewMsg(body))
			pull.Recv()
			measureThroughput(b, tc.size,
				func() error { return push.Send(zmq4.NewMsg(body)) },
				func() error { _, err := pull.Recv(); return err })
		})
	}
}

func BenchmarkZMQ4RoundTrip(b *testing.B) {
	b.Run("tcp/16B", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rep := zmq4.NewRep(ctx)
		defer rep.Close()
		if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		req := zmq4.NewReq(ctx)
		defer req.Close()
		if err := req.Dial("tcp://" + rep.Addr().String()); err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := rep.Recv()
				if err != nil {
					return
				}
				if rep.Send(m) != nil {
					return
				}
			}
		}()
		body := make([]byte, 16)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := req.Send(zmq4.NewMsg(body)); err != nil {
				b.Fatal(err)
			}
			if _, err := req.Recv(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		rep.Close()
		req.Close()
		wg.Wait()
	})
}
