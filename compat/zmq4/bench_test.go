package zmq4

// PUSH/PULL throughput through the bridge and through the real zmq4, in
// one run so that their ratio means something on a busy machine:
//
//	go test -run '^$' -bench Throughput -benchtime 2s ./compat/zmq4
//
// Each reports msgs/s and MB/s; the target is the bridge >= 10x
// zmq4 (a figure for the closing note, never asserted in a test).

import (
	"context"
	"testing"
	"time"

	real "github.com/go-zeromq/zmq4"
)

var benchSizes = []struct {
	name string
	size int
}{{"16B", 16}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

func BenchmarkBridgeThroughput(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run("bridge/tcp/"+sz.name, func(b *testing.B) {
			ctx := context.Background()
			pull, push := NewPull(ctx), NewPush(ctx)
			defer pull.Close()
			defer push.Close()
			benchPushPull(b, sz.size, pull, push)
		})
		b.Run("zmq4/tcp/"+sz.name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pull, push := realSock{real.NewPull(ctx)}, realSock{real.NewPush(ctx)}
			defer pull.Close()
			defer push.Close()
			benchPushPull(b, sz.size, pull, push)
		})
	}
}

// benchPushPull sends b.N messages of size bytes from push to pull over
// tcp, sender and receiver on their own goroutines.
func benchPushPull(b *testing.B, size int, pull, push Socket) {
	if err := pull.Listen("tcp://127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	if err := push.Dial("tcp://" + pull.Addr().String()); err != nil {
		b.Fatal(err)
	}
	msg := NewMsg(make([]byte, size))
	if err := push.Send(msg); err != nil { // warm the connection up
		b.Fatal(err)
	}
	if _, err := pull.Recv(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		for range b.N {
			if err := push.Send(msg); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for range b.N {
		if _, err := pull.Recv(); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkBridgeLatency is REQ/REP round trips of 16 bytes over tcp,
// through the bridge and through zmq4 (ns/op is one round trip).
func BenchmarkBridgeLatency(b *testing.B) {
	b.Run("bridge/tcp/16B", func(b *testing.B) {
		ctx := context.Background()
		rep, req := NewRep(ctx), NewReq(ctx)
		defer rep.Close()
		defer req.Close()
		benchReqRep(b, rep, req)
	})
	b.Run("zmq4/tcp/16B", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rep, req := realSock{real.NewRep(ctx)}, realSock{real.NewReq(ctx)}
		defer rep.Close()
		defer req.Close()
		benchReqRep(b, rep, req)
	})
}

func benchReqRep(b *testing.B, rep, req Socket) {
	if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	if err := req.Dial("tcp://" + rep.Addr().String()); err != nil {
		b.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		for range b.N + 1 {
			m, err := rep.Recv()
			if err == nil {
				err = rep.Send(m)
			}
			if err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	msg := NewMsg(make([]byte, 16))
	roundTrip := func() {
		if err := req.Send(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := req.Recv(); err != nil {
			b.Fatal(err)
		}
	}
	roundTrip() // warm up
	b.ResetTimer()
	for range b.N {
		roundTrip()
	}
	b.StopTimer()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}
