package engine

import (
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// TestLingerWaitsForHeldBytes: the writer has taken the last messages and
// encoded them, and finds the queue empty before it has written them.
// Close's linger must go on waiting until the writer has handed them to
// the kernel: if that take marked the writer idle (as it once did, for the
// moment before the writer said it was still busy), Close could end the
// connection under the writer's last write and lose its messages
// (TestLingerDeliversQueuedMessages failed so under load). The steps are
// the writer's (writeLoop), without a connection, so nothing here is timed.
func TestLingerWaitsForHeldBytes(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	s, err := New(zctx, Type{Name: "CLIENT", Peer: "SERVER"}, socket.Options{Linger: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := newPipe(s, "tcp://127.0.0.1:1")
	s.attach(p)
	p.up(&conn{s: s, peer: &socket.Peer{}})
	const n = 3
	for i := 0; i < n; i++ {
		if ok, err := p.TrySend(socket.Msg{Body: make([]byte, 100)}); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	batch, _ := p.take(nil, false) // the writer takes the messages and encodes them
	if len(batch) != n {
		t.Fatalf("took %d messages, want %d", len(batch), n)
	}
	if !s.busy() {
		t.Fatal("not busy with a batch taken and not written")
	}
	// The queue is empty, the encoded bytes are not written yet.
	if more, _ := p.take(batch, true); len(more) != 0 {
		t.Fatalf("took %d more messages", len(more))
	}
	if !s.busy() {
		t.Fatal("not busy while the writer holds bytes it has not written: Close would cut them off")
	}
	lingered := make(chan struct{})
	go func() { defer close(lingered); s.linger() }()
	// The writer writes them, looks again and goes idle: linger ends.
	p.written(n * 100)
	p.take(batch, false)
	if s.busy() {
		t.Fatal("busy with everything written")
	}
	select {
	case <-lingered:
	case <-time.After(10 * time.Second):
		t.Fatal("linger went on after the writer went idle")
	}
}
