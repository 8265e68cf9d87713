package engine_test

// Fault tests: peers that die (SIGKILL), freeze (SIGSTOP) or restart under
// load, run as subprocesses (internal/faultpeer), and linger at close. They
// wait for monitor events and for the peer's output lines, never for a
// fixed time; the few time bounds they assert are the (a frozen peer
// is dropped, Linger 0 returns at once) and are generous, because this
// machine has 2 cores shared with other engineers' builds and tests.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/internal/faultpeer/harness"
	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// seqLines returns the sequence numbers of a faultpeer's output lines that
// start with prefix ("r", "ok").
func seqLines(t *testing.T, p *interop.Peer, prefix string) []int {
	t.Helper()
	var out []int
	for _, l := range p.Lines() {
		if s, ok := strings.CutPrefix(l, prefix+" "); ok {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("bad line %q", l)
			}
			out = append(out, n)
		}
	}
	return out
}

// checkRun checks that seqs is first, first+1, ..., last: one connection
// delivers every message it was handed, in order, once.
func checkRun(t *testing.T, what string, seqs []int) {
	t.Helper()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("%s: message %d is seq %d after seq %d (lost, duplicated or reordered on a live connection)",
				what, i, seqs[i], seqs[i-1])
		}
	}
}

// sender is the test side's sending socket (CLIENT or SCATTER).
type sender interface {
	Connect(string) error
	Monitor() <-chan socket.Event
}

// TestKilledPeerMessagesFollowLibzmqRules pins down what happens to a
// stream of messages when the receiving peer is killed with SIGKILL and
// comes back on the same endpoint, for the connecting types that keep their
// pipe across reconnects (CLIENT, SCATTER). libzmq's rules, which we match:
//
//   - the sender notices the dead link (EventDisconnected) and reconnects
//     once the peer is back (EventHandshakeSucceeded);
//   - messages still queued on the connecting pipe survive the reconnect:
//     every message on the queue when the sender noticed the loss, or
//     queued after, is delivered to the new peer (harness.Stream works out
//     which those are);
//   - messages already taken by the dead connection (in its writer's batch
//     or handed to the kernel, or received by the dead process but not yet
//     by its application) are lost: at most one gap, between the last
//     message the first peer printed and the first one the second printed;
//   - nothing is duplicated and order is kept: the first peer got 0..a-1
//     exactly, the second b..n-1 exactly, with a <= b.
func TestKilledPeerMessagesFollowLibzmqRules(t *testing.T) {
	for _, tc := range []struct {
		name, peerType string
		frozen         bool // frozen first (SIGSTOP), so the queue is full at the kill
	}{
		{"client to server, flowing", "server", false},
		{"client to server, stalled", "server", true},
		{"scatter to gather, flowing", "gather", false},
		{"scatter to gather, stalled", "gather", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// 4 KiB messages, so loopback's socket buffers (a few MiB)
			// hold a few thousand at most and the stream is still flowing
			// (or stalled with the queue full) when the peer is killed.
			const total, size = 30000, 4096
			ep := harness.RestartableEndpoint(t)
			sink := func() *interop.Peer {
				p, _ := harness.StartBound(t, "--type", tc.peerType, "--bind", ep, "--mode", "sink", "--timeout", "100s")
				return p
			}
			p1 := sink()

			zctx := socket.NewCtx(nil)
			defer zctx.Close()
			opts := socket.Options{ReconnectInterval: 50 * time.Millisecond}
			var s sender
			var err error
			typ := "CLIENT"
			if tc.peerType == "server" {
				s, err = patterns.NewClient(zctx, opts)
			} else {
				s, err = patterns.NewScatter(zctx, opts)
				typ = "SCATTER"
			}
			must(t, err)
			mon := s.Monitor()
			must(t, s.Connect(ep))
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			st := harness.StartStream(ctx, engine.SocketOf(zctx, typ), total, size)

			waitEvent(t, mon, socket.EventHandshakeSucceeded)
			if _, err := p1.WaitLine("r 2000", 60*time.Second); err != nil {
				t.Fatal(err)
			}
			if tc.frozen {
				if err := p1.Signal(syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
				if err := st.Stalled(60 * time.Second); err != nil {
					t.Fatal(err)
				}
			}
			p1.Kill() // SIGKILL
			e := waitEvent(t, mon, socket.EventDisconnected)
			if e.Err == nil {
				t.Fatal("disconnect of a killed peer carries no reason")
			}
			if !tc.frozen {
				st.Down()
				if err := st.WaitDowntime(60 * time.Second); err != nil {
					t.Fatal(err)
				}
			}
			p2 := sink()
			waitEvent(t, mon, socket.EventHandshakeSucceeded)
			if err := st.Wait(60 * time.Second); err != nil {
				t.Fatal(err)
			}
			if _, err := p2.WaitLine(fmt.Sprintf("r %d", total-1), 60*time.Second); err != nil {
				t.Fatal(err)
			}
			p2.Kill()

			r1, r2 := seqLines(t, p1, "r"), seqLines(t, p2, "r")
			if len(r1) == 0 || r1[0] != 0 {
				t.Fatalf("first peer's messages start at %v, want 0", r1[:min(len(r1), 1)])
			}
			checkRun(t, "first peer", r1)
			checkRun(t, "second peer", r2)
			a, b := r1[len(r1)-1]+1, r2[0]
			if b < a {
				t.Fatalf("seqs %d..%d delivered twice (second peer starts at %d)", b, a-1, b)
			}
			if owed := st.Survivors(); b > owed {
				t.Fatalf("messages %d..%d, still queued at the disconnect or queued after it, were lost (second peer starts at %d)",
					owed, b-1, b)
			}
			if r2[len(r2)-1] != total-1 {
				t.Fatalf("second peer's last message is %d, want %d", r2[len(r2)-1], total-1)
			}
			t.Logf("first peer got 0..%d, lost with the dead connection: %d, owed to the next peer from %d, second peer got %d..%d",
				a-1, b-a, st.Survivors(), b, total-1)
		})
	}
}

// TestFrozenClientIsDroppedAndReconnectsAfterThaw: a CLIENT process frozen
// with SIGSTOP is dropped by the SERVER's heartbeat timeout; once thawed
// with SIGCONT it finds its link gone, reconnects (a new handshake, a new
// routing id) and its request/reply traffic resumes.
func TestFrozenClientIsDroppedAndReconnectsAfterThaw(t *testing.T) {
	hb := socket.Heartbeat{Interval: 100 * time.Millisecond, Timeout: 300 * time.Millisecond}
	srv, ep, mon := newServer(t, socket.Options{Heartbeat: hb})
	ids := make(chan socket.RoutingID, 1<<16)
	echoCtx, stopEcho := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			m, err := srv.Recv(echoCtx)
			if err != nil {
				return
			}
			select {
			case ids <- m.RoutingID:
			default:
			}
			srv.Route(echoCtx, m.Body, m.RoutingID)
		}
	}()
	defer func() { stopEcho(); wg.Wait() }()

	p := harness.Start(t, "--type", "client", "--connect", ep, "--mode", "reqrep", "--retry", "1s",
		"--heartbeat-ivl", "100ms", "--heartbeat-timeout", "300ms", "--reconnect-ivl", "50ms", "--timeout", "100s")
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	if _, err := p.WaitLine("ok 200", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	firstID := <-ids
	thaw := harness.Freeze(t, p)
	// The heartbeat timeout (300 ms) drops a frozen peer.
	harness.WaitHeartbeatDrop(t, mon, "client")
	// Its routing id is gone: routing to it fails at once (libzmq's
	// EHOSTUNREACH).
	if err := srv.TryRoute([]byte("late"), firstID); !errors.Is(err, socket.ErrHostUnreachable) {
		t.Fatalf("route to the dropped client: %v, want ErrHostUnreachable", err)
	}
	frozenAt := len(seqLines(t, p, "ok"))
	thaw()
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	if _, err := p.WaitLine(fmt.Sprintf("ok %d", frozenAt+200), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	oks := seqLines(t, p, "ok")
	checkRun(t, "replies", oks)
	// The reconnected client has a new routing id.
	var lastID socket.RoutingID
	for len(ids) > 0 {
		lastID = <-ids
	}
	if lastID == firstID {
		t.Fatalf("the reconnected client kept routing id %d", firstID)
	}
}

// TestFrozenServerIsDroppedAndTrafficResumesAfterThaw: a SERVER process
// frozen with SIGSTOP is dropped by the CLIENT's heartbeat timeout. While it
// is frozen the kernel still completes TCP connects to it, so the CLIENT's
// reconnects fail at the handshake timeout and are retried; after SIGCONT a
// handshake succeeds and requests get their replies again.
func TestFrozenServerIsDroppedAndTrafficResumesAfterThaw(t *testing.T) {
	p, ep := harness.StartBound(t, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo", "--timeout", "100s")
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	cli, err := patterns.NewClient(zctx, socket.Options{
		Heartbeat:         socket.Heartbeat{Interval: 100 * time.Millisecond, Timeout: 300 * time.Millisecond},
		HandshakeTimeout:  500 * time.Millisecond,
		ReconnectInterval: 50 * time.Millisecond,
	})
	must(t, err)
	mon := cli.Monitor()
	must(t, cli.Connect(ep))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// request sends seq and waits for its reply, resending after a second
	// without it (a request or reply can go down with a connection).
	request := func(seq int) {
		t.Helper()
		body := interop.Pattern(seq, 16)
		for try := 0; try < 60; try++ {
			if err := cli.Send(ctx, body); err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			for {
				m, err := cli.Recv(rctx)
				if err != nil {
					break
				}
				if got, _ := interop.PatternSeq(m.Body); int(got) == seq {
					cancel()
					return
				}
			}
			cancel()
		}
		t.Fatalf("no reply to request %d", seq)
	}
	for seq := 0; seq < 100; seq++ {
		request(seq)
	}
	thaw := harness.Freeze(t, p)
	harness.WaitHeartbeatDrop(t, mon, "server")
	// A reconnect reaches the frozen process's backlog and times out in
	// the handshake.
	e := waitEvent(t, mon, socket.EventHandshakeFailed)
	if msg := e.Err.Error(); !strings.Contains(msg, "timed out") && !strings.Contains(msg, "timeout") {
		t.Fatalf("reconnect to a frozen server failed with %v, want a handshake timeout", e.Err)
	}
	thaw()
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	for seq := 100; seq < 200; seq++ {
		request(seq)
	}
}

// TestServerRestartedUnderLoad kills and restarts an echoing SERVER process
// three times while four goroutines send through one CLIENT as fast as the
// high-water mark allows and another receives the echoes. Nothing may
// deadlock, no message may come back twice or out of order per sender, and
// traffic must resume after each restart; a final message from each sender
// after the last restart must come back.
func TestServerRestartedUnderLoad(t *testing.T) {
	const senders, restarts = 4, 3
	ep := harness.RestartableEndpoint(t)
	start := func() *interop.Peer {
		p, _ := harness.StartBound(t, "--type", "server", "--bind", ep, "--mode", "echo", "--timeout", "100s")
		return p
	}
	p := start()
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	cli, err := patterns.NewClient(zctx, socket.Options{ReconnectInterval: 50 * time.Millisecond})
	must(t, err)
	mon := cli.Monitor()
	must(t, cli.Connect(ep))

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// body: sender (4 bytes), seq (4 bytes), padding; fin marks the last.
	msg := func(sender, seq int, fin bool) []byte {
		b := make([]byte, 16)
		binary.BigEndian.PutUint32(b, uint32(sender))
		binary.BigEndian.PutUint32(b[4:], uint32(seq))
		if fin {
			b[8] = 1
		}
		return b
	}
	var (
		echoed   atomic.Int64
		progress = make(chan struct{}, 1) // a nudge after each echo
		recvErr  = make(chan error, 1)
		fins     = make(chan int, senders)
	)
	go func() {
		last := make([]int, senders)
		for i := range last {
			last[i] = -1
		}
		for {
			m, err := cli.Recv(ctx)
			if err != nil {
				recvErr <- err
				return
			}
			snd, seq := int(binary.BigEndian.Uint32(m.Body)), int(binary.BigEndian.Uint32(m.Body[4:]))
			if snd >= senders || seq <= last[snd] {
				recvErr <- fmt.Errorf("sender %d: seq %d echoed after seq %d (duplicate or out of order)", snd, seq, last[snd])
				return
			}
			last[snd] = seq
			echoed.Add(1)
			select {
			case progress <- struct{}{}:
			default:
			}
			if m.Body[8] == 1 {
				fins <- snd
			}
		}
	}()
	stopSending := make(chan struct{})
	var wg sync.WaitGroup
	seqs := make([]int, senders)
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-stopSending:
					seqs[i] = seq
					return
				default:
				}
				if err := cli.Send(ctx, msg(i, seq, false)); err != nil {
					seqs[i] = seq
					return
				}
			}
		}(i)
	}
	// waitEchoes waits until n more echoes have come back than now.
	waitEchoes := func(n int64, what string) {
		t.Helper()
		target := echoed.Load() + n
		timeout := time.After(60 * time.Second)
		for echoed.Load() < target {
			select {
			case <-progress:
			case err := <-recvErr:
				t.Fatal(err)
			case <-timeout:
				t.Fatalf("%s: echoes stopped at %d", what, echoed.Load())
			}
		}
	}
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	waitEchoes(5000, "before the first restart")
	for r := 0; r < restarts; r++ {
		p.Kill()
		waitEvent(t, mon, socket.EventDisconnected)
		p = start()
		waitEvent(t, mon, socket.EventHandshakeSucceeded)
		waitEchoes(5000, fmt.Sprintf("after restart %d", r+1))
	}
	close(stopSending)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("senders blocked until the test's deadline")
	}
	for i := 0; i < senders; i++ {
		if err := cli.Send(ctx, msg(i, seqs[i], true)); err != nil {
			t.Fatal(err)
		}
	}
	got := map[int]bool{}
	for len(got) < senders {
		select {
		case snd := <-fins:
			got[snd] = true
		case err := <-recvErr:
			t.Fatal(err)
		case <-time.After(60 * time.Second):
			t.Fatalf("final messages back from %d of %d senders", len(got), senders)
		}
	}
	var sentTotal int
	for _, n := range seqs {
		sentTotal += n + 1
	}
	t.Logf("%d messages sent, %d echoed across %d restarts (the rest went down with killed connections)", sentTotal, echoed.Load(), restarts)
	cancel()
	<-recvErr
	p.Kill()
}

// TestLingerAtClose: Linger > 0 delivers what is queued to a slow reader,
// even messages queued before the connection was up; Linger 0 returns at
// once and discards what is queued; a negative Linger waits until all is
// delivered; a Linger > 0 that expires with a stalled reader returns after
// about that long and discards the rest.
func TestLingerAtClose(t *testing.T) {
	const n, size = 600, 64 << 10 // 37.5 MiB: more than loopback's socket buffers hold
	type setup struct {
		srv *patterns.Server
		cli *patterns.Client
		ep  string
	}
	open := func(t *testing.T, linger time.Duration, waitUp bool) setup {
		srv, ep, _ := newServer(t, socket.Options{RecvHWM: 10})
		cli, err := patterns.NewClient(nil, socket.Options{Linger: linger, SendHWM: socket.Unlimited})
		must(t, err)
		t.Cleanup(func() { cli.Close() })
		mon := cli.Monitor()
		must(t, cli.Connect(ep))
		if waitUp {
			waitEvent(t, mon, socket.EventHandshakeSucceeded)
		}
		for i := 0; i < n; i++ {
			if err := cli.TrySend(interop.Pattern(i, size)); err != nil {
				t.Fatal(err)
			}
		}
		return setup{srv, cli, ep}
	}
	// readAll receives until want messages or until nothing arrives for
	// quiet, checking order; it returns how many arrived in order.
	readAll := func(srv *patterns.Server, want int, quiet, perMsg time.Duration) (int, error) {
		for i := 0; i < want; i++ {
			rctx, cancel := context.WithTimeout(context.Background(), quiet)
			m, err := srv.Recv(rctx)
			cancel()
			if err != nil {
				return i, nil
			}
			if seq, err := interop.PatternSeq(m.Body); err != nil || int(seq) != i || len(m.Body) != size {
				return i, fmt.Errorf("message %d: seq %d, %d bytes, %v", i, seq, len(m.Body), err)
			}
			time.Sleep(perMsg) // a slow reader
		}
		return want, nil
	}
	mustReadAll := func(t *testing.T, srv *patterns.Server, want int, quiet time.Duration) int {
		t.Helper()
		got, err := readAll(srv, want, quiet, 0)
		must(t, err)
		return got
	}

	t.Run("positive delivers to a slow reader", func(t *testing.T) {
		s := open(t, 60*time.Second, true)
		type result struct {
			got int
			err error
		}
		done := make(chan result, 1)
		go func() {
			got, err := readAll(s.srv, n, 30*time.Second, 2*time.Millisecond)
			done <- result{got, err}
		}()
		start := time.Now()
		s.cli.Close()
		took := time.Since(start)
		if r := <-done; r.err != nil || r.got != n {
			t.Fatalf("slow reader got %d of %d messages: %v", r.got, n, r.err)
		}
		t.Logf("Close lingered %v", took)
	})

	t.Run("positive delivers to a peer that binds during the linger", func(t *testing.T) {
		// libzmq keeps connecting while a closed socket lingers: messages
		// queued for a peer that is not there yet reach it if it binds
		// within the linger period.
		ep := harness.RestartableEndpoint(t)
		cli, err := patterns.NewClient(nil, socket.Options{Linger: 60 * time.Second, ReconnectInterval: 20 * time.Millisecond})
		must(t, err)
		mon := cli.Monitor()
		must(t, cli.Connect(ep))
		const few = 100
		for i := 0; i < few; i++ {
			if err := cli.TrySend(interop.Pattern(i, size)); err != nil {
				t.Fatal(err)
			}
		}
		waitEvent(t, mon, socket.EventConnectFailed) // nobody is listening yet
		closed := make(chan struct{})
		go func() { cli.Close(); close(closed) }()
		waitEvent(t, mon, socket.EventConnectFailed) // still retrying while Close lingers
		zctx := socket.NewCtx(nil)
		defer zctx.Close()
		srv, err := patterns.NewServer(zctx, socket.Options{})
		must(t, err)
		must(t, srv.Bind(ep))
		if got := mustReadAll(t, srv, few, 30*time.Second); got != few {
			t.Fatalf("reader got %d of %d messages queued before it bound", got, few)
		}
		select {
		case <-closed:
		case <-time.After(30 * time.Second):
			t.Fatal("Close did not return once everything was delivered")
		}
	})

	t.Run("zero returns at once and discards", func(t *testing.T) {
		s := open(t, 0, true)
		start := time.Now()
		s.cli.Close()
		// The bound: at once. 2 s is generous for 2 loaded cores;
		// delivering 37.5 MiB to a reader that never reads would never end.
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Close with Linger 0 took %v", d)
		}
		if got := mustReadAll(t, s.srv, n, 2*time.Second); got >= n {
			t.Fatalf("reader got all %d messages: nothing was discarded", got)
		}
	})

	t.Run("negative waits until delivered", func(t *testing.T) {
		s := open(t, -1, true)
		closed := make(chan time.Time, 1)
		go func() { s.cli.Close(); closed <- time.Now() }()
		// The reader has not read anything, so Close cannot have
		// delivered 37.5 MiB yet: it must still be waiting after a while.
		select {
		case <-closed:
			t.Fatal("Close with a negative Linger returned before the reader read anything")
		case <-time.After(500 * time.Millisecond):
		}
		if got := mustReadAll(t, s.srv, n, 30*time.Second); got != n {
			t.Fatalf("reader got %d of %d messages", got, n)
		}
		select {
		case <-closed:
		case <-time.After(30 * time.Second): // bounded by the test
			t.Fatal("Close did not return after everything was delivered")
		}
	})

	t.Run("positive expires with a stalled reader", func(t *testing.T) {
		const linger = 300 * time.Millisecond
		s := open(t, linger, true)
		start := time.Now()
		s.cli.Close()
		d := time.Since(start)
		// At least the linger period; at most it plus a generous 5 s for
		// a loaded machine.
		if d < linger || d > linger+5*time.Second {
			t.Fatalf("Close with Linger %v took %v", linger, d)
		}
		if got := mustReadAll(t, s.srv, n, 2*time.Second); got >= n {
			t.Fatalf("reader got all %d messages after the linger expired", got)
		}
	})
}
