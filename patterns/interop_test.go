package patterns

// Interop with real libzmq 4.3 (built with draft sockets by
// scripts/install-libzmq.sh): each test runs internal/interop's zpeer, a
// small C program on libzmq's API, against a zmesh socket.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/socket"
)

var interopSizes = []int{0, 1, 255, 256, 65536, 1 << 20}

// streamEndpoints are the bindable tcp and ipc endpoints of a test.
func streamEndpoints(t *testing.T) map[string]string {
	return map[string]string{
		"tcp": "tcp://127.0.0.1:*",
		"ipc": "ipc://" + filepath.Join(t.TempDir(), "z.sock"),
	}
}

// serveEcho runs echoServer on srv until the test ends.
func serveEcho(t *testing.T, srv *Server) <-chan *socket.Peer {
	peers := make(chan *socket.Peer, 64)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); echoServer(ctx, srv, peers) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return peers
}

func TestInteropLibzmqClientToServer(t *testing.T) {
	env := interop.Require(t)
	for name, ep := range streamEndpoints(t) {
		t.Run(name, func(t *testing.T) {
			srv, err := NewServer(newCtx(t), Options{})
			must(t, err)
			must(t, srv.Bind(ep))
			bound, err := srv.LastEndpoint()
			must(t, err)
			serveEcho(t, srv)
			for _, size := range interopSizes {
				p := env.Start(t, "--type", "client", "--connect", bound, "--mode", "reqrep",
					"--count", "20", "--size", fmt.Sprint(size))
				if err := p.Wait(30 * time.Second); err != nil {
					t.Fatalf("libzmq client, %d-byte bodies: %v", size, err)
				}
			}
		})
	}
}

func TestInteropClientToLibzmqServer(t *testing.T) {
	env := interop.Require(t)
	for name, ep := range streamEndpoints(t) {
		t.Run(name, func(t *testing.T) {
			p := env.Start(t, "--type", "server", "--bind", ep, "--mode", "echo", "--count", "0", "--timeout", "60000")
			line, err := p.WaitLine("bound ", 10*time.Second)
			must(t, err)
			bound := strings.TrimPrefix(line, "bound ")
			cli := dialClient(t, Options{}, bound)
			for _, p := range echoPeers(t, cli, interopSizes) {
				if p == nil || p.SocketType != "SERVER" {
					t.Fatalf("peer metadata: %+v", p)
				}
			}
		})
	}
}

func TestInteropTwoLibzmqClientsOnOneServer(t *testing.T) {
	env := interop.Require(t)
	srv, bound := boundServer(t, Options{})
	serveEcho(t, srv)
	var peers []*interop.Peer
	for i := 0; i < 2; i++ {
		peers = append(peers, env.Start(t, "--type", "client", "--connect", bound, "--mode", "reqrep", "--count", "2000", "--size", "64"))
	}
	for i, p := range peers {
		if err := p.Wait(30 * time.Second); err != nil {
			t.Fatalf("libzmq client %d: %v", i, err)
		}
	}
}

func TestInteropHeartbeatsKeepLinkUp(t *testing.T) {
	env := interop.Require(t)
	// The timeouts leave each side's next frame a whole second: a
	// shorter one can be missed on a loaded machine under -race (a
	// scheduling delay, not a dead peer; see the engine's
	// TestHeartbeatsKeepHealthyLinkUp).
	hb := socket.Heartbeat{Interval: 100 * time.Millisecond, Timeout: time.Second, TTL: time.Second}
	srv, bound := boundServer(t, Options{Heartbeat: hb})
	mon := srv.Monitor()
	p := env.Start(t, "--type", "client", "--connect", bound, "--mode", "idle", "--timeout", "10000",
		"--heartbeat-ivl", "100", "--heartbeat-timeout", "1000", "--heartbeat-ttl", "1000")
	waitFor(t, mon, socket.EventHandshakeSucceeded)
	// Over twice the timeouts of silence apart from heartbeats in both
	// directions (were they not to keep the link up, it would drop after
	// one).
	deadline := time.After(2500 * time.Millisecond)
	for {
		select {
		case e := <-mon:
			if e.Type == socket.EventDisconnected {
				t.Fatalf("healthy libzmq link dropped: %v", e)
			}
			continue
		case <-deadline:
		}
		break
	}
	_ = p.Signal(syscall.SIGKILL)
}

func TestInteropFrozenLibzmqPeerIsDropped(t *testing.T) {
	env := interop.Require(t)
	hb := socket.Heartbeat{Interval: 50 * time.Millisecond, Timeout: 200 * time.Millisecond}
	srv, bound := boundServer(t, Options{Heartbeat: hb})
	mon := srv.Monitor()
	p := env.Start(t, "--type", "client", "--connect", bound, "--mode", "idle", "--timeout", "20000")
	waitFor(t, mon, socket.EventHandshakeSucceeded)
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer p.Signal(syscall.SIGCONT)
	start := time.Now()
	e := waitFor(t, mon, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrHeartbeatTimeout) {
		t.Fatalf("frozen peer dropped for %v, want heartbeat timeout", e.Err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("frozen peer noticed only after %v", d)
	}
}

// waitFor returns the next event of type typ.
func waitFor(t *testing.T, mon <-chan socket.Event, typ socket.EventType) socket.Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-mon:
			if e.Type == typ {
				return e
			}
		case <-timeout:
			t.Fatalf("no %v event", typ)
		}
	}
}

func TestInteropRadioToLibzmqDish(t *testing.T) {
	env := interop.Require(t)
	long := strings.Repeat("g", 255)
	for _, tc := range []struct{ name, bind, group string }{
		{"tcp", "tcp://127.0.0.1:*", "weather"},
		{"tcp 255-byte group", "tcp://127.0.0.1:*", long},
		{"udp", "udp://127.0.0.1:*", "weather"},
		{"udp multicast", "udp://lo;239.10.20.31:*", "weather"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bind := tc.bind
			if strings.HasPrefix(bind, "udp://") {
				// libzmq does not resolve a wildcard port for udp binds.
				bind = strings.Replace(bind, "*", fmt.Sprint(freeUDPPort(t)), 1)
			}
			p := env.Start(t, "--type", "dish", "--bind", bind, "--join", tc.group, "--mode", "recv",
				"--count", "50", "--size", "100", "--timeout", "20000")
			line, err := p.WaitLine("bound ", 10*time.Second)
			must(t, err)
			if _, err := p.WaitLine("ready", 10*time.Second); err != nil {
				t.Fatal(err)
			}
			bound := strings.TrimPrefix(line, "bound ")
			if strings.HasPrefix(bind, "udp://") {
				bound = bind
			}
			r, err := NewRadio(newCtx(t), Options{}, RadioOptions{})
			must(t, err)
			must(t, r.Connect(bound))
			// The dish only counts pattern messages in its group: keep
			// publishing (other groups too) until it has 50.
			ctx := testCtx(t)
			if err := untilExit(p, func(seq int) {
				r.Transmit(ctx, []byte("other group"), "x"+tc.group[:min(len(tc.group), 100)])
				r.Transmit(ctx, interop.Pattern(seq, 100), tc.group)
			}); err != nil {
				t.Fatalf("libzmq dish: %v", err)
			}
		})
	}
}

func freeUDPPort(t *testing.T) int {
	d, err := NewDish(newCtx(t), Options{})
	must(t, err)
	must(t, d.Bind("udp://127.0.0.1:*"))
	ep, err := d.LastEndpoint()
	must(t, err)
	d.Close()
	var port int
	fmt.Sscanf(ep[strings.LastIndexByte(ep, ':')+1:], "%d", &port)
	return port
}

func TestInteropLibzmqRadioToDish(t *testing.T) {
	env := interop.Require(t)
	for _, tc := range []struct{ name, bind, group string }{
		{"tcp", "tcp://127.0.0.1:*", "weather"},
		{"tcp 255-byte group", "tcp://127.0.0.1:*", strings.Repeat("g", 255)},
		{"udp", "udp://127.0.0.1:*", "weather"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDish(newCtx(t), Options{})
			must(t, err)
			must(t, d.Bind(tc.bind))
			must(t, d.Join(tc.group))
			bound, err := d.LastEndpoint()
			must(t, err)
			// libzmq's radio sends a slow stream to --group, which we joined,
			// so that our JOIN (tcp: the slow joiner) arrives before it ends.
			p := env.Start(t, "--type", "radio", "--connect", bound, "--group", tc.group, "--mode", "send",
				"--count", "20000", "--interval", "1", "--size", "32", "--timeout", "30000")
			ctx := testCtx(t)
			for i := 0; i < 20; i++ {
				m, err := d.Recv(ctx)
				if err != nil {
					t.Fatalf("message %d from libzmq radio: %v", i, err)
				}
				if m.Group != tc.group {
					t.Fatalf("group %q", m.Group)
				}
				if err := interop.CheckPattern(m.Body); err != nil {
					t.Fatal(err)
				}
			}
			// Leave stops delivery (over tcp the radio filters, over udp we do).
			if err := d.Leave(tc.group); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			for {
				if _, err := d.TryRecv(); err != nil {
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
			if m, err := d.TryRecv(); err == nil {
				t.Fatalf("message delivered after leave: %q", m.Group)
			}
			_ = p.Signal(syscall.SIGKILL)
		})
	}
}

func TestInteropScatterToTwoLibzmqGathers(t *testing.T) {
	env := interop.Require(t)
	s, err := NewScatter(newCtx(t), Options{})
	must(t, err)
	var peers []*interop.Peer
	for i := 0; i < 2; i++ {
		p := env.Start(t, "--type", "gather", "--bind", "tcp://127.0.0.1:*", "--mode", "recv",
			"--count", "500", "--size", "64", "--timeout", "20000")
		line, err := p.WaitLine("bound ", 10*time.Second)
		must(t, err)
		must(t, s.Connect(strings.TrimPrefix(line, "bound ")))
		peers = append(peers, p)
	}
	ctx := testCtx(t)
	for seq := 0; seq < 1000; seq++ {
		if err := s.Send(ctx, interop.Pattern(seq, 64)); err != nil {
			t.Fatal(err)
		}
	}
	// Round robin: each gather gets exactly its 500 and exits 0.
	for i, p := range peers {
		if err := p.Wait(20 * time.Second); err != nil {
			t.Fatalf("libzmq gather %d: %v", i, err)
		}
	}
}

func TestInteropLibzmqScatterToGather(t *testing.T) {
	env := interop.Require(t)
	g, err := NewGather(newCtx(t), Options{})
	must(t, err)
	bound := bindLoopback(t, g)
	p := env.Start(t, "--type", "scatter", "--connect", bound, "--mode", "send", "--count", "1000", "--size", "64")
	ctx := testCtx(t)
	for i := 0; i < 1000; i++ {
		m, err := g.Recv(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if err := interop.CheckPattern(m.Body); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}
