package engine_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// newPull binds a PULL on tcp and returns it, its endpoint and monitor.
func newPull(t *testing.T, opts socket.Options) (*patterns.Pull, string, <-chan socket.Event) {
	t.Helper()
	pull := closing(t, mustNew(t, patterns.NewPull, nil, opts))
	mon := pull.Monitor()
	return pull, bind(t, pull, "tcp://127.0.0.1:*"), mon
}

// A raw ZMTP 3.0 and 3.1 PUSH: multipart messages keep their frames
// (empty ones included), a PING between two frames of one message does
// not break it, and a message cut by a disconnect is never delivered.
func TestMultipartOnTheWire(t *testing.T) {
	for _, minor := range []byte{0, 1} {
		pull, ep, _ := newPull(t, socket.Options{})
		r := dialRaw(t, ep)
		r.handshake(minor, "PUSH")
		r.send(
			r.w.WriteFrame(zmtp.FlagMore, []byte("a")), r.w.WriteFrame(zmtp.FlagMore, nil),
			r.w.WriteCommand(zmtp.CmdPing, []byte{0, 0}), // libzmq may put one here
			r.w.WriteFrame(0, []byte("c")),
			r.w.WriteFrame(0, []byte("single")),
			r.w.WriteFrame(zmtp.FlagMore, []byte("cut")),
		)
		if flags, body := r.readFrame(); flags != zmtp.FlagCommand || !zmtp.IsCommand(body, zmtp.CmdPong) {
			t.Fatalf("want PONG, got %x %q", flags, body)
		}
		for _, want := range [][]string{{"a", "", "c"}, {"single"}} {
			got, err := pull.RecvFrames(ctx(t))
			must(t, err)
			if len(got) != len(want) {
				t.Fatalf("minor %d: got %q, want %q", minor, got, want)
			}
			for i := range got {
				if string(got[i]) != want[i] {
					t.Fatalf("minor %d: got %q, want %q", minor, got, want)
				}
			}
		}
		r.nc.Close()
		time.Sleep(50 * time.Millisecond)
		if got, err := pull.RecvFrames(expired()); err == nil {
			t.Fatalf("half a message delivered: %q", got)
		}
	}
}

// expired is a context that has already ended.
func expired() context.Context {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	return c
}

// The frames a zmesh PUSH writes: MORE on all but the last, large frames
// (sent with writev) intact.
func TestMultipartEncoding(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	push := closing(t, mustNew(t, patterns.NewPush, nil, socket.Options{}))
	connect(t, push, "tcp://"+ln.Addr().String())
	nc, err := ln.Accept()
	must(t, err)
	r := newRawPeer(t, nc)
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	r.handshake(1, "PULL")
	big := bytes.Repeat([]byte{7}, 70<<10)
	must(t, push.SendFrames(ctx(t), []byte("h"), big, nil, []byte("t")))
	want := [][]byte{[]byte("h"), big, {}, []byte("t")}
	for i, w := range want {
		flags, body := r.readFrame()
		more := i < len(want)-1
		if (flags&zmtp.FlagMore != 0) != more || !bytes.Equal(body, w) {
			t.Fatalf("frame %d: flags %x, %d bytes", i, flags, len(body))
		}
	}
}

// Millions of empty frames in one message: the connection is closed
// with ErrTooLarge once the message passes socket.MaxFrames, memory stays
// bounded, nothing panics. MaxMsgSize bounds a message's total too.
func TestMultipartBoundedFrames(t *testing.T) {
	pull, ep, mon := newPull(t, socket.Options{})
	r := dialRaw(t, ep)
	r.handshake(1, "PUSH")
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	chunk := bytes.Repeat([]byte{zmtp.FlagMore, 0}, 64<<10)
	var werr error
	for i := 0; i < 32 && werr == nil; i++ { // 2M empty frames
		_, werr = r.nc.Write(chunk)
	}
	e := waitEvent(t, mon, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrTooLarge) {
		t.Fatalf("disconnected: %v, want ErrTooLarge", e.Err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 256<<20 {
		t.Fatalf("heap grew by %d MiB", grown>>20)
	}
	if got, err := pull.RecvFrames(expired()); err == nil {
		t.Fatalf("delivered %d frames", len(got))
	}

	pull2, ep2, mon2 := newPull(t, socket.Options{MaxMsgSize: 1000})
	r2 := dialRaw(t, ep2)
	r2.handshake(1, "PUSH")
	part := bytes.Repeat([]byte("x"), 600)
	r2.send(r2.w.WriteFrame(zmtp.FlagMore, part), r2.w.WriteFrame(0, part))
	e = waitEvent(t, mon2, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrTooLarge) {
		t.Fatalf("over MaxMsgSize: %v", e.Err)
	}
	if got, err := pull2.RecvFrames(expired()); err == nil {
		t.Fatalf("delivered %d frames", len(got))
	}
}

// A 2^62-byte SUBSCRIBE (or any command over the command bound) is
// refused from its header, before anything is allocated for it.
func TestHugeSubscriptionRefused(t *testing.T) {
	pub := closing(t, mustNew(t, patterns.NewPub, nil, socket.Options{}))
	mon := pub.Monitor()
	ep := bind(t, pub, "tcp://127.0.0.1:*")
	r := dialRaw(t, ep)
	r.handshake(1, "SUB")
	hdr := []byte{zmtp.FlagCommand | zmtp.FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0}
	r.write(hdr, []byte("\x09SUBSCRIBE"))
	e := waitEvent(t, mon, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrTooLarge) {
		t.Fatalf("disconnected: %v, want ErrTooLarge", e.Err)
	}
	// As a ZMTP 3.0 message it meets MaxMsgSize.
	pub2 := closing(t, mustNew(t, patterns.NewPub, nil, socket.Options{MaxMsgSize: 1 << 20}))
	mon2 := pub2.Monitor()
	r2 := dialRaw(t, bind(t, pub2, "tcp://127.0.0.1:*"))
	r2.handshake(0, "SUB")
	r2.write([]byte{zmtp.FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0, 1})
	e = waitEvent(t, mon2, socket.EventDisconnected)
	if !errors.Is(e.Err, socket.ErrTooLarge) {
		t.Fatalf("disconnected: %v, want ErrTooLarge", e.Err)
	}
}

// Subscriptions go out as SUBSCRIBE/CANCEL commands to a ZMTP 3.1 peer
// and as 0x01/0x00 messages to a 3.0 one.
func TestSubscriptionForms(t *testing.T) {
	for _, minor := range []byte{0, 1} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer ln.Close()
		sub := closing(t, mustNew(t, patterns.NewSub, nil, socket.Options{}))
		must(t, sub.Subscribe([]byte("topic")))
		connect(t, sub, "tcp://"+ln.Addr().String())
		nc, err := ln.Accept()
		must(t, err)
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		r := newRawPeer(t, nc)
		r.handshake(minor, "PUB")
		flags, body := r.readFrame()
		if minor == 1 && (flags != zmtp.FlagCommand || string(body) != "\x09SUBSCRIBEtopic") {
			t.Fatalf("3.1: %x %q", flags, body)
		}
		if minor == 0 && (flags != 0 || string(body) != "\x01topic") {
			t.Fatalf("3.0: %x %q", flags, body)
		}
		must(t, sub.Unsubscribe([]byte("topic")))
		flags, body = r.readFrame()
		if minor == 1 && (flags != zmtp.FlagCommand || string(body) != "\x06CANCELtopic") {
			t.Fatalf("3.1 cancel: %x %q", flags, body)
		}
		if minor == 0 && (flags != 0 || string(body) != "\x00topic") {
			t.Fatalf("3.0 cancel: %x %q", flags, body)
		}
	}
}

// closing closes s when the test ends.
func closing[S interface{ Close() error }](t *testing.T, s S) S {
	t.Cleanup(func() { _ = s.Close() })
	return s
}
