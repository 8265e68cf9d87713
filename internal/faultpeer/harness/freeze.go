package harness

import (
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/socket"
)

// Freeze stops p with SIGSTOP, so that a test sees a peer that is alive
// but silent, and returns thaw, which resumes it with SIGCONT. If the test
// ends before thaw is called, the peer is thawed then.
func Freeze(t testing.TB, p *interop.Peer) (thaw func()) {
	t.Helper()
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	thaw = func() { once.Do(func() { _ = p.Signal(syscall.SIGCONT) }) }
	t.Cleanup(thaw)
	return thaw
}

// WaitHeartbeatDrop waits for the EventDisconnected on mon that a frozen
// peer's silence causes, and checks that its reason is the heartbeat
// timeout and that it came within 10 s of the call (the fault tests'
// bound: heartbeat timeouts are well under a second, 10 s leaves room for
// a loaded 2-core machine). who names the peer in failures.
func WaitHeartbeatDrop(t testing.TB, mon <-chan socket.Event, who string) {
	t.Helper()
	start := time.Now()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-mon:
			if e.Type != socket.EventDisconnected {
				continue
			}
			if !errors.Is(e.Err, socket.ErrHeartbeatTimeout) {
				t.Fatalf("frozen %s dropped for %v, want the heartbeat timeout", who, e.Err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("frozen %s dropped only after %v", who, d)
			}
			return
		case <-timeout:
			t.Fatalf("frozen %s never dropped", who)
		}
	}
}
