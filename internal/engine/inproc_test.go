package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// The inproc link's incoming queue hands messages over a batch at a time
// (inbox). These tests pin down what batching must not change: the bounds
// hold exactly, nothing is lost, duplicated or reordered, and a sender
// stopped at the bound is woken when the receiver drains.

var (
	scatterT = Type{Name: "SCATTER", Peer: "GATHER", DropIncoming: true, KeepDisconnected: true}
	gatherT  = Type{Name: "GATHER", Peer: "SCATTER", KeepDisconnected: true}
)

// inprocLink returns a GATHER bound to a fresh inproc endpoint and a
// SCATTER connected to it, the link up when it returns.
func inprocLink(t testing.TB, zctx *socket.Ctx, recvOpts, sendOpts socket.Options) (recv, send *Socket) {
	t.Helper()
	recv, err := New(zctx, gatherT, recvOpts, nil)
	if err != nil {
		t.Fatal(err)
	}
	send, err = New(zctx, scatterT, sendOpts, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := fmt.Sprintf("inproc://link-%p", recv)
	if err := recv.Bind(ep); err != nil {
		t.Fatal(err)
	}
	if err := send.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if len(recv.Pipes()) != 1 || len(send.Pipes()) != 1 {
		t.Fatalf("link not up after Connect: %d and %d pipes", len(recv.Pipes()), len(send.Pipes()))
	}
	return recv, send
}

// seqMsg is message i of sender g: 4 bytes of g, 4 of i, padded to size.
func seqMsg(g, i, size int) socket.Msg {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint32(b, uint32(g))
	binary.BigEndian.PutUint32(b[4:], uint32(i))
	return socket.Msg{Body: b}
}

func seqOf(t testing.TB, m socket.Msg) (g, i int) {
	t.Helper()
	if len(m.Body) < 8 {
		t.Fatalf("message of %d bytes, not one of ours", len(m.Body))
	}
	return int(binary.BigEndian.Uint32(m.Body)), int(binary.BigEndian.Uint32(m.Body[4:]))
}

// trySend sends m without blocking and reports whether it was taken.
func trySend(t testing.TB, s *Socket, m socket.Msg) bool {
	t.Helper()
	err := s.SendLB(context.Background(), m, false)
	if err != nil && !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatal(err)
	}
	return err == nil
}

// recvSeq receives one message and checks it is message want of sender 0.
func recvSeq(t testing.TB, s *Socket, want int) {
	t.Helper()
	m, err := s.Recv(context.Background(), false)
	if err != nil {
		t.Fatalf("receiving message %d: %v", want, err)
	}
	if g, i := seqOf(t, m); g != 0 || i != want {
		t.Fatalf("got message %d of sender %d, want %d of 0", i, g, want)
	}
}

// TestInprocBoundsExactWithBatches: the link takes exactly SendHWM +
// RecvHWM messages (or the byte bounds' sum), and after the receiver has
// taken k of them (its first pop swaps the whole queue into its batch)
// exactly k more, however the queue is split between the senders' half
// and the receiver's batch.
func TestInprocBoundsExactWithBatches(t *testing.T) {
	for _, tc := range []struct {
		name               string
		recvOpts, sendOpts socket.Options
		size, bound        int
	}{
		{"messages", socket.Options{RecvHWM: 4}, socket.Options{SendHWM: 3}, 8, 7},
		// 64 bytes: six messages of 10; a seventh would take it to 70.
		{"bytes", socket.Options{RecvHWM: socket.Unlimited, RecvHWMBytes: 34}, socket.Options{SendHWM: socket.Unlimited, SendHWMBytes: 30}, 10, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zctx := socket.NewCtx(nil)
			defer zctx.Close()
			recv, send := inprocLink(t, zctx, tc.recvOpts, tc.sendOpts)
			next, got := 0, 0
			fill := func(want int) {
				t.Helper()
				n := 0
				for trySend(t, send, seqMsg(0, next, tc.size)) {
					next++
					if n++; n > tc.bound+1 {
						t.Fatalf("the link took %d messages, bound %d", n, tc.bound)
					}
				}
				if n != want {
					t.Fatalf("the link took %d messages, want %d", n, want)
				}
				if !send.Pipes()[0].FullFor(tc.size) {
					t.Fatal("a refused send, yet the pipe says it has room")
				}
			}
			fill(tc.bound)
			for _, k := range []int{1, 3, 2} { // the first pop swaps all in; later ones eat into that batch
				for range k {
					recvSeq(t, recv, got)
					got++
				}
				fill(k)
			}
			for got < next {
				recvSeq(t, recv, got)
				got++
			}
			if _, err := recv.Recv(context.Background(), false); !errors.Is(err, socket.ErrWouldBlock) {
				t.Fatalf("after draining: %v, want ErrWouldBlock", err)
			}
			fill(tc.bound) // and from empty (parked) again
		})
	}
}

// TestInprocBlockedSenderWokenAtHalf: a sender blocked at the bound is
// released once the receiver has drained the queue to half its bound,
// whether the receiver pops from a batch it holds or finds the queue
// empty.
func TestInprocBlockedSenderWokenAtHalf(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	const bound = 8
	recv, send := inprocLink(t, zctx, socket.Options{RecvHWM: 4}, socket.Options{SendHWM: 4})
	for i := range bound {
		if !trySend(t, send, seqMsg(0, i, 8)) {
			t.Fatalf("message %d refused below the bound", i)
		}
	}
	done := make(chan error, 1)
	go func() { done <- send.SendLB(context.Background(), seqMsg(0, bound, 8), true) }()
	waitBlocked(t, send)
	// Draining to half (4 left) wakes it: it may not have sent before.
	for i := range bound / 2 {
		recvSeq(t, recv, i)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the blocked sender was not woken with the queue drained to half")
	}
	for i := bound / 2; i <= bound; i++ {
		recvSeq(t, recv, i)
	}
}

// waitBlocked waits until s counts one send blocked at the bound.
func waitBlocked(t *testing.T, s *Socket) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, n := s.Blocked(); n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the sender never blocked")
		}
	}
}

// TestInprocNoLostWakeups: senders and receivers, several of each, push
// many messages through a link whose bound is tiny, so every side parks
// and wakes the other over and over. A lost wake-up hangs the test (the
// deadline fails it); every message arrives once, each sender's in order.
func TestInprocNoLostWakeups(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	recv, send := inprocLink(t, zctx, socket.Options{RecvHWM: 1}, socket.Options{SendHWM: 1})
	const senders, receivers, each = 3, 2, 20000
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, senders+receivers)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := send.SendLB(ctx, seqMsg(g, i, 8), true); err != nil {
					errc <- fmt.Errorf("sender %d, message %d: %w", g, i, err)
					return
				}
			}
		}()
	}
	var mu sync.Mutex
	var got [][]int // per receiver, in the order each received
	var recvTotal atomic.Int64
	for range receivers {
		wg.Add(1)
		seen := make([]int, 0, senders*each)
		go func() {
			defer wg.Done()
			defer func() { mu.Lock(); got = append(got, seen); mu.Unlock() }()
			for {
				m, err := recv.Recv(ctx, true)
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						errc <- err
					}
					return
				}
				g, i := seqOf(t, m)
				seen = append(seen, g<<32|i)
				if total := recvTotal.Add(1); total == senders*each {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if n := recvTotal.Load(); n != senders*each {
		t.Fatalf("received %d messages, want %d", n, senders*each)
	}
	// Across receivers a sender's messages may be taken out of order
	// relative to each other's clocks, but each receiver sees each
	// sender's messages in increasing order, and together all of them
	// once.
	count := make(map[int]int)
	for _, seen := range got {
		last := map[int]int{}
		for _, v := range seen {
			g, i := v>>32, v&(1<<32-1)
			if l, ok := last[g]; ok && i <= l {
				t.Fatalf("a receiver got message %d of sender %d after %d", i, g, l)
			}
			last[g] = i
			count[v]++
		}
	}
	for g := range senders {
		for i := range each {
			if count[g<<32|i] != 1 {
				t.Fatalf("message %d of sender %d received %d times", i, g, count[g<<32|i])
			}
		}
	}
}

// TestInprocSenderCloseLosesNothing: what a send has delivered stays for
// the receiver when the sending socket closes at once after, with several
// goroutines sending: every message arrives, each sender's in order.
func TestInprocSenderCloseLosesNothing(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	recv, send := inprocLink(t, zctx, socket.Options{RecvHWM: socket.Unlimited}, socket.Options{SendHWM: socket.Unlimited})
	const senders, each = 4, 5000
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := send.SendLB(context.Background(), seqMsg(g, i, 8), false); err != nil {
					t.Errorf("sender %d, message %d: %v", g, i, err)
					return
				}
			}
		}()
	}
	// Receive while they send, then the rest after the close.
	next := make([]int, senders)
	take := func(block bool) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m, err := recv.Recv(ctx, block)
		if err != nil {
			return err
		}
		g, i := seqOf(t, m)
		if i != next[g] {
			t.Fatalf("got message %d of sender %d, want %d", i, g, next[g])
		}
		next[g]++
		return nil
	}
	for range senders * each / 2 {
		if err := take(true); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := send.Close(); err != nil {
		t.Fatal(err)
	}
	for range senders * each / 2 {
		if err := take(false); err != nil {
			t.Fatalf("after the sender closed: %v", err)
		}
	}
	if err := take(false); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("one more: %v, want ErrWouldBlock", err)
	}
}

// TestInprocReceiverCloseUnderSends: the receiving socket closes while
// goroutines send. What it received before is each sender's messages in
// order with no gap; the sends fail from the close on (at once or after
// their wait at the bound) with socket.ErrHostUnreachable or, for a send
// that found no peer left, keep waiting until their context ends; and the
// closed socket's pipe holds no message.
func TestInprocReceiverCloseUnderSends(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	recv, send := inprocLink(t, zctx, socket.Options{RecvHWM: 16}, socket.Options{SendHWM: 16})
	sp := recv.Pipes()[0]
	const senders = 4
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				err := send.SendLB(ctx, seqMsg(g, i, 8), true)
				if err == nil {
					continue
				}
				if !errors.Is(err, context.Canceled) && !errors.Is(err, socket.ErrHostUnreachable) {
					t.Errorf("sender %d, message %d: %v", g, i, err)
				}
				return
			}
		}()
	}
	next := make([]int, senders)
	for range 20000 {
		m, err := recv.Recv(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		g, i := seqOf(t, m)
		if i != next[g] {
			t.Fatalf("got message %d of sender %d, want %d", i, g, next[g])
		}
		next[g]++
	}
	if err := recv.Close(); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	if _, err := recv.Recv(context.Background(), false); !errors.Is(err, socket.ErrClosed) {
		t.Fatalf("Recv after Close: %v, want ErrClosed", err)
	}
	b := sp.box
	recv.in.mu.Lock()
	b.mu.Lock()
	held := len(b.msgs) + len(b.batch) - b.head
	b.mu.Unlock()
	recv.in.mu.Unlock()
	if held != 0 {
		t.Fatalf("the closed socket's inproc pipe still holds %d messages", held)
	}
}

// TestInprocMultipartIsOneEntry: a multipart message is one entry of the
// queue: the message bound counts it once, its frames arrive together.
func TestInprocMultipartIsOneEntry(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	recv, send := inprocLink(t, zctx, socket.Options{RecvHWM: 1}, socket.Options{SendHWM: 1})
	frames := func(i int) socket.Msg {
		return socket.Msg{Frames: [][]byte{{byte(i)}, []byte("two"), []byte("three")}}
	}
	n := 0
	for trySend(t, send, frames(n)) {
		n++
	}
	if n != 2 {
		t.Fatalf("the link took %d three-frame messages, want its bound of 2", n)
	}
	for i := range n {
		m, err := recv.Recv(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Frames) != 3 || m.Frames[0][0] != byte(i) || string(m.Frames[2]) != "three" {
			t.Fatalf("message %d: frames %q", i, m.Frames)
		}
	}
}

// BenchmarkInproc: SCATTER to GATHER over inproc, 16-byte messages, the
// engine alone. pipelined: one goroutine sends b.N messages while another
// receives them (the cost per message when both sides run at once, as
// zmesh bench thr inproc:// does). alternating: one goroutine sends 100,
// then receives them (each side's cost without the other running).
func BenchmarkInproc(b *testing.B) {
	body := make([]byte, 16)
	ctx := context.Background()
	b.Run("pipelined", func(b *testing.B) {
		zctx := socket.NewCtx(nil)
		defer zctx.Close()
		recv, send := inprocLink(b, zctx, socket.Options{}, socket.Options{})
		b.ReportAllocs()
		b.ResetTimer()
		errc := make(chan error, 1)
		go func() {
			for range b.N {
				if err := send.SendLB(ctx, socket.Msg{Body: body}, true); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		for range b.N {
			if _, err := recv.Recv(ctx, true); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	})
	b.Run("alternating", func(b *testing.B) {
		zctx := socket.NewCtx(nil)
		defer zctx.Close()
		recv, send := inprocLink(b, zctx, socket.Options{}, socket.Options{})
		b.ReportAllocs()
		b.ResetTimer()
		for n := 0; n < b.N; n += 100 {
			k := min(100, b.N-n)
			for range k {
				if err := send.SendLB(ctx, socket.Msg{Body: body}, false); err != nil {
					b.Fatal(err)
				}
			}
			for range k {
				if _, err := recv.Recv(ctx, false); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
