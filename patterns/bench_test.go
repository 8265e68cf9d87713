package patterns

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

func newBenchCtx(b *testing.B) *socket.Ctx {
	c := socket.NewCtx(nil)
	b.Cleanup(func() { c.Close() })
	return c
}

// measureThroughput sends b.N messages with send while another goroutine
// takes them with recv, and reports msg/s: the loop every throughput
// benchmark here shares (zmesh's and zmq4's alike).
func measureThroughput(b *testing.B, size int, send, recv func() error) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < b.N; i++ {
			if err := recv(); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	for i := 0; i < b.N; i++ {
		if err := send(); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// benchPair returns a connected Client and Server over ep.
func benchPair(b *testing.B, ep string) (*Client, *Server, func()) {
	b.Helper()
	zctx := socket.NewCtx(nil)
	srv, err := NewServer(zctx, Options{})
	must(b, err)
	must(b, srv.Bind(ep))
	bound, err := srv.LastEndpoint()
	must(b, err)
	cli, err := NewClient(zctx, Options{})
	must(b, err)
	must(b, cli.Connect(bound))
	// Wait for the link before timing.
	ctx := context.Background()
	cli.Send(ctx, []byte("warm"))
	m, _ := srv.Recv(ctx)
	srv.Route(ctx, []byte("warm"), m.RoutingID)
	cli.Recv(ctx)
	return cli, srv, func() { zctx.Close() }
}

// BenchmarkThroughput measures Client→Server messages per second: one
// goroutine sends b.N messages while another receives them.
func BenchmarkThroughput(b *testing.B) {
	for _, tc := range []struct {
		name, ep string
		size     int
	}{
		{"tcp/16B", "tcp://127.0.0.1:*", 16},
		{"tcp/1KiB", "tcp://127.0.0.1:*", 1024},
		{"tcp/64KiB", "tcp://127.0.0.1:*", 64 << 10},
		{"ipc/16B", "ipc:///tmp/zmesh-bench.sock", 16},
		{"inproc/16B", "inproc://bench", 16},
		{"inproc/64KiB", "inproc://bench", 64 << 10},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cli, srv, stop := benchPair(b, tc.ep)
			defer stop()
			body := make([]byte, tc.size)
			ctx := context.Background()
			measureThroughput(b, tc.size,
				func() error { return cli.Send(ctx, body) },
				func() error { m, err := srv.Recv(ctx); m.Release(); return err })
		})
	}
}

// BenchmarkRoundTrip measures the latency of one request and its reply.
func BenchmarkRoundTrip(b *testing.B) {
	for _, tc := range []struct{ name, ep string }{
		{"tcp/16B", "tcp://127.0.0.1:*"},
		{"inproc/16B", "inproc://rt"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cli, srv, stop := benchPair(b, tc.ep)
			defer stop()
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); echoServer(ctx, srv, nil) }()
			body := make([]byte, 16)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := cli.Send(ctx, body); err != nil {
					b.Fatal(err)
				}
				if _, err := cli.Recv(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cancel()
			stop()
			wg.Wait()
		})
	}
}

// BenchmarkSecureThroughput is BenchmarkThroughput over CURVE and NOISE.
func BenchmarkSecureThroughput(b *testing.B) {
	pub, sec, err := mechanism.GenerateKeyPair()
	must(b, err)
	mechs := map[string][2]mechanism.Mechanism{
		"curve": {&mechanism.CurveServer{SecretKey: sec}, &mechanism.CurveClient{ServerKey: pub}},
		"noise": {&mechanism.NoiseServer{SecretKey: sec}, &mechanism.NoiseClient{ServerKey: pub}},
	}
	for _, name := range []string{"curve", "noise"} {
		for _, size := range []int{16, 1024} {
			b.Run(fmt.Sprintf("%s/tcp/%dB", name, size), func(b *testing.B) {
				zctx := newBenchCtx(b)
				srv, err := NewServer(zctx, Options{Mechanism: mechs[name][0]})
				must(b, err)
				must(b, srv.Bind("tcp://127.0.0.1:*"))
				ep, err := srv.LastEndpoint()
				must(b, err)
				cli, err := NewClient(zctx, Options{Mechanism: mechs[name][1]})
				must(b, err)
				must(b, cli.Connect(ep))
				ctx := context.Background()
				body := make([]byte, size)
				cli.Send(ctx, body)
				srv.Recv(ctx)
				measureThroughput(b, size,
					func() error { return cli.Send(ctx, body) },
					func() error { _, err := srv.Recv(ctx); return err })
			})
		}
	}
}
