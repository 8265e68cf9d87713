package engine_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/engine"
	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// rawPeer is a hand-driven ZMTP peer for testing what the engine does with
// what arrives on the wire. Its zmtp.Writer encodes into out and lets
// illegal greetings and frames through; send puts them on the wire.
type rawPeer struct {
	t   *testing.T
	nc  net.Conn
	w   *zmtp.Writer
	out bytes.Buffer
	zr  *zmtp.Reader
}

func dialRaw(t *testing.T, ep string) *rawPeer {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	must(t, err)
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return newRawPeer(t, nc)
}

// newRawPeer wraps a connection in a rawPeer whose writer may write
// illegal frames.
func newRawPeer(t *testing.T, nc net.Conn) *rawPeer {
	r := &rawPeer{t: t, nc: nc, zr: zmtp.NewReader(nc)}
	r.w = zmtp.NewWriter(&r.out)
	r.w.AllowIllegal = true
	return r
}

// null is the greeting of a ZMTP 3.minor peer speaking NULL.
func null(minor byte) zmtp.Greeting {
	return zmtp.Greeting{Major: 3, Minor: minor, Mechanism: "NULL"}
}

// greeting is the bytes of a ZMTP 3.minor greeting for mech.
func greeting(minor byte, mech string) []byte {
	return zmtp.Greeting{Major: 3, Minor: minor, Mechanism: mech}.Append(nil)
}

// socketType is the metadata a READY of a socket of type st carries.
func socketType(st string) zmtp.Metadata { return zmtp.Metadata{{Name: "Socket-Type", Value: st}} }

// send writes, with one Write, what the calls of r.w given as its
// arguments encoded (Go evaluates them first, in order).
func (r *rawPeer) send(errs ...error) {
	r.t.Helper()
	if err := errors.Join(errs...); err != nil {
		r.t.Fatal(err)
	}
	r.write(r.out.Bytes())
	r.out.Reset()
}

// write writes raw bytes with one Write.
func (r *rawPeer) write(b ...[]byte) {
	r.t.Helper()
	if _, err := r.nc.Write(bytes.Join(b, nil)); err != nil {
		r.t.Fatal(err)
	}
}

// readFrame reads one frame from the peer.
func (r *rawPeer) readFrame() (byte, []byte) {
	r.t.Helper()
	f, err := r.zr.ReadFrame()
	if err != nil {
		r.t.Fatal(err)
	}
	return f.Flags, f.Body
}

// readGreeting reads the engine's greeting, which must be NULL's, ZMTP 3.1.
func (r *rawPeer) readGreeting() {
	r.t.Helper()
	if g, err := r.zr.ReadGreeting(); err != nil || g != zmtp.NewGreeting("NULL", false) {
		r.t.Fatalf("bad greeting from zmesh: %+v %v", g, err)
	}
}

// handshake does the NULL handshake as a peer of type st.
func (r *rawPeer) handshake(minor byte, st string) {
	r.t.Helper()
	r.send(r.w.WriteGreeting(null(minor)), r.w.WriteReady(socketType(st)))
	r.readGreeting()
	flags, body := r.readFrame()
	if flags != zmtp.FlagCommand || !zmtp.IsCommand(body, zmtp.CmdReady) {
		r.t.Fatalf("expected READY, got flags %x body %q", flags, body)
	}
}

// endpoints is what the setup helpers need of a socket.
type endpoints interface {
	Bind(string) error
	Connect(string) error
	LastEndpoint() (string, error)
}

// bind binds s to ep and returns the endpoint it got.
func bind(t *testing.T, s endpoints, ep string) string {
	t.Helper()
	must(t, s.Bind(ep))
	got, err := s.LastEndpoint()
	must(t, err)
	return got
}

// connect connects s to ep.
func connect(t *testing.T, s endpoints, ep string) {
	t.Helper()
	must(t, s.Connect(ep))
}

// mustNew makes a socket with newSocket (patterns.NewClient,
// patterns.NewServer) in zctx (nil: a context of its own, which closing
// the socket closes).
func mustNew[S any](t *testing.T, newSocket func(*socket.Ctx, socket.Options) (S, error), zctx *socket.Ctx, opts socket.Options) S {
	t.Helper()
	s, err := newSocket(zctx, opts)
	must(t, err)
	return s
}

// connected returns a SERVER in zctx bound to ep (a tcp wildcard or an
// inproc address), the endpoint it got, and a CLIENT connected to it.
func connected(t *testing.T, zctx *socket.Ctx, ep string, srvOpts, cliOpts socket.Options) (*patterns.Server, string, *patterns.Client) {
	t.Helper()
	srv := mustNew(t, patterns.NewServer, zctx, srvOpts)
	ep = bind(t, srv, ep)
	cli := mustNew(t, patterns.NewClient, zctx, cliOpts)
	connect(t, cli, ep)
	return srv, ep, cli
}

// sendOK sends body and fails the test if that fails.
func sendOK(t *testing.T, c *patterns.Client, body string) {
	t.Helper()
	if err := c.Send(ctx(t), []byte(body)); err != nil {
		t.Fatal(err)
	}
}

func newServer(t *testing.T, opts socket.Options) (*patterns.Server, string, <-chan socket.Event) {
	t.Helper()
	zctx := socket.NewCtx(nil)
	srv, err := patterns.NewServer(zctx, opts)
	must(t, err)
	t.Cleanup(func() { zctx.Close() })
	mon := srv.Monitor()
	return srv, bind(t, srv, "tcp://127.0.0.1:*"), mon
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

// TestReadyMetadataBytes: the NULL READY a SERVER sends carries exactly
// its Socket-Type (zmtp's tests hold the bytes against libzmq's layout).
func TestReadyMetadataBytes(t *testing.T) {
	_, ep, _ := newServer(t, socket.Options{})
	r := dialRaw(t, ep)
	r.send(r.w.WriteGreeting(null(1)))
	r.readGreeting()
	flags, body := r.readFrame()
	want := zmtp.AppendReady(nil, socketType("SERVER"))
	if flags != zmtp.FlagCommand || !bytes.Equal(body, want) {
		t.Fatalf("server READY: flags %x\n got % x\nwant % x", flags, body, want)
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
		{"garbage greeting", socket.Options{}, func(r *rawPeer) { r.send(r.w.WriteRaw([]byte("GET / HTTP/1.1\r\n\r\n"))) },
			socket.EventHandshakeFailed, "bad signature"},
		{"ZMTP 2.0 peer", socket.Options{}, func(r *rawPeer) { r.send(r.w.WriteGreeting(zmtp.Greeting{Major: 2, Mechanism: "NULL"})) },
			socket.EventHandshakeFailed, "not supported"},
		{"mechanism mismatch", socket.Options{}, func(r *rawPeer) { r.send(r.w.WriteGreeting(zmtp.NewGreeting("CURVE", false))) },
			socket.EventHandshakeFailed, "does not match"},
		{"incompatible socket type", socket.Options{}, func(r *rawPeer) {
			r.send(r.w.WriteGreeting(null(1)), r.w.WriteReady(socketType("GATHER")))
		}, socket.EventHandshakeFailed, "incompatible socket type"},
		{"unknown socket type", socket.Options{}, func(r *rawPeer) {
			r.send(r.w.WriteGreeting(null(1)), r.w.WriteReady(socketType("BOGUS\x01")))
		}, socket.EventHandshakeFailed, "incompatible socket type"},
		{"command before READY", socket.Options{}, func(r *rawPeer) {
			r.send(r.w.WriteGreeting(null(1)), r.w.WritePing(0, nil))
		}, socket.EventHandshakeFailed, "expected READY"},
		{"message before READY", socket.Options{}, func(r *rawPeer) {
			r.send(r.w.WriteGreeting(null(1)), r.w.WriteFrame(0, []byte("hi")))
		}, socket.EventHandshakeFailed, "message frame during the handshake"},
		{"malformed READY", socket.Options{}, func(r *rawPeer) {
			// The value's length says 4096; 6 bytes follow.
			r.send(r.w.WriteGreeting(null(1)), r.w.WriteCommand(zmtp.CmdReady, []byte("\x0bSocket-Type\x00\x00\x10\x00CLIENT")))
		}, socket.EventHandshakeFailed, "announces"},
		{"frame announcing 2^62 bytes over the limit", socket.Options{MaxMsgSize: 1 << 20}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteHeader(zmtp.FlagLong, 1<<62))
		}, socket.EventDisconnected, "maximum message size"},
		{"frame announcing 2^62 bytes, no limit, then closing", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteHeader(zmtp.FlagLong, 1<<62), r.w.WriteRaw([]byte("a few bytes")))
			r.nc.Close()
		}, socket.EventDisconnected, "unexpected EOF"},
		{"truncated frame", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteHeader(0, 10), r.w.WriteRaw([]byte("ab")))
			r.nc.Close()
		}, socket.EventDisconnected, "unexpected EOF"},
		{"reserved flag bits", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteFrame(0x80, []byte("a")))
		}, socket.EventDisconnected, "reserved frame flag"},
		{"PING without TTL", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteCommand(zmtp.CmdPing))
		}, socket.EventDisconnected, "PING without its TTL"},
		{"ERROR after READY", socket.Options{}, func(r *rawPeer) {
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteError("bye"))
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
			cli := mustNew(t, patterns.NewClient, nil, socket.Options{})
			defer cli.Close()
			connect(t, cli, ep)
			sendOK(t, cli, "still here")
			m, err := srv.Recv(ctx(t))
			if err != nil || string(m.Body) != "still here" {
				t.Fatalf("a good client after bad input: %q %v", m.Body, err)
			}
		})
	}
}

// TestMessagesBeforeABadFrameAreDelivered: the reader hands over what it
// decoded before a frame that ends the connection.
func TestMessagesBeforeABadFrameAreDelivered(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts socket.Options
		bad  func(w *zmtp.Writer) error
	}{
		{"reserved flag bits", socket.Options{}, func(w *zmtp.Writer) error { return w.WriteFrame(0x80, []byte("a")) }},
		{"over the size limit", socket.Options{MaxMsgSize: 100}, func(w *zmtp.Writer) error { return w.WriteFrame(0, make([]byte, 101)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, ep, mon := newServer(t, tc.opts)
			r := dialRaw(t, ep)
			r.handshake(1, "CLIENT")
			r.send(r.w.WriteFrame(0, []byte("one")), r.w.WriteFrame(0, []byte("two")), tc.bad(r.w))
			waitEvent(t, mon, socket.EventDisconnected)
			for _, want := range []string{"one", "two"} {
				m, err := srv.Recv(ctx(t))
				if err != nil || string(m.Body) != want {
					t.Fatalf("got %q %v, want %q", m.Body, err, want)
				}
			}
		})
	}
}

// TestGreetingFailuresAreHandshakeErrors: a peer that hangs up in the
// middle of its greeting fails the handshake (errors.Is ErrHandshake), not
// with a bare io.EOF, and a connecting socket keeps retrying such a peer.
func TestGreetingFailuresAreHandshakeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		send []byte
		eof  error
	}{
		{"nothing sent", nil, io.EOF},
		{"half a greeting", greeting(1, "NULL")[:20], io.ErrUnexpectedEOF},
		{"signature only", greeting(1, "NULL")[:10], io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ep, mon := newServer(t, socket.Options{})
			r := dialRaw(t, ep)
			r.write(tc.send)
			if err := r.nc.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			e := waitEvent(t, mon, socket.EventHandshakeFailed)
			var he *mechanism.HandshakeError
			if !errors.Is(e.Err, socket.ErrHandshake) || !errors.As(e.Err, &he) || !he.Retry || !errors.Is(e.Err, tc.eof) {
				t.Fatalf("reason %v, want a retryable handshake error wrapping %v", e.Err, tc.eof)
			}
		})
	}

	// The connecting side: a listener that accepts and closes at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			nc.Close()
		}
	}()
	cli := mustNew(t, patterns.NewClient, nil, socket.Options{ReconnectInterval: 10 * time.Millisecond})
	defer cli.Close()
	mon := cli.Monitor()
	connect(t, cli, "tcp://"+ln.Addr().String())
	e := waitEvent(t, mon, socket.EventHandshakeFailed)
	if !errors.Is(e.Err, socket.ErrHandshake) {
		t.Fatalf("connecting side: %v, want ErrHandshake", e.Err)
	}
	waitEvent(t, mon, socket.EventConnectRetried) // and it tries again
	ln.Close()
	<-accepted
}

func TestZMTP30PeerAndLongFramesAndMultipartDiscard(t *testing.T) {
	srv, ep, _ := newServer(t, socket.Options{})
	r := dialRaw(t, ep)
	r.handshake(0, "client") // ZMTP 3.0, socket type in lower case
	r.send(
		r.w.WriteHeader(zmtp.FlagLong, 3), r.w.WriteRaw([]byte("one")), // long frame for a small body
		r.w.WriteFrame(zmtp.FlagMore, []byte("part1")), r.w.WriteFrame(zmtp.FlagMore, []byte("part2")), r.w.WriteFrame(0, []byte("part3")), // multipart: dropped whole
		r.w.WriteCommand("UNKNOWN"), // unknown command: ignored
		r.w.WriteFrame(0, []byte("two")),
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
	r.send(r.w.WritePing(0, []byte("LOL")))
	flags, body := r.readFrame()
	if flags != zmtp.FlagCommand || !bytes.Equal(body, zmtp.AppendPong(nil, []byte("LOL"))) {
		t.Fatalf("got flags %x body %q, want PONG LOL", flags, body)
	}
	// Context longer than 16 bytes is cut to 16.
	r.send(r.w.WritePing(10, []byte("0123456789abcdefXYZ")))
	_, body = r.readFrame()
	if !bytes.Equal(body, zmtp.AppendPong(nil, []byte("0123456789abcdef"))) {
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
	if flags != zmtp.FlagCommand || !bytes.Equal(body, zmtp.AppendPing(nil, 20, nil)) {
		t.Fatalf("got flags %x body % x, want PING with TTL 20 (2.0 s)", flags, body)
	}
}

func TestPeerTTLDropsUsWhenSilent(t *testing.T) {
	_, ep, mon := newServer(t, socket.Options{})
	r := dialRaw(t, ep)
	r.handshake(1, "CLIENT")
	// TTL 0.1 s, then silence: the server must drop the connection.
	r.send(r.w.WritePing(1, nil))
	e := waitEvent(t, mon, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrHeartbeatTimeout) {
		t.Fatalf("disconnect reason %v, want heartbeat timeout", e.Err)
	}
}

// TestHeartbeatsKeepHealthyLinkUp: an idle link whose peers heartbeat
// stays up through a silence of over twice the heartbeat timeout and TTL
// (were the peer's PINGs and PONGs not to disarm the timeout, it would
// drop after one). The timeout leaves the peer's next frame a whole second
// to arrive: a 90 ms one was missed on a loaded machine under -race, a
// scheduling delay, not a dead peer.
func TestHeartbeatsKeepHealthyLinkUp(t *testing.T) {
	hb := socket.Heartbeat{Interval: 100 * time.Millisecond, Timeout: time.Second, TTL: time.Second}
	srv, ep, smon := newServer(t, socket.Options{Heartbeat: hb})
	cli := mustNew(t, patterns.NewClient, nil, socket.Options{Heartbeat: hb})
	defer cli.Close()
	cmon := cli.Monitor()
	connect(t, cli, ep)
	sendOK(t, cli, "a")
	if _, err := srv.Recv(ctx(t)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // 25 intervals, over twice the timeout and the TTL, of silence
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
	srv, ep, cli := connected(t, zctx, "tcp://127.0.0.1:*", socket.Options{}, socket.Options{ReconnectInterval: 20 * time.Millisecond})
	mon := cli.Monitor() // events since the connect wait for the first Monitor call
	sendOK(t, cli, "before")
	if m, err := srv.Recv(ctx(t)); err != nil || string(m.Body) != "before" {
		t.Fatal(m, err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	// A message sent before the client notices the loss would go into the
	// dying connection and be lost, as with libzmq; wait for the notice.
	waitEvent(t, mon, socket.EventDisconnected)
	srv2 := mustNew(t, patterns.NewServer, zctx, socket.Options{})
	var err error
	for i := 0; i < 100; i++ { // the port may take a moment to free
		if err = srv2.Bind(ep); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	must(t, err)
	// Messages sent while the link is down are queued and delivered.
	sendOK(t, cli, "after")
	m, err := srv2.Recv(ctx(t))
	if err != nil || string(m.Body) != "after" {
		t.Fatalf("after restart: %q %v", m.Body, err)
	}
}

func TestIncompatiblePeerStopsReconnecting(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	// A CLIENT connecting to a CLIENT: protocol error, no reconnect.
	a := mustNew(t, patterns.NewClient, zctx, socket.Options{})
	ep := bind(t, a, "tcp://127.0.0.1:*")
	b := mustNew(t, patterns.NewClient, zctx, socket.Options{ReconnectInterval: 10 * time.Millisecond})
	mon := b.Monitor()
	connect(t, b, ep)
	e := waitEvent(t, mon, socket.EventHandshakeFailed)
	if !errors.Is(e.Err, socket.ErrHandshake) || !strings.Contains(e.Err.Error(), "incompatible socket type") {
		t.Fatalf("got %v", e.Err)
	}
	waitEvent(t, mon, socket.EventConnectStopped)
}

func TestSendHWMBlocksAndTimesOut(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, _, cli := connected(t, zctx, "inproc://hwm", socket.Options{RecvHWM: 5}, socket.Options{SendHWM: 5, SendTimeout: 30 * time.Millisecond})
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
	// Draining wakes a blocked sender. The test waits until the engine
	// counts the sender among its blocked calls before it drains.
	done := make(chan error, 1)
	s := engine.SocketOf(zctx, "CLIENT")
	s.SetSendTimeout(0)
	go func() { done <- cli.Send(ctx(t), []byte("late")) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, n := s.Blocked(); n == 1 {
			break // the sender found the queue full and waits for room
		}
		if time.Now().After(deadline) {
			t.Fatal("the sender never blocked")
		}
	}
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
	srv, _, cli := connected(t, zctx, "tcp://127.0.0.1:*", socket.Options{RecvHWM: 4}, socket.Options{SendHWM: 4})
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
	cli := mustNew(t, patterns.NewClient, zctx, socket.Options{})
	connect(t, cli, "inproc://later")
	if err := cli.Send(ctx(t), []byte("early")); err != nil {
		t.Fatal(err)
	}
	srv := mustNew(t, patterns.NewServer, zctx, socket.Options{})
	srvEngine := engine.SocketOf(zctx, "SERVER") // before the second SERVER below
	bind(t, srv, "inproc://later")
	m, err := srv.Recv(ctx(t))
	if err != nil || string(m.Body) != "early" {
		t.Fatal(m, err)
	}
	// No copy of the body over inproc.
	body := []byte("shared")
	if err := srv.Route(ctx(t), body, m.RoutingID); err != nil {
		t.Fatal(err)
	}
	got, err := cli.Recv(ctx(t))
	must(t, err)
	if &got.Body[0] != &body[0] {
		t.Fatal("inproc copied the body")
	}
	other := mustNew(t, patterns.NewServer, zctx, socket.Options{})
	if err := other.Bind("inproc://later"); !errors.Is(err, socket.ErrAddrInUse) {
		t.Fatalf("duplicate inproc bind: %v", err)
	}
	// Peer gone: its routing id becomes unknown once the server has
	// dropped the pipe.
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); srvEngine.PipeByID(m.RoutingID) != nil; {
		if time.Now().After(deadline) {
			t.Fatal("the server kept the closed peer's pipe")
		}
		runtime.Gosched()
	}
	if err := srv.Route(ctx(t), []byte("x"), m.RoutingID); !errors.Is(err, socket.ErrHostUnreachable) {
		t.Fatalf("route to a closed inproc peer: %v", err)
	}
}

func TestBadEndpointsAreInvalidInput(t *testing.T) {
	cli := mustNew(t, patterns.NewClient, nil, socket.Options{})
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
	_, ep, _ := newServer(t, socket.Options{})
	other := mustNew(t, patterns.NewServer, nil, socket.Options{})
	defer other.Close()
	if err := other.Bind(ep); !errors.Is(err, socket.ErrAddrInUse) {
		t.Fatalf("second bind of %s: %v", ep, err)
	}
}

func TestLingerDeliversQueuedMessages(t *testing.T) {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, _, cli := connected(t, zctx, "tcp://127.0.0.1:*", socket.Options{}, socket.Options{Linger: 5 * time.Second})
	const n = 2000
	for i := 0; i < n; i++ {
		if err := cli.Send(ctx(t), make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := srv.Recv(ctx(t)); err != nil {
			t.Fatalf("message %d lost at close: %v", i, err)
		}
	}
}

func TestMisconfiguredMechanismStopsReconnecting(t *testing.T) {
	_, sec, err := mechanism.GenerateKeyPair()
	must(t, err)
	_, ep, _ := newServer(t, socket.Options{Mechanism: &mechanism.CurveServer{SecretKey: sec}})
	// A CURVE client without the server's key is a configuration error.
	cli := mustNew(t, patterns.NewClient, nil, socket.Options{Mechanism: &mechanism.CurveClient{}, ReconnectInterval: 10 * time.Millisecond})
	defer cli.Close()
	mon := cli.Monitor()
	connect(t, cli, ep)
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
		r.send(r.w.WriteGreeting(null(1)), r.w.WriteReady(socketType("CLIENT")), r.w.WriteFrame(0, make([]byte, 200)), r.w.WriteFrame(0, make([]byte, 200)))
		r.readGreeting()
		flags, body := r.readFrame()
		if flags != zmtp.FlagCommand || !bytes.Equal(body, zmtp.AppendError(nil, "400")) {
			t.Fatalf("got flags %x body %q, want ERROR 400", flags, body)
		}
		var b [1]byte
		if _, err := r.nc.Read(b[:]); err != io.EOF {
			t.Fatalf("after ERROR: %v, want an orderly close (EOF)", err)
		}
	}
}
