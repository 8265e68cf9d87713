package patterns

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// BenchmarkScatterGather measures pipeline throughput.
func BenchmarkScatterGather(b *testing.B) {
	for _, tc := range []struct {
		name, ep string
		size     int
	}{
		{"tcp/16B", "tcp://127.0.0.1:*", 16},
		{"tcp/64KiB", "tcp://127.0.0.1:*", 64 << 10},
		{"inproc/16B", "inproc://sg", 16},
		{"inproc/64KiB", "inproc://sg", 64 << 10},
	} {
		b.Run(tc.name, func(b *testing.B) {
			zctx := newBenchCtx(b)
			g, err := NewGather(zctx, Options{})
			must(b, err)
			must(b, g.Bind(tc.ep))
			ep, err := g.LastEndpoint()
			must(b, err)
			s, err := NewScatter(zctx, Options{})
			must(b, err)
			must(b, s.Connect(ep))
			ctx := context.Background()
			body := make([]byte, tc.size)
			s.Send(ctx, body)
			g.Recv(ctx)
			measureThroughput(b, tc.size,
				func() error { return s.Send(ctx, body) },
				func() error { _, err := g.Recv(ctx); return err })
		})
	}
}

// BenchmarkRadioDish measures publish throughput. Over tcp the radio is
// NoDrop so every message counts; over udp, loss is the transport's nature,
// so the benchmark reports the share received.
func BenchmarkRadioDish(b *testing.B) {
	for _, tc := range []struct {
		name, ep string
		size     int
	}{
		{"tcp/16B", "tcp://127.0.0.1:*", 16},
		{"udp/16B", "udp://127.0.0.1:*", 16},
		{"udp/1KiB", "udp://127.0.0.1:*", 1024},
	} {
		b.Run(tc.name, func(b *testing.B) {
			zctx := newBenchCtx(b)
			// A 4 MiB kernel buffer (the usual rmem_max) for the udp dish,
			// as a deployment would set against bursts.
			d, err := NewDish(zctx, Options{RecvHWM: 100000, RecvBuffer: 4 << 20})
			must(b, err)
			must(b, d.Bind(tc.ep))
			must(b, d.Join("g"))
			ep, err := d.LastEndpoint()
			must(b, err)
			r, err := NewRadio(zctx, Options{}, RadioOptions{NoDrop: true})
			must(b, err)
			must(b, r.Connect(ep))
			ctx := context.Background()
			udp := tc.ep[:3] == "udp"
			if !udp {
				for {
					r.Transmit(ctx, []byte("probe"), "g")
					if _, err := d.TryRecv(); err == nil {
						break
					}
					time.Sleep(time.Millisecond)
				}
			}
			body := make([]byte, tc.size)
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			b.ResetTimer()
			var got atomic.Int64
			rctx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for got.Load() < int64(b.N) {
					if _, err := d.Recv(rctx); err != nil {
						return
					}
					got.Add(1)
				}
			}()
			for i := 0; i < b.N; i++ {
				if err := r.Transmit(ctx, body, "g"); err != nil {
					b.Fatal(err)
				}
			}
			if udp {
				// Give the last datagrams a moment, then stop counting.
				time.Sleep(20 * time.Millisecond)
				cancel()
			}
			wg.Wait()
			cancel()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
			if udp {
				b.ReportMetric(100*float64(got.Load())/float64(b.N), "%recv")
			}
		})
	}
}

// BenchmarkZMQ4PubSub is zmq4's nearest equivalent of Radio→Dish.
func BenchmarkZMQ4PubSub(b *testing.B) {
	b.Run("tcp/16B", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		pub := zmq4.NewPub(ctx)
		defer pub.Close()
		if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		sub := zmq4.NewSub(ctx)
		defer sub.Close()
		if err := sub.Dial("tcp://" + pub.Addr().String()); err != nil {
			b.Fatal(err)
		}
		sub.SetOption(zmq4.OptionSubscribe, "g")
		body := make([]byte, 16)
		msg := func() zmq4.Msg { return zmq4.NewMsgFrom([]byte("g"), body) }
		// Wait for the subscription to arrive.
		got := make(chan struct{})
		go func() { sub.Recv(); close(got) }()
		for ready := false; !ready; {
			pub.Send(msg())
			select {
			case <-got:
				ready = true
			case <-time.After(5 * time.Millisecond):
			}
		}
		measureThroughput(b, 16,
			func() error { return pub.Send(msg()) },
			func() error { _, err := sub.Recv(); return err })
	})
}
