package engine_test

// Byte bounds of the per-peer queues and the per-address connection cap.

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// fillUntilStalled sends fresh size-byte bodies with send until one finds
// no room for a second (the peer is stalled), or until limit were taken.
// It returns how many were taken.
func fillUntilStalled(t *testing.T, size, limit int, send func(ctx context.Context, body []byte) error) int {
	t.Helper()
	sent := 0
	for sent < limit {
		body := make([]byte, size)
		binary.BigEndian.PutUint64(body, uint64(sent))
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		err := send(c, body)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, socket.ErrWouldBlock) {
			return sent
		}
		must(t, err)
		sent++
	}
	return sent
}

// TestSendBytesBoundHoldsForPeerThatNeverReads: a SERVER routing 1 MiB
// answers to a peer that never reads, with SendHWM 1000 and a 16 MiB byte
// bound, takes at most 16 of them beyond what the kernel's buffers absorb,
// and the heap holds at most the bound: the writer's batch in flight
// counts toward it. (Without the byte bound the queue would take 1000
// messages, and the writer's batch as many again: 2 GiB.)
func TestSendBytesBoundHoldsForPeerThatNeverReads(t *testing.T) {
	const (
		size  = 1 << 20
		bound = 16 << 20
		// What the kernel's socket buffers on both ends of a loopback
		// connection can absorb, generously (Linux autotunes them up to
		// tcp_wmem's and tcp_rmem's maximums, 4 and 6 MiB by default).
		kernel = 32 << 20
		limit  = (bound + kernel) / size * 2 // stop well before 1000 if nothing bounds the queue
	)
	srv, ep, mon := newServer(t, socket.Options{SendHWM: 1000, SendHWMBytes: bound})
	r := dialRaw(t, ep)
	_ = r.nc.SetDeadline(time.Time{})
	r.handshake(1, "CLIENT")
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	r.send(r.w.WriteFrame(0, []byte("hello")))
	m, err := srv.Recv(ctx(t))
	must(t, err)
	before := memStats()
	sent := fillUntilStalled(t, size, limit, func(c context.Context, body []byte) error {
		return srv.Route(c, body, m.RoutingID)
	})
	after := memStats()
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d messages of 1 MiB taken for a peer that never reads (SendHWM 1000, SendHWMBytes %d MiB); heap in use %+d MiB",
		sent, bound>>20, grown>>20)
	if sent >= limit || sent*size > bound+kernel {
		t.Fatalf("%d MiB taken for a peer that never reads, with a %d MiB bound", sent*size>>20, bound>>20)
	}
	if sent < bound/size {
		t.Fatalf("only %d messages taken: the queue did not fill to its bound", sent)
	}
	if grown > bound+3<<20 {
		t.Fatalf("heap in use grew by %d MiB with a %d MiB send bound", grown>>20, bound>>20)
	}
}

// TestRecvBytesBoundStopsTheSender: a SERVER that never calls Recv, with a
// receive byte bound of 8 MiB, stops reading from a CLIENT sending 64 KiB
// messages once its queue holds that much, so the client's sends stall at
// its own send bound (4 MiB) plus what the kernel's buffers hold; the heap
// holds no more than the two bounds; and once the server reads, every
// message arrives, in order: backpressure, not loss. (With the message
// marks alone, 1000 messages a queue, the client would get 3000 in: 192
// MiB.)
func TestRecvBytesBoundStopsTheSender(t *testing.T) {
	const (
		size      = 64 << 10
		sendBound = 4 << 20
		recvBound = 8 << 20
		kernel    = 32 << 20 // see TestSendBytesBoundHoldsForPeerThatNeverReads
		limit     = (sendBound + recvBound + kernel) / size * 2
	)
	srv, ep, mon := newServer(t, socket.Options{RecvHWMBytes: recvBound})
	cli := mustNew(t, patterns.NewClient, nil, socket.Options{SendHWMBytes: sendBound})
	defer cli.Close()
	connect(t, cli, ep)
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	before := memStats()
	sent := fillUntilStalled(t, size, limit, cli.Send)
	after := memStats()
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d messages of 64 KiB (%d MiB) taken before the sender stalled; heap in use %+d MiB", sent, sent*size>>20, grown>>20)
	if sent >= limit || sent*size > sendBound+recvBound+kernel+(1<<20) {
		t.Fatalf("%d MiB taken with a %d MiB receive bound and a %d MiB send bound", sent*size>>20, recvBound>>20, sendBound>>20)
	}
	if sent*size < sendBound+recvBound {
		t.Fatalf("only %d KiB taken: the queues did not fill", sent*size>>10)
	}
	// The receive queue may pass its bound by one reader batch (2 MiB and
	// a message); the send side holds at most its bound.
	if grown > sendBound+recvBound+4<<20 {
		t.Fatalf("heap in use grew by %d MiB with bounds of %d and %d MiB", grown>>20, sendBound>>20, recvBound>>20)
	}
	for i := 0; i < sent; i++ {
		m, err := srv.Recv(ctx(t))
		if err != nil {
			t.Fatalf("message %d of %d: %v", i, sent, err)
		}
		if n := binary.BigEndian.Uint64(m.Body); n != uint64(i) || len(m.Body) != size {
			t.Fatalf("message %d is %d (%d bytes)", i, n, len(m.Body))
		}
	}
}

// TestMaxConnectionsPerAddress: with a cap of 2 per source address, a
// third connection from 127.0.0.1 is closed at once (EventAcceptFailed,
// ErrSocketLimit naming the address), one from 127.0.0.2 is served, and
// when one of the first two ends, 127.0.0.1 may connect again.
func TestMaxConnectionsPerAddress(t *testing.T) {
	srv, ep, mon := newServer(t, socket.Options{MaxConnectionsPerAddress: 2})
	echoing(t, srv)
	var clients []*patterns.Client
	for i := 0; i < 2; i++ {
		c := mustNew(t, patterns.NewClient, nil, socket.Options{})
		defer c.Close()
		connect(t, c, ep)
		waitEvent(t, mon, socket.EventHandshakeSucceeded)
		clients = append(clients, c)
	}
	refusedFrom := func(local string) {
		t.Helper()
		r := dialFrom(t, local, ep)
		e := waitEvent(t, mon, socket.EventAcceptFailed)
		if !errors.Is(e.Err, socket.ErrSocketLimit) || !strings.Contains(e.Err.Error(), local) {
			t.Fatalf("reason %v, want ErrSocketLimit naming %s", e.Err, local)
		}
		var b [1]byte
		_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := r.Read(b[:]); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Fatalf("the refused connection was not closed: %v", err)
		}
	}
	refusedFrom("127.0.0.1")
	// Another address has its own count.
	other := dialFrom(t, "127.0.0.2", ep)
	r := newRawPeer(t, other)
	r.handshake(1, "CLIENT")
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	// The admitted ones still work.
	for _, c := range clients {
		roundTrips(t, c, time.Millisecond)
	}
	// A place freed is a place taken again.
	clients[0].Close()
	waitEvent(t, mon, socket.EventDisconnected)
	late := mustNew(t, patterns.NewClient, nil, socket.Options{})
	defer late.Close()
	connect(t, late, ep)
	waitEvent(t, mon, socket.EventHandshakeSucceeded)
	roundTrips(t, late, time.Millisecond)
	refusedFrom("127.0.0.1")
}

// dialFrom dials ep's tcp address from the local IP local.
func dialFrom(t *testing.T, local, ep string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	nc, err := d.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	must(t, err)
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return nc
}

// isReset reports whether err is a connection reset, which is how a
// connection closed with unread bytes may end.
func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// TestRadioAtTheByteBound: a RADIO publishing 1 MiB messages to a DISH
// peer that joined and never reads, with SendHWMBytes 8 MiB, does what it
// does at its high-water mark: with NoDrop a send finds no room once the
// bound (and the kernel's buffers) are full; without, every send succeeds
// and the messages the peer has no room for are dropped, so the heap holds
// no more than the bound.
func TestRadioAtTheByteBound(t *testing.T) {
	const (
		size   = 1 << 20
		bound  = 8 << 20
		kernel = 32 << 20 // see TestSendBytesBoundHoldsForPeerThatNeverReads
		limit  = (bound + kernel) / size * 2
	)
	for _, noDrop := range []bool{true, false} {
		name := "drop"
		if noDrop {
			name = "no drop"
		}
		t.Run(name, func(t *testing.T) {
			zctx := socket.NewCtx(nil)
			defer zctx.Close()
			radio, err := patterns.NewRadio(zctx, socket.Options{SendHWMBytes: bound}, patterns.RadioOptions{NoDrop: noDrop})
			must(t, err)
			mon := radio.Monitor()
			ep := bind(t, radio, "tcp://127.0.0.1:*")
			r := dialRaw(t, ep)
			_ = r.nc.SetDeadline(time.Time{})
			r.send(r.w.WriteGreeting(null(1)), r.w.WriteReady(socketType("DISH")),
				r.w.WriteCommand(zmtp.CmdJoin, []byte("g")))
			waitEvent(t, mon, socket.EventHandshakeSucceeded)
			// The JOIN is handled by the radio's reader after the handshake:
			// wait until a message reaches the peer.
			joined := false
			for deadline := time.Now().Add(10 * time.Second); !joined && time.Now().Before(deadline); {
				must(t, radio.Transmit(ctx(t), []byte("probe"), "g"))
				joined = radioReached(r)
			}
			if !joined {
				t.Fatal("the DISH's JOIN never took effect")
			}
			before := memStats()
			if noDrop {
				sent := fillUntilStalled(t, size, limit, func(c context.Context, body []byte) error {
					return radio.Transmit(c, body, "g")
				})
				t.Logf("NoDrop: %d messages of 1 MiB taken before a send found no room (SendHWMBytes %d MiB)", sent, bound>>20)
				if sent >= limit || sent*size > bound+kernel {
					t.Fatalf("%d MiB taken for a peer that never reads, with a %d MiB bound", sent*size>>20, bound>>20)
				}
				if sent < bound/size {
					t.Fatalf("only %d messages taken: the queue did not fill to its bound", sent)
				}
			} else {
				for i := 0; i < limit; i++ {
					if err := radio.TryTransmit(make([]byte, size), "g"); err != nil {
						t.Fatalf("send %d: %v (without NoDrop a RADIO drops for a full peer)", i, err)
					}
				}
			}
			after := memStats()
			grown := int64(after.HeapInuse) - int64(before.HeapInuse)
			t.Logf("heap in use %+d MiB", grown>>20)
			if grown > bound+2<<20 {
				t.Fatalf("heap in use grew by %d MiB with a %d MiB send bound", grown>>20, bound>>20)
			}
		})
	}
}

// radioReached reports whether the raw DISH r has received a message (the
// radio's greeting and READY are read on the way) within a short wait.
func radioReached(r *rawPeer) bool {
	_ = r.nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	defer r.nc.SetReadDeadline(time.Time{})
	for {
		f, err := r.zr.ReadFrame()
		if err != nil {
			return false
		}
		if f.Flags&zmtp.FlagCommand == 0 {
			return true
		}
	}
}
