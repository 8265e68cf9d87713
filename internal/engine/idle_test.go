package engine_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// liveHeap is the heap in use after two collections (the second empties
// the pools' victim caches).
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestIdleConnectionsHoldNoBuffers checks that tcp connections which
// have gone quiet give their read and write buffers back: 100 CLIENTs
// each make one round trip through a SERVER and then stay silent, and the
// live heap they leave must be far below one read buffer per connection.
// (Each holds about 9 KiB; holding its buffers it held over 180 KiB.)
func TestIdleConnectionsHoldNoBuffers(t *testing.T) {
	const n, bound = 100, 64 << 10 // bytes per connection (measured: 9 KiB, 4 KiB of it the receive slab; 22 KiB under -race)
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, err := patterns.NewServer(zctx, socket.Options{Linger: -1})
	must(t, err)
	defer srv.Close()
	ep := bind(t, srv, "tcp://127.0.0.1:0")
	before := liveHeap()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	peers := make([]*rawPeer, n)
	for i := range peers {
		r := dialRaw(t, ep)
		r.handshake(1, "CLIENT")
		r.send(r.w.WriteFrame(0, []byte("ping")))
		m, err := srv.Recv(ctx)
		must(t, err)
		must(t, srv.Route(ctx, m.Body, m.RoutingID))
		if _, body := r.readFrame(); string(body) != "ping" {
			t.Fatalf("echo %q, want ping", body)
		}
		peers[i] = r
	}
	// The readers give their buffers back once they find nothing more to
	// read, which may take them a moment.
	var per uint64
	for deadline := time.Now().Add(10 * time.Second); ; {
		h := liveHeap()
		per = (h - min(before, h)) / n
		if per < bound || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if per >= bound {
		t.Fatalf("%d idle connections hold %d bytes of heap each, want under %d", n, per, bound)
	}
	t.Logf("%d bytes of live heap per idle connection", per)
	runtime.KeepAlive(peers)
}
