package server

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/backend/fs"
	"github.com/zmesh/zmesh/store/internal/storetest"
	"github.com/zmesh/zmesh/store/proto"
)

// startFS starts a server with one fs storage, "s", holding every key, on
// a request socket with the options zmesh serve gives it by default, as
// adjust changes them.
func startFS(t *testing.T, opts Options, adjust ...func(*socket.Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, zctx: socket.NewCtx(quiet)}
	t.Cleanup(func() { f.zctx.Close() })
	st, err := fs.Open(t.TempDir())
	must(t, err)
	so := requestSocketDefaults(quiet, DefaultMaxValueSize)
	for _, a := range adjust {
		a(&so)
	}
	sock, err := patterns.NewServer(f.zctx, so)
	must(t, err)
	must(t, sock.Bind("tcp://127.0.0.1:*"))
	f.ep = storetest.Endpoint(t, sock)
	opts.Socket = sock
	opts.Logger = quiet
	opts.Storages = []Storage{{Name: "s", KeyExpr: "**", Store: st, Volume: "fs"}}
	f.srv, err = NewServer(testCtx(t), opts)
	must(t, err)
	f.serve(t)
	f.cli = f.client(t)
	return f
}

// nonReader is a CLIENT that sends queries for key and never receives:
// its receive queue holds one message, so its connection backs up at
// once, as a client that stops reading its socket.
func nonReader(t *testing.T, f *fixture, key string, n int) {
	t.Helper()
	c, err := patterns.NewClient(f.zctx, socket.Options{RecvHWM: 1, Linger: -1})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	must(t, c.Connect(f.ep))
	ctx := testCtx(t)
	for i := range n {
		q := proto.Message{Kind: proto.KindQuery, ID: uint64(i + 1), Key: key}
		b, err := q.MarshalBinary()
		must(t, err)
		must(t, c.Send(ctx, b))
	}
}

// heapWatch samples the heap in use until stopped, and reports the most
// it saw.
func heapWatch() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// TestClientThatNeverReadsCannotStallOthers: a client floods queries for a
// large value and never reads the answers. Every request of another client
// is answered within its deadline meanwhile, the server's heap stays under
// the bound its settings give, and the non-reader is disconnected.
//
// The heap bound: the non-reader pins at most DefaultSendHWMBytes of
// answers plus the one answer larger than what is left (queued and in the
// writer's batch alike), and DefaultRecvHWMBytes of its queries; each of
// the 20 workers holds at most one value read; the garbage of the values
// read for it (GOGC=100) at most doubles that; plus 32 MiB for the test
// binary and the clients. With the server's defaults (send_hwm 1000
// messages, 8 MiB each way) and 1 MiB values that is 2 × (17 + 20) MiB +
// 32 MiB = 106 MiB, well under the 300 MiB the server must stay below.
func TestClientThatNeverReadsCannotStallOthers(t *testing.T) {
	cases := []struct {
		name    string
		value   int
		queries int
		timeout time.Duration // RequestTimeout, and each good request's deadline
	}{
		{"1MiB_x3000_puts_within_5s", 1 << 20, 3000, 5 * time.Second},
		{"256KiB_x2000_within_request_timeout", 256 << 10, 2000, 5 * time.Second},
		// About 8 KB of queries: each asks for 4 MiB (1.68 GB of heap
		// before the byte bounds).
		{"4MiB_x400_8KB_of_queries", 4 << 20, 400, 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := startFS(t, Options{RequestTimeout: c.timeout})
			ctx := testCtx(t)
			must(t, f.cli.Put(ctx, "big", bytes.Repeat([]byte{'v'}, c.value)))
			runtime.GC()
			peak := heapWatch()

			nonReader(t, f, "big", c.queries)
			// Another client's requests, one after the other, while the
			// flood is being answered: each within its deadline.
			good := f.client(t)
			var slowest time.Duration
			for i := range 20 {
				rctx, cancel := context.WithTimeout(ctx, c.timeout)
				start := time.Now()
				key := fmt.Sprintf("good/%d", i)
				if err := good.Put(rctx, key, []byte("v")); err != nil {
					cancel()
					t.Fatalf("put %d during the flood: %v after %v", i, err, time.Since(start).Round(time.Millisecond))
				}
				if got, err := good.Get(rctx, key); err != nil || len(got) != 1 {
					cancel()
					t.Fatalf("get %d during the flood: %v, %d samples after %v", i, err, len(got), time.Since(start).Round(time.Millisecond))
				}
				cancel()
				d := time.Since(start)
				if d > c.timeout {
					t.Fatalf("put and get %d took %v, past the deadline %v", i, d, c.timeout)
				}
				slowest = max(slowest, d)
			}
			// The non-reader is found out within the stall bound.
			deadline := time.Now().Add(10 * time.Second)
			for f.srv.Stats().StalledClients == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the client that never reads was not disconnected: %+v", f.srv.Stats())
				}
				time.Sleep(10 * time.Millisecond)
			}
			most := peak()
			bound := uint64(2*(DefaultSendHWMBytes+DefaultRecvHWMBytes+c.value+20*c.value) + 32<<20)
			t.Logf("slowest put+get %v; peak heap in use %d MiB (bound %d MiB); %+v",
				slowest.Round(time.Millisecond), most>>20, bound>>20, f.srv.Stats())
			if most > bound {
				t.Fatalf("heap in use reached %d MiB, over the bound of %d MiB", most>>20, bound>>20)
			}
			if f.srv.Stats().AnswersDropped == 0 {
				t.Fatal("no answer counted as dropped")
			}
		})
	}
}

// TestSlowReaderGetsEveryReply: a client that reads steadily, if slowly,
// gets every reply of a query of thousands of keys, and is never taken for
// a client that does not read.
func TestSlowReaderGetsEveryReply(t *testing.T) {
	const keys = 3000
	// A short queue, so that the reader's pace, not the queue, decides.
	f := startFS(t, Options{StallTimeout: 300 * time.Millisecond}, func(o *socket.Options) { o.SendHWM = 16 })
	ctx := testCtx(t)
	val := bytes.Repeat([]byte{'x'}, 1024)
	for i := range keys {
		must(t, f.cli.Put(ctx, fmt.Sprintf("many/%04d", i), val))
	}
	c, err := patterns.NewClient(f.zctx, socket.Options{RecvHWM: 4})
	must(t, err)
	defer c.Close()
	must(t, c.Connect(f.ep))
	q := proto.Message{Kind: proto.KindQuery, ID: 7, Key: "many/**"}
	b, err := q.MarshalBinary()
	must(t, err)
	must(t, c.Send(ctx, b))
	replies := 0
	for {
		m, err := c.Recv(ctx)
		must(t, err)
		msg, err := proto.Decode(m.Body)
		must(t, err)
		if msg.Kind == proto.KindFinal {
			if msg.Status != proto.StatusOK || int(msg.Count) != keys || replies != keys {
				t.Fatalf("FINAL %v count %d after %d replies, want OK with %d", msg.Status, msg.Count, replies, keys)
			}
			break
		}
		replies++
		if replies%50 == 0 {
			time.Sleep(5 * time.Millisecond) // slow, but reading
		}
	}
	if st := f.srv.Stats(); st.StalledClients != 0 || st.AnswersDropped != 0 {
		t.Fatalf("a reading client was treated as stalled: %+v", st)
	}
}
