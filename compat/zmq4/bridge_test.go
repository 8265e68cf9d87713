package zmq4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

var inprocSeq atomic.Int64

// endpoints are the transports each pair is tried over.
func endpoints(t *testing.T) map[string]string {
	return map[string]string{
		"tcp":    "tcp://127.0.0.1:0",
		"ipc":    "ipc://" + filepath.Join(t.TempDir(), "s"),
		"inproc": fmt.Sprintf("inproc://bridge-test-%d", inprocSeq.Add(1)),
	}
}

// connect makes a listen on ep and b dial it, returning b's endpoint.
func connect(t *testing.T, a, b Socket, ep string) string {
	t.Helper()
	if err := a.Listen(ep); err != nil {
		t.Fatalf("listen %s: %v", ep, err)
	}
	if strings.HasPrefix(ep, "tcp://") {
		ep = "tcp://" + a.Addr().String()
	}
	if err := b.Dial(ep); err != nil {
		t.Fatalf("dial %s: %v", ep, err)
	}
	return ep
}

func closeAll(t *testing.T, ss ...Socket) {
	t.Cleanup(func() {
		for _, s := range ss {
			if err := s.Close(); err != nil {
				t.Errorf("close %s: %v", s.Type(), err)
			}
		}
	})
}

// recv receives with a bound, failing the test if nothing comes.
func recv(t *testing.T, s Socket) Msg {
	t.Helper()
	type res struct {
		m   Msg
		err error
	}
	ch := make(chan res, 1)
	go func() { m, err := s.Recv(); ch <- res{m, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("%s recv: %v", s.Type(), r.err)
		}
		return r.m
	case <-time.After(10 * time.Second):
		_ = s.Close() // ends the Recv
		<-ch
		t.Fatalf("%s recv: nothing in 10s", s.Type())
	}
	return Msg{}
}

func wantFrames(t *testing.T, m Msg, want ...string) {
	t.Helper()
	if len(m.Frames) != len(want) {
		t.Fatalf("got %v, want %q", m, want)
	}
	for i := range want {
		if string(m.Frames[i]) != want[i] {
			t.Fatalf("got %v, want %q", m, want)
		}
	}
}

func send(t *testing.T, s Socket, frames ...string) {
	t.Helper()
	if err := s.Send(NewMsgFromString(frames)); err != nil {
		t.Fatalf("%s send: %v", s.Type(), err)
	}
}

// overTransports runs body, in a subtest per transport, on a socket made
// by mkA that listens and one made by mkB that dials it.
func overTransports(t *testing.T, mkA, mkB func(context.Context) Socket, body func(t *testing.T, a, b Socket)) {
	for name, ep := range endpoints(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, b := mkA(ctx), mkB(ctx)
			closeAll(t, b, a)
			connect(t, a, b, ep)
			body(t, a, b)
		})
	}
}

// plainNew adapts a constructor without options to overTransports.
func plainNew(f func(context.Context, ...Option) Socket) func(context.Context) Socket {
	return func(ctx context.Context) Socket { return f(ctx) }
}

func TestBridgeReqRep(t *testing.T) {
	overTransports(t, plainNew(NewRep), plainNew(NewReq), func(t *testing.T, rep, req Socket) {
		for i := range 3 {
			send(t, req, "hello", fmt.Sprint(i))
			wantFrames(t, recv(t, rep), "hello", fmt.Sprint(i))
			send(t, rep, "world", fmt.Sprint(i))
			wantFrames(t, recv(t, req), "world", fmt.Sprint(i))
		}
		// strict turns, as libzmq: a second request before the reply fails
		send(t, req, "one")
		if err := req.Send(NewMsgString("two")); !errors.Is(err, socket.ErrState) {
			t.Fatalf("second request: %v, want ErrState", err)
		}
	})
}

func TestBridgeDealerRouter(t *testing.T) {
	overTransports(t, plainNew(NewRouter), func(ctx context.Context) Socket { return NewDealer(ctx, WithID(SocketIdentity("dealer-1"))) }, func(t *testing.T, router, dealer Socket) {
		send(t, dealer, "a", "", "b")
		wantFrames(t, recv(t, router), "dealer-1", "a", "", "b")
		send(t, router, "dealer-1", "reply")
		wantFrames(t, recv(t, dealer), "reply")
	})
}

func TestBridgePubSub(t *testing.T) {
	for name, ep := range endpoints(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			pub, sub := NewPub(ctx), NewSub(ctx)
			closeAll(t, sub, pub)
			// a subscription set before Dial applies once connected
			if err := sub.SetOption(OptionSubscribe, "news"); err != nil {
				t.Fatal(err)
			}
			connect(t, pub, sub, ep)
			if got := sub.(Topics).Topics(); len(got) != 1 || got[0] != "news" {
				t.Fatalf("Topics() = %q", got)
			}
			// publish until the subscription has reached the PUB
			m := waitPublished(t, pub, sub, "news", "weather")
			wantFrames(t, m, "news", "x")
			if err := sub.SetOption(OptionUnsubscribe, "news"); err != nil {
				t.Fatal(err)
			}
			if err := sub.SetOption(OptionSubscribe, []byte("sport")); err != nil {
				t.Fatal(err)
			}
			// "news" messages queued before the cancel may still come, "weather" never
			wantFrames(t, waitPublished(t, pub, sub, "sport", "weather", "news"), "sport", "x")
		})
	}
}

// waitPublished publishes a message on topic (and one on other, which must
// not arrive) every few milliseconds until sub receives one, and returns it
// (publishing stops before it returns). Messages on a stale topic, queued
// at sub before it unsubscribed, are skipped.
func waitPublished(t *testing.T, pub, sub Socket, topic, other string, stale ...string) Msg {
	t.Helper()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			_ = pub.Send(NewMsgFromString([]string{other, "x"}))
			_ = pub.Send(NewMsgFromString([]string{topic, "x"}))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for {
		m := recv(t, sub)
		got := string(m.Frames[0])
		if got == topic {
			return m
		}
		if !slices.Contains(stale, got) {
			t.Fatalf("got %v, subscribed to %q only", m, topic)
		}
	}
}

func TestBridgeXPubXSub(t *testing.T) {
	overTransports(t, plainNew(NewXPub), plainNew(NewXSub), func(t *testing.T, xpub, xsub Socket) {
		send(t, xsub, "\x01topic")
		wantFrames(t, recv(t, xpub), "\x01topic")
		send(t, xpub, "topic", "data")
		wantFrames(t, recv(t, xsub), "topic", "data")
	})
}

func TestBridgePushPull(t *testing.T) {
	overTransports(t, plainNew(NewPull), plainNew(NewPush), func(t *testing.T, pull, push Socket) {
		for i := range 100 {
			send(t, push, fmt.Sprint(i), "", "tail")
		}
		for i := range 100 {
			wantFrames(t, recv(t, pull), fmt.Sprint(i), "", "tail")
		}
		if _, err := push.Recv(); !errors.Is(err, socket.ErrInvalidInput) {
			t.Fatalf("PUSH Recv: %v, want ErrInvalidInput", err)
		}
	})
}

func TestBridgePair(t *testing.T) {
	overTransports(t, plainNew(NewPair), plainNew(NewPair), func(t *testing.T, a, b Socket) {
		send(t, b, "ping")
		wantFrames(t, recv(t, a), "ping")
		send(t, a, "pong", "2")
		wantFrames(t, recv(t, b), "pong", "2")
	})
}

func TestBridgeProxy(t *testing.T) {
	ctx := context.Background()
	front, back := NewRouter(ctx), NewDealer(ctx)
	req, rep := NewReq(ctx), NewRep(ctx)
	capture := NewPull(ctx)
	capOut := NewPush(ctx)
	closeAll(t, req, rep, front, back, capture, capOut)
	fep := connect(t, front, req, "tcp://127.0.0.1:0")
	_ = fep
	connect(t, back, rep, "tcp://127.0.0.1:0")
	connect(t, capture, capOut, "tcp://127.0.0.1:0")
	p := NewProxy(ctx, front, back, capOut)
	p.Pause()
	p.Resume()
	p.Stats()
	send(t, req, "through")
	wantFrames(t, recv(t, rep), "through")
	send(t, rep, "back")
	wantFrames(t, recv(t, req), "back")
	// the capture socket sees the control commands too (libzmq's rule),
	// then the request
	for _, want := range []string{"PAUSE", "RESUME", "STATISTICS", "through"} {
		if m := recv(t, capture); string(m.Frames[len(m.Frames)-1]) != want {
			t.Fatalf("capture got %v, want %s", m, want)
		}
	}
	p.Kill()
	if err := p.Run(); err != nil {
		t.Fatalf("Run after Kill: %v", err)
	}
	// a socket that has not listened or dialed cannot be proxied
	idle := NewPull(ctx)
	defer idle.Close()
	if err := NewProxy(ctx, idle, back, nil).Run(); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("proxy of an idle socket: %v", err)
	}
}

func TestBridgeCurve(t *testing.T) {
	pk, sk, err := mechanism.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	server := MechanismSecurity(&mechanism.CurveServer{SecretKey: sk}, nil)
	if server.Type() != CurveSecurity {
		t.Fatalf("Type() = %q", server.Type())
	}
	pull := NewPull(ctx, WithSecurity(server))
	push := NewPush(ctx, WithSecurity(MechanismSecurity(&mechanism.CurveClient{ServerKey: pk}, nil)))
	closeAll(t, push, pull)
	connect(t, pull, push, "tcp://127.0.0.1:0")
	send(t, push, "secret", "frames")
	wantFrames(t, recv(t, pull), "secret", "frames")

	// a client that does not know the server's key fails to dial
	other, _, _ := mechanism.GenerateKeyPair()
	bad := NewPush(ctx, WithSecurity(MechanismSecurity(&mechanism.CurveClient{ServerKey: other}, nil)),
		WithDialerRetry(10*time.Millisecond), WithDialerMaxRetries(1))
	defer bad.Close()
	if err := bad.Dial("tcp://" + pull.Addr().String()); err == nil {
		t.Fatal("dial with the wrong server key succeeded")
	}
}

func TestBridgeDialFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now
	s := NewReq(context.Background(), WithDialerRetry(10*time.Millisecond), WithDialerMaxRetries(3))
	defer s.Close()
	if err := s.Dial("tcp://" + addr); err == nil {
		t.Fatal("dial of a closed port succeeded")
	}
	var ute UnknownTransportError
	if err := s.Dial("udp://127.0.0.1:1"); !errors.As(err, &ute) || ute.Name != "udp" {
		t.Fatalf("udp dial: %v", err)
	}
	if err := s.Listen("127.0.0.1:1"); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("listen without a transport: %v", err)
	}
}

func TestBridgeOptionsAndClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pub := NewPub(ctx)
	if err := pub.SetOption(OptionHWM, 10); err != nil {
		t.Fatal(err)
	}
	if v, err := pub.GetOption(OptionHWM); err != nil || v != 10 {
		t.Fatalf("GetOption(HWM) = %v, %v", v, err)
	}
	if _, err := pub.GetOption("NOPE"); !errors.Is(err, ErrBadProperty) {
		t.Fatalf("GetOption(NOPE): %v", err)
	}
	if err := pub.SetOption(OptionHWM, "ten"); !errors.Is(err, ErrBadProperty) {
		t.Fatalf("SetOption(HWM, string): %v", err)
	}
	if err := pub.SetOption(OptionSubscribe, "x"); !errors.Is(err, ErrBadProperty) {
		t.Fatalf("PUB subscribe: %v", err)
	}
	if err := pub.Listen("inproc://bridge-options"); err != nil {
		t.Fatal(err)
	}
	if err := pub.SetOption(OptionHWM, 5); !errors.Is(err, ErrBadProperty) {
		t.Fatalf("HWM after Listen: %v", err)
	}
	if a := pub.Addr(); a == nil || a.Network() != "inproc" {
		t.Fatalf("Addr() = %v", a)
	}
	if pub.Type() != Pub || !Pub.IsCompatible(Sub) || Pub.IsCompatible(Pull) {
		t.Fatal("socket types")
	}
	// the context ending closes the socket
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := pub.Send(NewMsgString("x"))
		if errors.Is(err, ErrClosedConn) && errors.Is(err, socket.ErrClosed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("send after the context ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := pub.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := pub.Recv(); !errors.Is(err, ErrClosedConn) {
		t.Fatalf("recv on closed: %v", err)
	}
}

func TestBridgeMsg(t *testing.T) {
	m := NewMsgFrom([]byte("a"), []byte("bc"))
	if got := m.String(); got != `Msg{Frames:{"a", "bc"}}` {
		t.Fatalf("String() = %s", got)
	}
	if !bytes.Equal(m.Bytes(), []byte("abc")) {
		t.Fatal("Bytes")
	}
	c := m.Clone()
	c.Frames[0][0] = 'z'
	if m.Frames[0][0] != 'a' {
		t.Fatal("Clone shares memory")
	}
	if NewMsgString("x").Err() != nil || NewMsg(nil).Type != UsrMsg {
		t.Fatal("Err/Type")
	}
	push := NewPush(context.Background())
	defer push.Close()
	if err := push.Send(Msg{}); !errors.Is(err, ErrBadFrame) {
		t.Fatalf("empty send: %v", err)
	}
}

func TestBridgeQueue(t *testing.T) {
	q := NewQueue()
	if _, ok := q.Peek(); ok || q.Len() != 0 {
		t.Fatal("new queue not empty")
	}
	for i := range 200 {
		q.Push(NewMsgString(fmt.Sprint(i)))
	}
	for i := range 200 {
		m, ok := q.Peek()
		if !ok || string(m.Frames[0]) != fmt.Sprint(i) || q.Len() != 200-i {
			t.Fatalf("at %d: %v %v len %d", i, m, ok, q.Len())
		}
		q.Pop()
	}
	q.Pop() // on empty: nothing
	q.Push(NewMsgString("x"))
	q.Init()
	if q.Len() != 0 || len(Transports()) != 3 {
		t.Fatal("Init or Transports")
	}
}

func TestBridgeTimeoutAndOptions(t *testing.T) {
	ctx := context.Background()
	var seen socket.Options
	push := NewPush(ctx, WithTimeout(50*time.Millisecond), WithOptions(func(o *socket.Options) {
		seen = *o
		o.Heartbeat = socket.Heartbeat{Interval: time.Second}
		o.Linger = 0 // Close drops what is queued for the missing peer
	}))
	defer push.Close()
	if err := push.SetOption(OptionHWM, 1); err != nil {
		t.Fatal(err)
	}
	if err := push.Dial("inproc://bridge-nobody-binds"); err != nil {
		t.Fatal(err)
	}
	// one message fits the queue of the pending inproc peer; then the send
	// waits for room until WithTimeout's bound
	start := time.Now()
	var err error
	for range 4 {
		if err = push.Send(NewMsgString("x")); err != nil {
			break
		}
	}
	if !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("send at the HWM: %v, want ErrWouldBlock", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("send gave up after %v, before the 50ms timeout", d)
	}
	if seen.SendHWM != 1 || seen.SendTimeout != 50*time.Millisecond || seen.Linger != defaultLinger {
		t.Fatalf("options before WithOptions: %+v", seen)
	}
}
