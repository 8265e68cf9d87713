package patterns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

// classicEndpoints are the transports the classic types are tested on.
func classicEndpoints(t *testing.T) []string {
	return []string{"tcp://127.0.0.1:*", "ipc://" + t.TempDir() + "/c.sock", "inproc://" + strings.ReplaceAll(t.Name(), "/", "-")}
}

// bindConnect binds a to the endpoint and connects b to what it bound.
func bindConnect(t *testing.T, ep string, a, b interface {
	Bind(string) error
	Connect(string) error
	LastEndpoint() (string, error)
}) {
	t.Helper()
	must(t, a.Bind(ep))
	got, err := a.LastEndpoint()
	must(t, err)
	must(t, b.Connect(got))
}

func sameFrames(got, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			return false
		}
	}
	return true
}

func wantFrames(t *testing.T, got [][]byte, err error, want ...[]byte) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !sameFrames(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func fr(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

// Multipart messages, empty frames and large frames included, cross
// PUSH→PULL whole and in order over every transport, and round-robin
// spreads them over two pullers.
func TestPushPullMultipart(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 100<<10)
	msgs := [][][]byte{
		fr("one"),
		fr(""),
		fr("a", "", "c"),
		{[]byte("head"), big, []byte(""), big},
		fr(strings.Split(strings.Repeat("f,", 300), ",")...),
	}
	for _, ep := range classicEndpoints(t) {
		t.Run(strings.SplitN(ep, ":", 2)[0], func(t *testing.T) {
			zctx := newCtx(t)
			ctx := testCtx(t)
			pull := open(t, NewPull, zctx, Options{})
			push := open(t, NewPush, zctx, Options{})
			bindConnect(t, ep, pull, push)
			for _, m := range msgs {
				must(t, push.SendFrames(ctx, m...))
			}
			for _, m := range msgs {
				got, err := pull.RecvFrames(ctx)
				wantFrames(t, got, err, m...)
			}
		})
	}
}

func TestPushRoundRobinAndNoFrames(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	push := open(t, NewPush, zctx, Options{})
	if err := push.SendFrames(ctx); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("no frames: %v", err)
	}
	if err := push.TrySendFrames([]byte("x")); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("no peer: %v, want ErrWouldBlock", err)
	}
	var pulls [2]*Pull
	for i := range pulls {
		pulls[i] = open(t, NewPull, zctx, Options{})
		must(t, pulls[i].Bind(fmt.Sprintf("inproc://rr%d", i)))
		must(t, push.Connect(fmt.Sprintf("inproc://rr%d", i)))
	}
	for i := 0; i < 10; i++ {
		must(t, push.SendFrames(ctx, []byte{byte(i)}, []byte("tail")))
	}
	for _, p := range pulls {
		for i := 0; i < 5; i++ {
			got, err := p.RecvFrames(ctx)
			if err != nil || len(got) != 2 || string(got[1]) != "tail" {
				t.Fatalf("got %q, %v", got, err)
			}
		}
	}
}

// A PUSH blocks at the high-water mark and never drops.
func TestPushBlocksAtHWM(t *testing.T) {
	zctx := newCtx(t)
	push := open(t, NewPush, zctx, Options{SendHWM: 2})
	pull := open(t, NewPull, zctx, Options{RecvHWM: 2})
	bindConnect(t, "inproc://hwm", pull, push)
	n := 0
	for ; n < 100; n++ {
		if err := push.TrySendFrames([]byte("a"), []byte("b")); err != nil {
			if !errors.Is(err, socket.ErrWouldBlock) {
				t.Fatal(err)
			}
			break
		}
	}
	if n == 0 || n == 100 {
		t.Fatalf("accepted %d messages before blocking", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := push.SendFrames(ctx, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("blocked send: %v", err)
	}
	for i := 0; i < n; i++ {
		got, err := pull.RecvFrames(testCtx(t))
		wantFrames(t, got, err, fr("a", "b")...)
	}
}

// A PAIR talks to one peer; a second is rejected with a monitor event and
// what it sends is dropped.
func TestPairOnePeer(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	a := open(t, NewPair, zctx, Options{})
	mon := a.Monitor()
	b := open(t, NewPair, zctx, Options{})
	must(t, a.Bind("tcp://127.0.0.1:*"))
	ep, _ := a.LastEndpoint()
	must(t, b.Connect(ep))
	must(t, b.SendFrames(ctx, []byte("hello"), []byte("")))
	got, err := a.RecvFrames(ctx)
	wantFrames(t, got, err, fr("hello", "")...)
	must(t, a.SendFrames(ctx, []byte("back")))
	got, err = b.RecvFrames(ctx)
	wantFrames(t, got, err, fr("back")...)

	c := open(t, NewPair, zctx, Options{})
	must(t, c.Connect(ep))
	for e := range mon {
		if e.Type == socket.EventPeerRejected {
			break
		}
	}
	must(t, c.SendFrames(ctx, []byte("intruder")))
	must(t, b.SendFrames(ctx, []byte("again")))
	got, err = a.RecvFrames(ctx)
	wantFrames(t, got, err, fr("again")...)
}

// PAIR refuses other types; PUSH refuses a PUSH.
func TestClassicTypeMismatch(t *testing.T) {
	zctx := newCtx(t)
	a := open(t, NewPair, zctx, Options{})
	b := open(t, NewPull, zctx, Options{})
	mon := b.Monitor()
	must(t, a.Bind("tcp://127.0.0.1:*"))
	ep, _ := a.LastEndpoint()
	must(t, b.Connect(ep))
	for e := range mon {
		if e.Type == socket.EventHandshakeFailed {
			if !strings.Contains(e.Err.Error(), "incompatible") {
				t.Fatalf("handshake failed for another reason: %v", e.Err)
			}
			return
		}
		if e.Type == socket.EventHandshakeSucceeded {
			t.Fatal("PULL and PAIR completed a handshake")
		}
	}
}

// REQ↔REP over every transport: strict alternation, envelopes hidden,
// multipart bodies.
func TestReqRep(t *testing.T) {
	for _, ep := range classicEndpoints(t) {
		t.Run(strings.SplitN(ep, ":", 2)[0], func(t *testing.T) {
			zctx := newCtx(t)
			ctx := testCtx(t)
			rep := open(t, NewRep, zctx, Options{})
			req := open(t, NewReq, zctx, Options{})
			bindConnect(t, ep, rep, req)
			if _, err := req.RecvFrames(ctx); !errors.Is(err, socket.ErrState) {
				t.Fatalf("recv before send: %v", err)
			}
			if err := rep.SendFrames(ctx, []byte("x")); !errors.Is(err, socket.ErrState) {
				t.Fatalf("reply before request: %v", err)
			}
			for i := 0; i < 3; i++ {
				must(t, req.SendFrames(ctx, []byte("q"), []byte(fmt.Sprint(i))))
				if err := req.SendFrames(ctx, []byte("again")); !errors.Is(err, socket.ErrState) {
					t.Fatalf("second request: %v", err)
				}
				got, err := rep.RecvFrames(ctx)
				wantFrames(t, got, err, fr("q", fmt.Sprint(i))...)
				if _, err := rep.RecvFrames(ctx); !errors.Is(err, socket.ErrState) {
					t.Fatalf("recv while a reply is owed: %v", err)
				}
				must(t, rep.SendFrames(ctx, []byte("a"), []byte(""), []byte(fmt.Sprint(i))))
				got, err = req.RecvFrames(ctx)
				wantFrames(t, got, err, fr("a", "", fmt.Sprint(i))...)
			}
		})
	}
}

// REQ_CORRELATE and REQ_RELAXED: a second request is allowed, and only
// the reply to it is taken. A ROUTER in the middle answers the first
// request late.
func TestReqRelaxedCorrelate(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	router := open(t, NewRouter, zctx, Options{})
	req := open(t, NewReq, zctx, Options{ReqRelaxed: true, ReqCorrelate: true})
	bindConnect(t, "tcp://127.0.0.1:*", router, req)
	must(t, req.SendFrames(ctx, []byte("first")))
	first, err := router.RecvFrames(ctx)
	must(t, err)
	if len(first) != 4 || len(first[1]) != 4 || len(first[2]) != 0 || string(first[3]) != "first" {
		t.Fatalf("request on the wire: %q", first)
	}
	must(t, req.SendFrames(ctx, []byte("second")))
	second, err := router.RecvFrames(ctx)
	must(t, err)
	// The late reply to the first request, then the right one.
	must(t, router.SendFrames(ctx, append(first[:3:3], []byte("late"))...))
	must(t, router.SendFrames(ctx, append(second[:3:3], []byte("right"))...))
	got, err := req.RecvFrames(ctx)
	wantFrames(t, got, err, fr("right")...)
}

// A REP drops a request without a delimiter and says so; a REQ closes the
// connection of a peer that replies without one.
func TestReqRepBadEnvelope(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	rep := open(t, NewRep, zctx, Options{})
	mon := rep.Monitor()
	dealer := open(t, NewDealer, zctx, Options{})
	bindConnect(t, "tcp://127.0.0.1:*", rep, dealer)
	must(t, dealer.SendFrames(ctx, []byte("nodelim")))
	must(t, dealer.SendFrames(ctx, []byte("env1"), []byte(""), []byte("body")))
	got, err := rep.RecvFrames(ctx)
	wantFrames(t, got, err, fr("body")...)
	for e := range mon {
		if e.Type == socket.EventMessageDropped {
			break
		}
	}
	must(t, rep.SendFrames(ctx, []byte("answer")))
	got, err = dealer.RecvFrames(ctx)
	wantFrames(t, got, err, fr("env1", "", "answer")...)

	router := open(t, NewRouter, zctx, Options{})
	req := open(t, NewReq, zctx, Options{})
	rmon := req.Monitor()
	bindConnect(t, "tcp://127.0.0.1:*", router, req)
	must(t, req.SendFrames(ctx, []byte("q")))
	in, err := router.RecvFrames(ctx)
	must(t, err)
	must(t, router.SendFrames(ctx, in[0], []byte("bad-reply")))
	for e := range rmon {
		if e.Type == socket.EventDisconnected {
			if !errors.Is(e.Err, socket.ErrProtocol) {
				t.Fatalf("disconnected: %v", e.Err)
			}
			break
		}
	}
}

// DEALER↔ROUTER: generated 5-byte ids, peer-set ids, replies routed back,
// ROUTER_MANDATORY, and a duplicate id refused.
func TestRouterDealer(t *testing.T) {
	for _, ep := range classicEndpoints(t) {
		t.Run(strings.SplitN(ep, ":", 2)[0], func(t *testing.T) {
			zctx := newCtx(t)
			ctx := testCtx(t)
			router := open(t, NewRouter, zctx, Options{RouterMandatory: true})
			anon := open(t, NewDealer, zctx, Options{})
			named := open(t, NewDealer, zctx, Options{RoutingID: []byte("named")})
			bindConnect(t, ep, router, anon)
			bound, _ := router.LastEndpoint()
			must(t, named.Connect(bound))
			must(t, anon.SendFrames(ctx, []byte("from-anon")))
			must(t, named.SendFrames(ctx, []byte("from-named"), []byte("")))
			ids := map[string][]byte{}
			for i := 0; i < 2; i++ {
				got, err := router.RecvFrames(ctx)
				must(t, err)
				ids[string(got[1])] = got[0]
			}
			if id := ids["from-anon"]; len(id) != 5 || id[0] != 0 {
				t.Fatalf("generated id %x", id)
			}
			if id := ids["from-named"]; string(id) != "named" {
				t.Fatalf("announced id %q", id)
			}
			must(t, router.SendFrames(ctx, []byte("named"), []byte("to"), []byte("named")))
			got, err := named.RecvFrames(ctx)
			wantFrames(t, got, err, fr("to", "named")...)
			must(t, router.SendFrames(ctx, ids["from-anon"], []byte("to-anon")))
			got, err = anon.RecvFrames(ctx)
			wantFrames(t, got, err, fr("to-anon")...)
			if err := router.SendFrames(ctx, []byte("nobody"), []byte("x")); !errors.Is(err, socket.ErrHostUnreachable) {
				t.Fatalf("mandatory, unknown id: %v", err)
			}
		})
	}
}

func TestRouterDuplicateAndHandover(t *testing.T) {
	for _, handover := range []bool{false, true} {
		t.Run(fmt.Sprint("handover=", handover), func(t *testing.T) {
			zctx := newCtx(t)
			ctx := testCtx(t)
			router := open(t, NewRouter, zctx, Options{RouterHandover: handover})
			mon := router.Monitor()
			must(t, router.Bind("tcp://127.0.0.1:*"))
			ep, _ := router.LastEndpoint()
			first := open(t, NewDealer, zctx, Options{RoutingID: []byte("dup")})
			must(t, first.Connect(ep))
			must(t, first.SendFrames(ctx, []byte("one")))
			got, err := router.RecvFrames(ctx)
			wantFrames(t, got, err, fr("dup", "one")...)
			second := open(t, NewDealer, zctx, Options{RoutingID: []byte("dup")})
			must(t, second.Connect(ep))
			must(t, second.SendFrames(ctx, []byte("two")))
			if !handover {
				for e := range mon {
					if e.Type == socket.EventPeerRejected {
						break
					}
				}
				must(t, router.SendFrames(ctx, []byte("dup"), []byte("to-first")))
				got, err = first.RecvFrames(ctx)
				wantFrames(t, got, err, fr("to-first")...)
				must(t, first.SendFrames(ctx, []byte("three")))
				got, err = router.RecvFrames(ctx)
				wantFrames(t, got, err, fr("dup", "three")...)
				return
			}
			got, err = router.RecvFrames(ctx)
			wantFrames(t, got, err, fr("dup", "two")...)
			must(t, router.SendFrames(ctx, []byte("dup"), []byte("to-second")))
			got, err = second.RecvFrames(ctx)
			wantFrames(t, got, err, fr("to-second")...)
		})
	}
}

// publishUntil sends msg on pub until sub receives something (the
// subscription travels asynchronously), and returns what it got.
func publishUntil(t *testing.T, send func() error, recv func(context.Context) ([][]byte, error)) [][]byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		must(t, send())
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		got, err := recv(ctx)
		cancel()
		if err == nil {
			return got
		}
	}
	t.Fatal("nothing arrived")
	return nil
}

// PUB→SUB over every transport: prefix filtering on the first frame,
// multipart bodies, unsubscribe.
func TestPubSub(t *testing.T) {
	for _, ep := range classicEndpoints(t) {
		t.Run(strings.SplitN(ep, ":", 2)[0], func(t *testing.T) {
			zctx := newCtx(t)
			ctx := testCtx(t)
			pub := open(t, NewPub, zctx, Options{})
			sub := open(t, NewSub, zctx, Options{})
			must(t, sub.Subscribe([]byte("ab")))
			bindConnect(t, ep, pub, sub)
			got := publishUntil(t, func() error { return pub.SendFrames(ctx, []byte("abc"), []byte("1")) }, sub.RecvFrames)
			wantFrames(t, got, nil, fr("abc", "1")...)
			must(t, sub.Subscribe([]byte("x")))
			got = publishUntil(t, func() error { return pub.SendFrames(ctx, []byte("xyz")) }, sub.RecvFrames)
			wantFrames(t, got, nil, fr("xyz")...)
			must(t, pub.SendFrames(ctx, []byte("zzz")))
			must(t, pub.SendFrames(ctx, []byte("a")))
			must(t, pub.SendFrames(ctx, []byte("abd"), []byte("last")))
			for {
				got, err := sub.RecvFrames(ctx)
				must(t, err)
				if string(got[0]) == "zzz" || string(got[0]) == "a" {
					t.Fatalf("unsubscribed message %q delivered", got)
				}
				if string(got[0]) == "abd" {
					wantFrames(t, got, nil, fr("abd", "last")...)
					break
				}
			}
			must(t, sub.Unsubscribe([]byte("ab")))
			must(t, sub.Unsubscribe([]byte("never"))) // ignored
			// The SUB filters too, so "ab..." stops at once while "x..." goes on.
			must(t, pub.SendFrames(ctx, []byte("abc")))
			must(t, pub.SendFrames(ctx, []byte("xmark")))
			got, err := sub.RecvFrames(ctx)
			wantFrames(t, got, err, fr("xmark")...)
		})
	}
}

// XPUB sees subscriptions (first subscribe, last cancel; VERBOSE every
// subscribe) and XSUB subscribes with messages; a welcome message reaches
// each new subscriber.
func TestXPubXSub(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	xpub := open(t, NewXPub, zctx, Options{XPubWelcome: []byte("welcome")})
	must(t, xpub.Bind("tcp://127.0.0.1:*"))
	ep, _ := xpub.LastEndpoint()
	xsub := open(t, NewXSub, zctx, Options{})
	must(t, xsub.Connect(ep))
	got, err := xsub.RecvFrames(ctx) // XSUB does not filter
	wantFrames(t, got, err, fr("welcome")...)
	must(t, xsub.SendFrames(ctx, []byte("\x01topic")))
	got, err = xpub.RecvFrames(ctx)
	wantFrames(t, got, err, []byte("\x01topic"))
	sub := open(t, NewSub, zctx, Options{})
	must(t, sub.Subscribe([]byte("topic")))
	must(t, sub.Subscribe([]byte("other")))
	must(t, sub.Connect(ep))
	got, err = xpub.RecvFrames(ctx) // "topic" again is no news
	wantFrames(t, got, err, []byte("\x01other"))
	must(t, xsub.SendFrames(ctx, []byte("upstream"), []byte("data")))
	got, err = xpub.RecvFrames(ctx)
	wantFrames(t, got, err, fr("upstream", "data")...)
	must(t, xsub.SendFrames(ctx, []byte("\x00topic")))
	must(t, sub.Close())
	got, err = xpub.RecvFrames(ctx)
	must(t, err)
	got2, err := xpub.RecvFrames(ctx)
	must(t, err)
	seen := map[string]bool{string(got[0]): true, string(got2[0]): true}
	if !seen["\x00topic"] || !seen["\x00other"] {
		t.Fatalf("cancels %q %q", got, got2)
	}
	must(t, xpub.SendFrames(ctx, []byte("topic"), []byte("x")))
}

func TestXPubVerboseManual(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	xpub := open(t, NewXPub, zctx, Options{XPubVerbose: true, XPubManual: true})
	must(t, xpub.Bind("inproc://manual"))
	sub := open(t, NewSub, zctx, Options{})
	must(t, sub.Connect("inproc://manual"))
	must(t, sub.Subscribe([]byte("a")))
	must(t, sub.Subscribe([]byte("a")))
	must(t, sub.Subscribe([]byte("b")))
	for _, want := range []string{"\x01a", "\x01a", "\x01b"} {
		got, err := xpub.RecvFrames(ctx)
		wantFrames(t, got, err, []byte(want))
	}
	// Manual: nothing applied until the application says so.
	must(t, xpub.SendFrames(ctx, []byte("a1")))
	must(t, xpub.Subscribe([]byte("b")))
	must(t, xpub.SendFrames(ctx, []byte("b1")))
	got, err := sub.RecvFrames(ctx)
	wantFrames(t, got, err, fr("b1")...)
	noXPub := open(t, NewPub, zctx, Options{})
	if err := (&XPub{base: noXPub.base, pb: noXPub.pb}).Subscribe([]byte("x")); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("Subscribe without XPubManual: %v", err)
	}
}

// CONFLATE keeps only the newest message of a peer.
func TestConflate(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	pull := open(t, NewPull, zctx, Options{Conflate: true})
	push := open(t, NewPush, zctx, Options{})
	bindConnect(t, "tcp://127.0.0.1:*", pull, push)
	for i := 0; i < 50; i++ {
		must(t, push.SendFrames(ctx, []byte(fmt.Sprint(i)), []byte("whole")))
	}
	must(t, push.SendFrames(ctx, []byte("last")))
	// Whatever was read before "last" arrived, "last" is the final one
	// and nothing older follows it.
	for {
		got, err := pull.RecvFrames(ctx)
		must(t, err)
		if string(got[0]) == "last" {
			break
		}
		if len(got) != 2 || string(got[1]) != "whole" {
			t.Fatalf("conflated message cut: %q", got)
		}
	}
	c2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if got, err := pull.RecvFrames(c2); err == nil {
		t.Fatalf("after the newest: %q", got)
	}
}

// PROBE_ROUTER: a connecting DEALER's first message is an empty one,
// which the ROUTER receives as [id, ""].
func TestProbeRouter(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	router := open(t, NewRouter, zctx, Options{})
	dealer := open(t, NewDealer, zctx, Options{ProbeRouter: true, RoutingID: []byte("d")})
	bindConnect(t, "tcp://127.0.0.1:*", router, dealer)
	got, err := router.RecvFrames(ctx)
	wantFrames(t, got, err, fr("d", "")...)
}

// A PUB never blocks: a subscriber at its high-water mark misses messages
// (whole ones), the send succeeds.
func TestPubDropsAtHWM(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	pub := open(t, NewPub, zctx, Options{SendHWM: 5})
	sub := open(t, NewSub, zctx, Options{RecvHWM: 5})
	must(t, sub.Subscribe(nil))
	bindConnect(t, "inproc://pubhwm", pub, sub)
	publishUntil(t, func() error { return pub.SendFrames(ctx, []byte("probe")) }, sub.RecvFrames)
	for i := 0; i < 1000; i++ {
		c2, cancel := context.WithTimeout(ctx, time.Second)
		if err := pub.SendFrames(c2, []byte("m"), []byte(fmt.Sprint(i))); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		cancel()
	}
	n := 0
	for {
		c2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		got, err := sub.RecvFrames(c2)
		cancel()
		if err != nil {
			break
		}
		if string(got[0]) == "m" && len(got) != 2 {
			t.Fatalf("cut message %q", got)
		}
		n++
	}
	if n == 0 || n >= 1000 {
		t.Fatalf("%d of 1000 messages arrived, want some dropped", n)
	}
}

// The PUB filters on its side: an XSUB (which does not filter) subscribed
// to "a" gets only "a..." messages.
func TestPubFiltersOnItsSide(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	pub := open(t, NewPub, zctx, Options{})
	xsub := open(t, NewXSub, zctx, Options{})
	must(t, xsub.Subscribe([]byte("a")))
	bindConnect(t, "tcp://127.0.0.1:*", pub, xsub)
	publishUntil(t, func() error { return pub.SendFrames(ctx, []byte("a0")) }, xsub.RecvFrames)
	must(t, pub.SendFrames(ctx, []byte("b")))
	must(t, pub.SendFrames(ctx, []byte("a1")))
	for {
		got, err := xsub.RecvFrames(ctx)
		must(t, err)
		if string(got[0]) == "b" {
			t.Fatal("the PUB sent an unsubscribed message")
		}
		if string(got[0]) == "a1" {
			return
		}
	}
}

// DEALER↔REP: the DEALER adds the delimiter itself; DEALER↔DEALER and
// ROUTER↔ROUTER are legal too.
func TestDealerRepAndSymmetricPairs(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	rep := open(t, NewRep, zctx, Options{})
	dealer := open(t, NewDealer, zctx, Options{})
	bindConnect(t, "tcp://127.0.0.1:*", rep, dealer)
	must(t, dealer.SendFrames(ctx, []byte(""), []byte("q")))
	got, err := rep.RecvFrames(ctx)
	wantFrames(t, got, err, fr("q")...)
	must(t, rep.SendFrames(ctx, []byte("a")))
	got, err = dealer.RecvFrames(ctx)
	wantFrames(t, got, err, fr("", "a")...)

	d2 := open(t, NewDealer, zctx, Options{})
	bindConnect(t, "tcp://127.0.0.1:*", d2, dealer)
	must(t, dealer.SendFrames(ctx, []byte("x")))
	// dealer round-robins over rep and d2: send until d2 has one.
	got = publishUntil(t, func() error { return dealer.SendFrames(ctx, []byte(""), []byte("x")) }, d2.RecvFrames)
	if string(got[len(got)-1]) != "x" {
		t.Fatalf("d2 got %q", got)
	}
	r1 := open(t, NewRouter, zctx, Options{RoutingID: []byte("r1")})
	r2 := open(t, NewRouter, zctx, Options{RoutingID: []byte("r2")})
	bindConnect(t, "tcp://127.0.0.1:*", r1, r2)
	got = publishUntil(t, func() error { return r2.TrySendFrames([]byte("r1"), []byte("hi")) }, r1.RecvFrames)
	wantFrames(t, got, nil, fr("r2", "hi")...)
}

// open makes a socket with newSocket in zctx, failing the test at once
// on error, and closes it when the test ends.
func open[S interface{ Close() error }](t *testing.T, newSocket func(*socket.Ctx, Options) (S, error), zctx *socket.Ctx, opts Options) S {
	t.Helper()
	s, err := newSocket(zctx, opts)
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// A second Connect to the same tcp endpoint is a no-op on DEALER, SUB,
// PUB and REQ (libzmq), an error elsewhere; Try calls do not block.
func TestDuplicateConnectAndTry(t *testing.T) {
	zctx := newCtx(t)
	pull := open(t, NewPull, zctx, Options{})
	must(t, pull.Bind("tcp://127.0.0.1:*"))
	ep, _ := pull.LastEndpoint()
	if _, err := pull.TryRecvFrames(); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("TryRecvFrames: %v", err)
	}
	push := open(t, NewPush, zctx, Options{})
	must(t, push.Connect(ep))
	if err := push.Connect(ep); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("PUSH connecting twice: %v", err)
	}
	dealer := open(t, NewDealer, zctx, Options{})
	must(t, dealer.Connect(ep))
	must(t, dealer.Connect(ep))
}

// A SUB sends every distinct topic again when its publisher comes back,
// and a REP keeps a multi-hop envelope verbatim.
func TestSubResubscribesAndRepEnvelope(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	pub := open(t, NewPub, zctx, Options{})
	must(t, pub.Bind("tcp://127.0.0.1:*"))
	ep, _ := pub.LastEndpoint()
	sub := open(t, NewSub, zctx, Options{ReconnectInterval: 10 * time.Millisecond})
	must(t, sub.Subscribe([]byte("k")))
	must(t, sub.Subscribe([]byte("k")))
	must(t, sub.Connect(ep))
	publishUntil(t, func() error { return pub.SendFrames(ctx, []byte("k1")) }, sub.RecvFrames)
	must(t, pub.Close())
	pub2 := open(t, NewPub, zctx, Options{})
	deadline := time.Now().Add(10 * time.Second)
	for pub2.Bind(ep) != nil { // the port is free once the old listener is gone
		if time.Now().After(deadline) {
			t.Fatal("cannot bind again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := publishUntil(t, func() error { return pub2.SendFrames(ctx, []byte("k2")) }, sub.RecvFrames)
	if string(got[0]) != "k2" && string(got[0]) != "k1" {
		t.Fatalf("after the publisher came back: %q", got)
	}

	rep := open(t, NewRep, zctx, Options{})
	dealer := open(t, NewDealer, zctx, Options{})
	bindConnect(t, "inproc://hops", rep, dealer)
	must(t, dealer.SendFrames(ctx, []byte("hop1"), []byte("hop2"), []byte(""), []byte("body"), []byte("")))
	q, err := rep.RecvFrames(ctx)
	wantFrames(t, q, err, fr("body", "")...)
	must(t, rep.SendFrames(ctx, []byte("answer")))
	a, err := dealer.RecvFrames(ctx)
	wantFrames(t, a, err, fr("hop1", "hop2", "", "answer")...)
}

// Multipart messages under CURVE and NOISE: each frame is sealed with its
// MORE flag, large frames included.
func TestClassicMultipartSecured(t *testing.T) {
	pubKey, sec, err := mechanism.GenerateKeyPair()
	must(t, err)
	mechs := map[string][2]mechanism.Mechanism{
		"curve": {&mechanism.CurveServer{SecretKey: sec}, &mechanism.CurveClient{ServerKey: pubKey}},
		"noise": {&mechanism.NoiseServer{SecretKey: sec}, &mechanism.NoiseClient{ServerKey: pubKey}},
	}
	big := bytes.Repeat([]byte("z"), 200<<10)
	for name, m := range mechs {
		t.Run(name, func(t *testing.T) {
			zctx := newCtx(t)
			ctx := testCtx(t)
			router := open(t, NewRouter, zctx, Options{Mechanism: m[0]})
			dealer := open(t, NewDealer, zctx, Options{Mechanism: m[1], RoutingID: []byte("sec")})
			bindConnect(t, "tcp://127.0.0.1:*", router, dealer)
			must(t, dealer.SendFrames(ctx, []byte("a"), nil, big))
			got, err := router.RecvFrames(ctx)
			wantFrames(t, got, err, []byte("sec"), []byte("a"), []byte{}, big)
			must(t, router.SendFrames(ctx, []byte("sec"), big, []byte("end")))
			got, err = dealer.RecvFrames(ctx)
			wantFrames(t, got, err, big, []byte("end"))
		})
	}
}

// XPUB_NODROP refuses a send while a matching subscriber is full;
// INVERT_MATCHING sends to the subscribers that do not match; a
// ROUTER_MANDATORY send to a full peer fails with ErrWouldBlock (Try) or
// waits (SendFrames), a plain ROUTER drops it.
func TestNoDropInvertMandatoryFull(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	pub := open(t, NewPub, zctx, Options{XPubNoDrop: true, SendHWM: 1})
	sub := open(t, NewSub, zctx, Options{RecvHWM: 1})
	must(t, sub.Subscribe(nil))
	bindConnect(t, "inproc://nodrop", pub, sub)
	publishUntil(t, func() error { return pub.SendFrames(ctx, []byte("x")) }, sub.RecvFrames)
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = pub.TrySendFrames([]byte("fill"))
	}
	if !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("NoDrop at the HWM: %v", err)
	}

	inv := open(t, NewPub, zctx, Options{InvertMatching: true})
	isub := open(t, NewSub, zctx, Options{InvertMatching: true})
	must(t, isub.Subscribe([]byte("skip")))
	bindConnect(t, "inproc://invert", inv, isub)
	got := publishUntil(t, func() error {
		must(t, inv.SendFrames(ctx, []byte("skip.me")))
		return inv.SendFrames(ctx, []byte("take"))
	}, isub.RecvFrames)
	wantFrames(t, got, nil, fr("take")...)

	for _, mandatory := range []bool{true, false} {
		router := open(t, NewRouter, zctx, Options{RouterMandatory: mandatory, SendHWM: 1})
		dealer := open(t, NewDealer, zctx, Options{RoutingID: []byte("d"), RecvHWM: 1})
		bindConnect(t, fmt.Sprintf("inproc://full%v", mandatory), router, dealer)
		must(t, dealer.SendFrames(ctx, []byte("hello")))
		_, err := router.RecvFrames(ctx)
		must(t, err)
		var full error
		for i := 0; i < 100 && full == nil; i++ {
			full = router.TrySendFrames([]byte("d"), []byte("x"))
		}
		if mandatory && !errors.Is(full, socket.ErrWouldBlock) {
			t.Fatalf("mandatory, full: %v", full)
		}
		if !mandatory && full != nil {
			t.Fatalf("not mandatory, full: %v", full)
		}
		if mandatory {
			short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
			if err := router.SendFrames(short, []byte("d"), []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("mandatory blocking send to a full peer: %v", err)
			}
			cancel()
		}
	}
}

// RecvMsg hands a one-frame message over as a Body (releasable) and a
// multipart one as Frames.
func TestRecvMsg(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	pull := open(t, NewPull, zctx, Options{})
	push := open(t, NewPush, zctx, Options{})
	bindConnect(t, "tcp://127.0.0.1:*", pull, push)
	big := bytes.Repeat([]byte("b"), 4096)
	must(t, push.SendFrames(ctx, big))
	must(t, push.SendFrames(ctx, []byte("x"), []byte("y")))
	m, err := pull.RecvMsg(ctx)
	must(t, err)
	if !bytes.Equal(m.Body, big) || m.Frames != nil {
		t.Fatalf("one frame: %d bytes, %d frames", len(m.Body), len(m.Frames))
	}
	m.Release()
	m, err = pull.RecvMsg(ctx)
	must(t, err)
	wantFrames(t, m.Frames, nil, fr("x", "y")...)
}

// ConnectWithID names the peer a ROUTER connects to, so it can send
// first.
func TestRouterConnectWithID(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	server := open(t, NewRouter, zctx, Options{})
	must(t, server.Bind("tcp://127.0.0.1:*"))
	ep, _ := server.LastEndpoint()
	client := open(t, NewRouter, zctx, Options{RoutingID: []byte("client"), RouterMandatory: true})
	if err := client.ConnectWithID(ep, nil); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("empty id: %v", err)
	}
	must(t, client.ConnectWithID(ep, []byte("srv")))
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := client.SendFrames(ctx, []byte("srv"), []byte("first"))
		if err == nil {
			break
		}
		if !errors.Is(err, socket.ErrHostUnreachable) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // until the connection is up
	}
	got, err := server.RecvFrames(ctx)
	wantFrames(t, got, err, fr("client", "first")...)
}

// A subscription made while a publisher's connection comes up reaches the
// publisher once and in order: either among the subscriptions sent to the
// new peer or after them, never both (a CI run once saw pyzmq's XPUB get
// "b" before "a": "a" went out with the new peer's subscriptions, "b"
// both before and with them).
func TestSubscribeDuringPeerUp(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	xpub := open(t, NewXPub, zctx, Options{XPubVerbose: true})
	must(t, xpub.Bind("tcp://127.0.0.1:*"))
	ep, _ := xpub.LastEndpoint()
	const n = 30
	for round := 0; round < 20; round++ {
		xsub := open(t, NewXSub, zctx, Options{})
		must(t, xsub.Connect(ep))
		// The subscriptions are spread over the connection's handshake,
		// made both ways an XSUB has.
		for i := 0; i < n; i++ {
			topic := fmt.Sprintf("t%02d", i)
			if i%2 == 0 {
				must(t, xsub.Subscribe([]byte(topic)))
			} else {
				must(t, xsub.SendFrames(ctx, []byte("\x01"+topic)))
			}
			time.Sleep(20 * time.Microsecond)
		}
		for i := 0; i < n; i++ {
			got, err := xpub.RecvFrames(ctx)
			wantFrames(t, got, err, []byte(fmt.Sprintf("\x01t%02d", i)))
		}
		must(t, xsub.Close())
		for i := 0; i < n; i++ { // verbose: every cancel is passed up too
			if _, err := xpub.RecvFrames(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}
