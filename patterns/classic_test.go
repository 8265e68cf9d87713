package patterns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

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
			pull, err := NewPull(zctx, Options{})
			must(t, err)
			defer pull.Close()
			push, err := NewPush(zctx, Options{})
			must(t, err)
			defer push.Close()
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
	push, err := NewPush(zctx, Options{})
	must(t, err)
	defer push.Close()
	if err := push.SendFrames(ctx); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("no frames: %v", err)
	}
	if err := push.TrySendFrames([]byte("x")); !errors.Is(err, socket.ErrWouldBlock) {
		t.Fatalf("no peer: %v, want ErrWouldBlock", err)
	}
	var pulls [2]*Pull
	for i := range pulls {
		pulls[i], err = NewPull(zctx, Options{})
		must(t, err)
		defer pulls[i].Close()
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
	push, err := NewPush(zctx, Options{SendHWM: 2})
	must(t, err)
	defer push.Close()
	pull, err := NewPull(zctx, Options{RecvHWM: 2})
	must(t, err)
	defer pull.Close()
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
	a, err := NewPair(zctx, Options{})
	must(t, err)
	defer a.Close()
	mon := a.Monitor()
	b, err := NewPair(zctx, Options{})
	must(t, err)
	defer b.Close()
	must(t, a.Bind("tcp://127.0.0.1:*"))
	ep, _ := a.LastEndpoint()
	must(t, b.Connect(ep))
	must(t, b.SendFrames(ctx, []byte("hello"), []byte("")))
	got, err := a.RecvFrames(ctx)
	wantFrames(t, got, err, fr("hello", "")...)
	must(t, a.SendFrames(ctx, []byte("back")))
	got, err = b.RecvFrames(ctx)
	wantFrames(t, got, err, fr("back")...)

	c, err := NewPair(zctx, Options{})
	must(t, err)
	defer c.Close()
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
	a, err := NewPair(zctx, Options{})
	must(t, err)
	defer a.Close()
	b, err := NewPull(zctx, Options{})
	must(t, err)
	defer b.Close()
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
