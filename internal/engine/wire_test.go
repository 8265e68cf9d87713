package engine_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// rawPeer is a hand-driven ZMTP peer for testing what the engine does with
// what arrives on the wire.
type rawPeer struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, ep string) *rawPeer {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawPeer{t: t, nc: nc}
}

func greeting(minor byte, mech string) []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xFF, 0x7F, 3, minor
	copy(g[12:], mech)
	return g
}

func (r *rawPeer) write(b ...[]byte) {
	r.t.Helper()
	if _, err := r.nc.Write(bytes.Join(b, nil)); err != nil {
		r.t.Fatal(err)
	}
}

func frame(flags byte, body []byte) []byte {
	if len(body) > 255 {
		h := []byte{flags | 2, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint64(h[1:], uint64(len(body)))
		return append(h, body...)
	}
	return append([]byte{flags, byte(len(body))}, body...)
}

func ready(socketType string) []byte {
	md := mechanism.Metadata{{Name: "Socket-Type", Value: socketType}}
	return frame(4, md.Append(mechanism.AppendCommand(nil, "READY")))
}

// readFrame reads one frame from the peer.
func (r *rawPeer) readFrame() (byte, []byte) {
	r.t.Helper()
	var h [9]byte
	if _, err := io.ReadFull(r.nc, h[:2]); err != nil {
		r.t.Fatal(err)
	}
	n := uint64(h[1])
	if h[0]&2 != 0 {
		if _, err := io.ReadFull(r.nc, h[2:9]); err != nil {
			r.t.Fatal(err)
		}
		n = binary.BigEndian.Uint64(h[1:])
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.nc, b); err != nil {
		r.t.Fatal(err)
	}
	return h[0], b
}

// handshake does the NULL handshake as a peer of type st.
func (r *rawPeer) handshake(minor byte, st string) {
	r.t.Helper()
	r.write(greeting(minor, "NULL"), ready(st))
	g := make([]byte, 64)
	if _, err := io.ReadFull(r.nc, g); err != nil {
		r.t.Fatal(err)
	}
	if g[0] != 0xFF || g[10] != 3 || g[11] != 1 || string(bytes.TrimRight(g[12:32], "\x00")) != "NULL" {
		r.t.Fatalf("bad greeting from zmesh: % x", g)
	}
	flags, body := r.readFrame()
	if flags != 4 || !mechanism.IsCommand(body, "READY") {
		r.t.Fatalf("expected READY, got flags %x body %q", flags, body)
	}
}

func newServer(t *testing.T, opts socket.Options) (*patterns.Server, string, <-chan socket.Event) {
	t.Helper()
	zctx := socket.NewCtx(nil)
	srv, err := patterns.NewServer(zctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zctx.Close() })
	mon := srv.Monitor()
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep, _ := srv.LastEndpoint()
	return srv, ep, mon
}

// waitEvent returns the first event of type typ, failing after a while.
func waitEvent(t *testing.T, mon <-chan socket.Event, typ socket.EventType) socket.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
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

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestReadyMetadataBytes(t *testing.T) {
	// spec §1.4, wire-verified: NULL READY from a CLIENT.
	want := []byte{0x04, 0x1C, 0x05, 'R', 'E', 'A', 'D', 'Y', 0x0B, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 6, 'C', 'L', 'I', 'E', 'N', 'T'}
	if got := ready("CLIENT"); !bytes.Equal(got, want) {
		t.Fatalf("READY encoding\n got % x\nwant % x", got, want)
	}
	_, ep, _ := newServer(t, socket.Options{})
	r := dialRaw(t, ep)
	r.write(greeting(1, "NULL"))
	g := make([]byte, 64)
	io.ReadFull(r.nc, g)
	_, body := r.readFrame()
	if want := ready("SERVER")[2:]; !bytes.Equal(body, want) {
		t.Fatalf("server READY\n got % x\nwant % x", body, want)
	}
}

func TestBadInputClosesConnectionWithReason(t *testing.T) {
	cases := []struct {
		name   string
		opts   socket.Options
		send   func(r *rawPeer)
		event  socket.EventType
		reason string
	}{
		{"garbage greeting", socket.Options{}, func(r *rawPeer) { r.write([]byte("GET / HTTP/1.1\r\n\r\n")) },
			socket.EventHandshakeFailed, "bad signature"},
		{"ZMTP 2.0 peer", socket.Options{}, func(r *rawPeer) { g := greeting(0, "NULL"); g[10] = 2; r.write(g) },
			socket.EventHandshakeFailed, "not supported"},
		{"mechanism mismatch", socket.Options{}, func(r *rawPeer) { r.write(greeting(1, "CURVE")) },
			socket.EventHandshakeFailed, "does not match"},
		{"incompatible socket type", socket.Options{}, func(r *rawPeer) { r.write(greeting(1, "NULL"), ready("GATHER")) },
			socket.EventHandshakeFailed, "incompatible socket type"},
		{"unknown socket type", socket.Options{}, func(r *rawPeer) { r.write(greeting(1, "NULL"), ready("BOGUS\x01")) },
			socket.EventHandshakeFailed, "incompatible socket type"},
		{"command before READY", socket.Options{}, func(r *rawPeer) {
			r.write(greeting(1, "NULL"), frame(4, []byte("\x04PING\x00\x00")))
		}, socket.EventHandshakeFailed, "expected READY"},
		{"message before READY", socket.Options{}, func(r *rawPeer) { r.write(greeting(1, "NULL"), frame(0, []byte("hi"))) },
			socket.EventHandshakeFailed, "message frame during the handshake"},
		{"malformed READY", socket.Options{}, func(r *rawPeer) {
			r.write(greeting(1, "NULL"), frame(4, []byte("\x05READY\x0bSocket-Type\x00\x00\x10\x00CLIENT")))
		}, socket.EventHandshakeFailed, "announces"},
		{"frame announcing 2^62 bytes over the limit", socket.Options{MaxMsgSize: 1 << 20}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.write([]byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0})
		}, socket.EventDisconnected, "maximum message size"},
		{"frame announcing 2^62 bytes, no limit, then closing", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.write([]byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0}, []byte("a few bytes"))
			r.nc.Close()
		}, socket.EventDisconnected, "unexpected EOF"},
		{"truncated frame", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.write([]byte{0x00, 10, 'a', 'b'})
			r.nc.Close()
		}, socket.EventDisconnected, "unexpected EOF"},
		{"reserved flag bits", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.write([]byte{0x80, 1, 'a'})
		}, socket.EventDisconnected, "reserved frame flag"},
		{"PING without TTL", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.write(frame(4, []byte("\x04PING")))
		}, socket.EventDisconnected, "PING without its TTL"},
		{"ERROR after READY", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.write(frame(4, mechanism.AppendError(nil, "bye")))
		}, socket.EventDisconnected, "peer sent ERROR: bye"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, ep, mon := newServer(t, tc.opts)
			tc.send(dialRaw(t, ep))
			e := waitEvent(t, mon, tc.event)
			if e.Err == nil || !strings.Contains(e.Err.Error(), tc.reason) {
				t.Fatalf("event %v: reason %v, want it to mention %q", e.Type, e.Err, tc.reason)
			}
			// Other connections keep working.
			cli, err := patterns.NewClient(nil, socket.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			cli.Connect(ep)
			cli.Send(ctx(t), []byte("still here"))
			m, err := srv.Recv(ctx(t))
			if err != nil || string(m.Body) != "still here" {
				t.Fatalf("a good client after bad input: %q %v", m.Body, err)
			}
		})
	}
}

func TestZMTP30PeerAndLongFramesAndMultipartDiscard(t *testing.T) {
	srv, ep, _ := newServer(t, socket.Options{})
	r := dialRaw(t, ep)
	r.handshake(0, "client") // ZMTP 3.0, socket type in lower case
	r.write(
		[]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 3, 'o', 'n', 'e'},                             // long frame for a small body
		frame(1, []byte("part1")), frame(1, []byte("part2")), frame(0, []byte("part3")), // multipart: dropped whole
		frame(4, []byte("\x07UNKNOWN")), // unknown command: ignored
		frame(0, []byte("two")),
	)
	for _, want := range []string{"one", "two"} {
		m, err := srv.Recv(ctx(t))
		if err != nil || string(m.Body) != want {
			t.Fatalf("got %q %v, want %q", m.Body, err, want)
		}
	}
	if m, err := srv.TryRecv(); err == nil {
		t.Fatalf("a multipart part leaked through: %q", m.Body)
	}
}

func TestPingIsAnsweredWithPongEchoingContext(t *testing.T) {
	_, ep, _ := newServer(t, socket.Options{})
	r := dialRaw(t, ep)
	r.handshake(1, "CLIENT")
	r.write(frame(4, []byte("\x04PING\x00\x00LOL")))
	flags, body := r.readFrame()
	if flags != 4 || !bytes.Equal(body, []byte("\x04PONGLOL")) {
		t.Fatalf("got flags %x body %q, want PONG LOL", flags, body)
	}
	// Context longer than 16 bytes is cut to 16.
	r.write(frame(4, []byte("\x04PING\x00\x0a0123456789abcdefXYZ")))
	_, body = r.readFrame()
	if string(body) != "\x04PONG0123456789abcdef" {
		t.Fatalf("got %q", body)
	}
}

func TestHeartbeatDropsSilentPeer(t *testing.T) {
	hb := socket.Heartbeat{Interval: 50 * time.Millisecond, Timeout: 150 * time.Millisecond}
	_, ep, mon := newServer(t, socket.Options{Heartbeat: hb})
	r := dialRaw(t, ep)
	r.handshake(1, "CLIENT")
	// Read the PINGs but never answer.
	go io.Copy(io.Discard, r.nc)
	e := waitEvent(t, mon, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrHeartbeatTimeout) {
		t.Fatalf("disconnect reason %v, want heartbeat timeout", e.Err)
	}
}

func TestHeartbeatPingCarriesTTL(t *testing.T) {
	hb := socket.Heartbeat{Interval: 20 * time.Millisecond, TTL: 2 * time.Second}
	_, ep, _ := newServer(t, socket.Options{Heartbeat: hb})
	r := dialRaw(t, ep)
	r.handshake(1, "CLIENT")
	flags, body := r.readFrame()
	if flags != 4 || !bytes.Equal(body, []byte("\x04PING\x00\x14")) {
		t.Fatalf("got flags %x body % x, want PING with TTL 20 (2.0 s)", flags, body)
	}
}

func TestPeerTTLDropsUsWhenSilent(t *testing.T) {
	_, ep, mon := newServer(t, socket.Options{})
	r := dialRaw(t, ep)
	r.handshake(1, "CLIENT")
	// TTL 0.1 s, then silence: the server must drop the connection.
	r.write(frame(4, []byte("\x04PING\x00\x01")))
	e := waitEvent(t, mon, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrHeartbeatTimeout) {
		t.Fatalf("disconnect reason %v, want heartbeat timeout", e.Err)
	}
}

func TestHeartbeatsKeepHealthyLinkUp(t *testing.T) {
	hb := socket.Heartbeat{Interval: 30 * time.Millisecond, Timeout: 90 * time.Millisecond, TTL: 200 * time.Millisecond}
	srv, ep, smon := newServer(t, socket.Options{Heartbeat: hb})
	cli, err := patterns.NewClient(nil, socket.Options{Heartbeat: hb})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cmon := cli.Monitor()
	cli.Connect(ep)
	cli.Send(ctx(t), []byte("a"))
	if _, err := srv.Recv(ctx(t)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // over ten intervals of silence
	for _, mon := range []<-chan socket.Event{smon, cmon} {
	drain:
		for {
			select {
			case e := <-mon:
				if e.Type == socket.EventDisconnected {
					t.Fatalf("healthy link dropped: %v", e)
				}
			default:
				break drain
			}
		}
	}
}

func TestReconnectAfterServerRestart(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, _ := patterns.NewServer(zctx, socket.Options{})
	srv.Bind("tcp://127.0.0.1:*")
	ep, _ := srv.LastEndpoint()
	cli, _ := patterns.NewClient(zctx, socket.Options{ReconnectInterval: 20 * time.Millisecond})
	mon := cli.Monitor()
	cli.Connect(ep)
	cli.Send(ctx(t), []byte("before"))
	if m, err := srv.Recv(ctx(t)); err != nil || string(m.Body) != "before" {
		t.Fatal(m, err)
	}
	srv.Close()
	// A message sent before the client notices the loss would go into the
	// dying connection and be lost, as with libzmq; wait for the notice.
	waitEvent(t, mon, socket.EventDisconnected)
	srv2, _ := patterns.NewServer(zctx, socket.Options{})
	var err error
	for i := 0; i < 100; i++ { // the port may take a moment to free
		if err = srv2.Bind(ep); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Messages sent while the link is down are queued and delivered.
	cli.Send(ctx(t), []byte("after"))
	m, err := srv2.Recv(ctx(t))
	if err != nil || string(m.Body) != "after" {
		t.Fatalf("after restart: %q %v", m.Body, err)
	}
}

func TestIncompatiblePeerStopsReconnecting(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	// A CLIENT connecting to a CLIENT: protocol error, no reconnect.
	a, _ := patterns.NewClient(zctx, socket.Options{})
	a.Bind("tcp://127.0.0.1:*")
	ep, _ := a.LastEndpoint()
	b, _ := patterns.NewClient(zctx, socket.Options{ReconnectInterval: 10 * time.Millisecond})
	mon := b.Monitor()
	b.Connect(ep)
	e := waitEvent(t, mon, socket.EventHandshakeFailed)
	if !errors.Is(e.Err, socket.ErrHandshake) || !strings.Contains(e.Err.Error(), "incompatible socket type") {
		t.Fatalf("got %v", e.Err)
	}
	waitEvent(t, mon, socket.EventConnectStopped)
}

func TestSendHWMBlocksAndTimesOut(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, _ := patterns.NewServer(zctx, socket.Options{RecvHWM: 5})
	srv.Bind("inproc://hwm")
	cli, _ := patterns.NewClient(zctx, socket.Options{SendHWM: 5, SendTimeout: 30 * time.Millisecond})
	cli.Connect("inproc://hwm")
	sent := 0
	for ; sent < 100; sent++ {
		if err := cli.TrySend([]byte("x")); err != nil {
			if !errors.Is(err, socket.ErrWouldBlock) {
				t.Fatal(err)
			}
			break
		}
	}
	if sent != 10 { // inproc: sender's SNDHWM + receiver's RCVHWM, exactly
		t.Fatalf("inproc queued %d messages before blocking, want 10", sent)
	}
	if err := cli.Send(context.Background(), []byte("x")); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("blocking send at HWM with a timeout: %v", err)
	}
	// Draining wakes a blocked sender.
	done := make(chan error, 1)
	engine.SocketOf(zctx, "CLIENT").SetSendTimeout(0)
	go func() { done <- cli.Send(ctx(t), []byte("late")) }()
	time.Sleep(20 * time.Millisecond)
	for i := 0; i < 10; i++ {
		if _, err := srv.Recv(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m, err := srv.Recv(ctx(t)); err != nil || string(m.Body) != "late" {
		t.Fatal(m, err)
	}
}

func TestTCPBackpressureBoundsQueues(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, _ := patterns.NewServer(zctx, socket.Options{RecvHWM: 4})
	srv.Bind("tcp://127.0.0.1:*")
	ep, _ := srv.LastEndpoint()
	cli, _ := patterns.NewClient(zctx, socket.Options{SendHWM: 4})
	cli.Connect(ep)
	body := make([]byte, 256<<10)
	sent := 0
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := cli.TrySend(body); err == nil {
			sent++
			continue
		}
		time.Sleep(5 * time.Millisecond)
		if cli.TrySend(body) != nil {
			break
		}
		sent++
	}
	// 4 + 4 queued plus what the kernel's socket buffers hold: bounded.
	if sent < 8 || sent > 200 {
		t.Fatalf("sent %d 256 KiB messages into a stalled server", sent)
	}
	for i := 0; i < sent; i++ {
		if _, err := srv.Recv(ctx(t)); err != nil {
			t.Fatalf("message %d of %d: %v", i, sent, err)
		}
	}
}

func TestInprocConnectBeforeBind(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	cli, _ := patterns.NewClient(zctx, socket.Options{})
	if err := cli.Connect("inproc://later"); err != nil {
		t.Fatal(err)
	}
	if err := cli.Send(ctx(t), []byte("early")); err != nil {
		t.Fatal(err)
	}
	srv, _ := patterns.NewServer(zctx, socket.Options{})
	if err := srv.Bind("inproc://later"); err != nil {
		t.Fatal(err)
	}
	m, err := srv.Recv(ctx(t))
	if err != nil || string(m.Body) != "early" {
		t.Fatal(m, err)
	}
	// No copy of the body over inproc.
	body := []byte("shared")
	srv.Route(ctx(t), body, m.RoutingID)
	got, _ := cli.Recv(ctx(t))
	if &got.Body[0] != &body[0] {
		t.Fatal("inproc copied the body")
	}
	other, _ := patterns.NewServer(zctx, socket.Options{})
	if err := other.Bind("inproc://later"); !errors.Is(err, socket.ErrAddrInUse) {
		t.Fatalf("duplicate inproc bind: %v", err)
	}
	// Peer gone: its routing id becomes unknown.
	cli.Close()
	time.Sleep(10 * time.Millisecond)
	if err := srv.Route(ctx(t), []byte("x"), m.RoutingID); !errors.Is(err, socket.ErrHostUnreachable) {
		t.Fatalf("route to a closed inproc peer: %v", err)
	}
}

func TestBadEndpointsAreInvalidInput(t *testing.T) {
	cli, _ := patterns.NewClient(nil, socket.Options{})
	defer cli.Close()
	for _, ep := range []string{"", "tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:99999", "foo://x", "tcp://127.0.0.1:*", "inproc://", "tcp://::1:5"} {
		if err := cli.Connect(ep); !errors.Is(err, socket.ErrInvalidInput) {
			t.Errorf("Connect(%q): %v, want ErrInvalidInput", ep, err)
		}
	}
	if _, err := cli.LastEndpoint(); !errors.Is(err, socket.ErrNotFound) {
		t.Errorf("LastEndpoint with none: %v", err)
	}
	if err := cli.Disconnect("tcp://127.0.0.1:1"); !errors.Is(err, socket.ErrNotFound) {
		t.Errorf("Disconnect of unknown endpoint: %v", err)
	}
}

func TestBindAddrInUse(t *testing.T) {
	srv, ep, _ := newServer(t, socket.Options{})
	_ = srv
	other, _ := patterns.NewServer(nil, socket.Options{})
	defer other.Close()
	if err := other.Bind(ep); !errors.Is(err, socket.ErrAddrInUse) {
		t.Fatalf("second bind of %s: %v", ep, err)
	}
}

func TestLingerDeliversQueuedMessages(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, _ := patterns.NewServer(zctx, socket.Options{})
	srv.Bind("tcp://127.0.0.1:*")
	ep, _ := srv.LastEndpoint()
	cli, _ := patterns.NewClient(zctx, socket.Options{Linger: 5 * time.Second})
	cli.Connect(ep)
	const n = 2000
	for i := 0; i < n; i++ {
		if err := cli.Send(ctx(t), make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	cli.Close()
	for i := 0; i < n; i++ {
		if _, err := srv.Recv(ctx(t)); err != nil {
			t.Fatalf("message %d lost at close: %v", i, err)
		}
	}
}

func TestMisconfiguredMechanismStopsReconnecting(t *testing.T) {
	_, sec, err := mechanism.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	_, ep, _ := newServer(t, socket.Options{Mechanism: &mechanism.CurveServer{SecretKey: sec}})
	// A CURVE client without the server's key is a configuration error.
	cli, err := patterns.NewClient(nil, socket.Options{Mechanism: &mechanism.CurveClient{}, ReconnectInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	mon := cli.Monitor()
	cli.Connect(ep)
	e := waitEvent(t, mon, socket.EventHandshakeFailed)
	if !errors.Is(e.Err, mechanism.ErrInvalidKey) {
		t.Fatalf("handshake failed with %v, want ErrInvalidKey", e.Err)
	}
	waitEvent(t, mon, socket.EventConnectStopped)
	select {
	case e := <-mon:
		t.Fatalf("the socket kept trying: %v", e)
	case <-time.After(200 * time.Millisecond): // twenty reconnect intervals
	}
}

// A refused peer reads our ERROR, then an orderly close, even when it had
// sent bytes we never read (a reset would destroy the ERROR in flight).
func TestRefusedPeerReadsErrorNotReset(t *testing.T) {
	auth := &mechanism.Auth{}
	if err := auth.DenyAddr("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		_, ep, _ := newServer(t, socket.Options{Auth: auth})
		r := dialRaw(t, ep)
		r.write(greeting(1, "NULL"), ready("CLIENT"), frame(0, make([]byte, 200)), frame(0, make([]byte, 200)))
		g := make([]byte, 64)
		if _, err := io.ReadFull(r.nc, g); err != nil {
			t.Fatalf("greeting: %v", err)
		}
		flags, body := r.readFrame()
		if flags != 4 || !bytes.Equal(body, mechanism.AppendError(nil, "400")) {
			t.Fatalf("got flags %x body %q, want ERROR 400", flags, body)
		}
		if _, err := r.nc.Read(g); err != io.EOF {
			t.Fatalf("after ERROR: %v, want an orderly close (EOF)", err)
		}
	}
}
