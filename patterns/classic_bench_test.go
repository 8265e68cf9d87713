package patterns

import (
	"context"
	"fmt"
	"testing"
)

// PUSH→PULL throughput over tcp, libzmq's local_thr/remote_thr pattern.
func BenchmarkPushPull(b *testing.B) {
	for _, size := range []int{16, 1 << 10, 64 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			zctx := newBenchCtx(b)
			pull, err := NewPull(zctx, Options{})
			must(b, err)
			push, err := NewPush(zctx, Options{})
			must(b, err)
			must(b, pull.Bind("tcp://127.0.0.1:*"))
			ep, _ := pull.LastEndpoint()
			must(b, push.Connect(ep))
			ctx := context.Background()
			body := make([]byte, size)
			measureThroughput(b, size,
				func() error { return push.SendFrames(ctx, body) },
				func() error { _, err := pull.RecvFrames(ctx); return err })
		})
	}
}

// REQ↔REP round trips over tcp, libzmq's local_lat/remote_lat pattern.
func BenchmarkReqRepLatency(b *testing.B) {
	zctx := newBenchCtx(b)
	rep, err := NewRep(zctx, Options{})
	must(b, err)
	req, err := NewReq(zctx, Options{})
	must(b, err)
	must(b, rep.Bind("tcp://127.0.0.1:*"))
	ep, _ := rep.LastEndpoint()
	must(b, req.Connect(ep))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			q, err := rep.RecvFrames(ctx)
			if err != nil {
				return
			}
			if rep.SendFrames(ctx, q...) != nil {
				return
			}
		}
	}()
	body := make([]byte, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		must(b, req.SendFrames(ctx, body))
		if _, err := req.RecvFrames(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cancel()
	<-done
}

// PUB to 10 SUBs over tcp while the PUB holds 10 000 subscriptions (1000
// per subscriber, one of which matches): the cost of matching.
func BenchmarkPubSub10kSubscriptions(b *testing.B) {
	zctx := newBenchCtx(b)
	pub, err := NewXPub(zctx, Options{SendHWM: -1})
	must(b, err)
	must(b, pub.Bind("tcp://127.0.0.1:*"))
	ep, _ := pub.LastEndpoint()
	ctx := context.Background()
	subs := make([]*Sub, 10)
	for i := range subs {
		subs[i], err = NewSub(zctx, Options{RecvHWM: -1})
		must(b, err)
		for j := 0; j < 999; j++ {
			must(b, subs[i].Subscribe([]byte(fmt.Sprintf("other.%d.%d", i, j))))
		}
		must(b, subs[i].Subscribe([]byte("hot")))
		must(b, subs[i].Connect(ep))
	}
	// Wait until every subscription has reached the XPUB.
	for n := 0; n < 10*1000-999; {
		_, err := pub.RecvFrames(ctx)
		must(b, err)
		n++
	}
	body := []byte("hot.topic.0123456789")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	errs := make(chan error, len(subs))
	for _, s := range subs {
		go func() {
			for i := 0; i < b.N; i++ {
				if _, err := s.RecvFrames(ctx); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < b.N; i++ {
		must(b, pub.SendFrames(ctx, body))
	}
	for range subs {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
