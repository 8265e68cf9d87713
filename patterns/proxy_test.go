package patterns

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// The poller reports a socket readable once a message is queued, and
// writable per the type's rule; Wait ends with its context.
func TestPoller(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	pull := open(t, NewPull, zctx, Options{})
	push := open(t, NewPush, zctx, Options{})
	pub := open(t, NewPub, zctx, Options{})
	p := NewPoller()
	must(t, p.Add(pull, PollIn))
	if err := p.Add(pull, 0); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("no events: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	if _, err := p.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("nothing ready: %v", err)
	}
	cancel()
	must(t, p.Add(pub, PollOut)) // a PUB is always writable
	got, err := p.Wait(ctx)
	if err != nil || len(got) != 1 || got[0].Socket != Pollable(pub) || got[0].Events != PollOut {
		t.Fatalf("pub: %+v %v", got, err)
	}
	must(t, p.Remove(pub))
	bindConnect(t, "tcp://127.0.0.1:*", pull, push)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(20 * time.Millisecond)
		_ = push.SendFrames(ctx, []byte("wake"))
	}()
	got, err = p.Wait(ctx)
	wg.Wait()
	if err != nil || len(got) != 1 || got[0].Events != PollIn {
		t.Fatalf("pull: %+v %v", got, err)
	}
	m, err := pull.RecvFrames(ctx)
	wantFrames(t, m, err, fr("wake")...)
	must(t, p.Add(push, PollOut))
	got, err = p.Wait(ctx)
	if err != nil || len(got) != 1 || got[0].Socket != Pollable(push) {
		t.Fatalf("push: %+v %v", got, err)
	}
}

// A ROUTER/DEALER broker through ProxySteerable: requests and replies
// cross it, the capture sees them, PAUSE holds traffic, RESUME lets it
// go, STATISTICS counts, TERMINATE ends it.
func TestProxySteerable(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	front := open(t, NewRouter, zctx, Options{})
	back := open(t, NewDealer, zctx, Options{})
	capture := open(t, NewPush, zctx, Options{})
	captured := open(t, NewPull, zctx, Options{})
	bindConnect(t, "inproc://capture", captured, capture)
	ctrl := open(t, NewPair, zctx, Options{})
	steer := open(t, NewPair, zctx, Options{})
	bindConnect(t, "inproc://ctrl", ctrl, steer)
	must(t, front.Bind("inproc://front"))
	must(t, back.Bind("inproc://back"))
	done := make(chan error, 1)
	go func() { done <- ProxySteerable(ctx, front, back, capture, ctrl) }()

	client := open(t, NewReq, zctx, Options{})
	must(t, client.Connect("inproc://front"))
	worker := open(t, NewRep, zctx, Options{})
	must(t, worker.Connect("inproc://back"))

	must(t, client.SendFrames(ctx, []byte("abc"), []byte("defgh")))
	q, err := worker.RecvFrames(ctx)
	wantFrames(t, q, err, fr("abc", "defgh")...)
	must(t, worker.SendFrames(ctx, []byte("ok")))
	a, err := client.RecvFrames(ctx)
	wantFrames(t, a, err, fr("ok")...)
	for i := 0; i < 2; i++ {
		c, err := captured.RecvFrames(ctx)
		must(t, err)
		if len(c) < 3 {
			t.Fatalf("captured %q", c)
		}
	}

	must(t, steer.SendFrames(ctx, []byte("STATISTICS")))
	st, err := steer.RecvFrames(ctx)
	must(t, err)
	if len(st) != 8 {
		t.Fatalf("%d statistics frames", len(st))
	}
	var v [8]uint64
	for i, f := range st {
		v[i] = binary.LittleEndian.Uint64(f)
	}
	// The frontend got one request (its routing id, "", abc, defgh) and
	// sent one reply; the backend the other way.
	if v[0] != 1 || v[2] != 1 || v[4] != 1 || v[6] != 1 || v[1] != v[7] || v[3] != v[5] {
		t.Fatalf("statistics %v", v)
	}

	must(t, steer.SendFrames(ctx, []byte("PAUSE")))
	must(t, steer.SendFrames(ctx, []byte("STATISTICS"))) // answered: PAUSE is in force
	_, err = steer.RecvFrames(ctx)
	must(t, err)
	must(t, client.SendFrames(ctx, []byte("held")))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if got, err := worker.RecvFrames(short); err == nil {
		t.Fatalf("forwarded while paused: %q", got)
	}
	cancel()
	must(t, steer.SendFrames(ctx, []byte("RESUME")))
	q, err = worker.RecvFrames(ctx)
	wantFrames(t, q, err, fr("held")...)
	must(t, steer.SendFrames(ctx, []byte("TERMINATE")))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("TERMINATE: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the proxy did not terminate")
	}
}

// PULL→PUSH one way through Proxy; an unknown control command is an
// error, not a crash; XSUB/XPUB forwards subscriptions up.
func TestProxyPipelineAndForwarder(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	in := open(t, NewPull, zctx, Options{})
	out := open(t, NewPush, zctx, Options{})
	must(t, in.Bind("inproc://pin"))
	must(t, out.Bind("inproc://pout"))
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Proxy(pctx, in, out, nil) }()
	src := open(t, NewPush, zctx, Options{})
	must(t, src.Connect("inproc://pin"))
	sink := open(t, NewPull, zctx, Options{})
	must(t, sink.Connect("inproc://pout"))
	must(t, src.SendFrames(ctx, []byte("a"), []byte("b")))
	got, err := sink.RecvFrames(ctx)
	wantFrames(t, got, err, fr("a", "b")...)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Proxy after cancel: %v", err)
	}

	xsub := open(t, NewXSub, zctx, Options{})
	xpub := open(t, NewXPub, zctx, Options{})
	ctrl := open(t, NewPair, zctx, Options{})
	steer := open(t, NewPair, zctx, Options{})
	bindConnect(t, "inproc://fctrl", ctrl, steer)
	must(t, xsub.Bind("inproc://fin"))
	must(t, xpub.Bind("inproc://fout"))
	go func() { done <- ProxySteerable(ctx, xsub, xpub, nil, ctrl) }()
	pub := open(t, NewPub, zctx, Options{})
	must(t, pub.Connect("inproc://fin"))
	sub := open(t, NewSub, zctx, Options{})
	must(t, sub.Subscribe([]byte("t")))
	must(t, sub.Connect("inproc://fout"))
	got = publishUntil(t, func() error { return pub.SendFrames(ctx, []byte("topic"), []byte("1")) }, sub.RecvFrames)
	wantFrames(t, got, nil, fr("topic", "1")...)
	must(t, steer.SendFrames(ctx, []byte("BOGUS")))
	if err := <-done; !errors.Is(err, ErrProxyCommand) {
		t.Fatalf("unknown command: %v", err)
	}
}

// A polled REQ is writable before its request and readable after the
// reply arrives; a REP readable with a request waiting, writable once it
// owes the reply.
func TestPollerReqRepTurns(t *testing.T) {
	zctx := newCtx(t)
	ctx := testCtx(t)
	rep := open(t, NewRep, zctx, Options{})
	req := open(t, NewReq, zctx, Options{})
	bindConnect(t, "inproc://turns", rep, req)
	p := NewPoller()
	must(t, p.Add(req, PollIn|PollOut))
	got, err := p.Wait(ctx)
	if err != nil || len(got) != 1 || got[0].Events != PollOut {
		t.Fatalf("REQ before its request: %+v %v", got, err)
	}
	must(t, req.SendFrames(ctx, []byte("q")))
	must(t, p.Add(rep, PollIn|PollOut))
	got, err = p.Wait(ctx)
	if err != nil || len(got) != 1 || got[0].Socket != Pollable(rep) || got[0].Events != PollIn {
		t.Fatalf("REP with a request: %+v %v", got, err)
	}
	_, err = rep.RecvFrames(ctx)
	must(t, err)
	got, err = p.Wait(ctx)
	if err != nil || len(got) != 1 || got[0].Socket != Pollable(rep) || got[0].Events != PollOut {
		t.Fatalf("REP owing: %+v %v", got, err)
	}
	must(t, rep.SendFrames(ctx, []byte("a")))
	got, err = p.Wait(ctx)
	if err != nil || len(got) != 1 || got[0].Socket != Pollable(req) || got[0].Events != PollIn {
		t.Fatalf("REQ with its reply: %+v %v", got, err)
	}
}
