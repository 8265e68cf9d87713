package interop

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A Side is one end of a classic-type exchange: a stock peer (Classic) or
// a zmesh socket (zmeshSide). The scenarios below run on any two Sides,
// so the harness is first proven peer against peer, then zmesh against
// each peer with the very same steps.
type Side interface {
	Bind(ep string) (string, error)
	Connect(ep string) error
	Send(frames ...[]byte) error
	Recv(timeout time.Duration) ([][]byte, error) // ErrPeerTimeout when nothing came
	Subscribe(topic []byte) error
	Unsubscribe(topic []byte) error
	Close() error
}

// Close quits the peer (Side's Close).
func (c *Classic) Close() error { return c.Quit(wait) }

// A scenario is a classic pattern's exchange between a bound side of type
// bindType and a connected side of type connType.
type scenario struct {
	name     string
	bindType string
	connType string
	run      func(t *testing.T, bound, conn Side, q quirks)
}

// quirks are a peer's known defects a scenario must step around. zmesh
// has none; zmq4 v0.17 has both.
type quirks struct {
	// repNoEmpty: the REP strips through the last empty frame of a request,
	// not the first, so bodies sent to it must have no empty frame.
	repNoEmpty bool
	// xpubSilent: the XPUB never hands subscription messages to the
	// application.
	xpubSilent bool
}

// quirksOf is the quirks of a peer kind.
func quirksOf(k PeerKind) quirks {
	if k == Zmq4 {
		return quirks{repNoEmpty: true, xpubSilent: true}
	}
	return quirks{}
}

// bodies returns the request and reply bodies: multipart with empty frames
// (in the middle and at the end) unless the REP cannot take them.
func (q quirks) bodies() (req, rep [][]byte) {
	if q.repNoEmpty {
		return [][]byte{[]byte("question"), {0x00, 0xff}}, [][]byte{[]byte("answer"), {0x01}}
	}
	return bodyQ, bodyA
}

// scenarios pins each classic pattern in both roles: every pattern appears
// with each of its types on the bound side and on the connected side.
var scenarios = []scenario{
	{"req-rep", "rep", "req", func(t *testing.T, b, c Side, q quirks) { reqRep(t, c, b, q) }},
	{"rep-req", "req", "rep", func(t *testing.T, b, c Side, q quirks) { reqRep(t, b, c, q) }},
	{"dealer-router", "router", "dealer", func(t *testing.T, b, c Side, q quirks) { dealerRouter(t, c, b, q) }},
	{"router-dealer", "dealer", "router", func(t *testing.T, b, c Side, q quirks) { dealerRouter(t, b, c, q) }},
	{"req-router", "router", "req", func(t *testing.T, b, c Side, q quirks) { reqRouter(t, c, b, q) }},
	{"dealer-rep", "rep", "dealer", func(t *testing.T, b, c Side, q quirks) { dealerRep(t, c, b, q) }},
	{"push-pull", "pull", "push", func(t *testing.T, b, c Side, q quirks) { pushPull(t, c, b, q) }},
	{"pull-push", "push", "pull", func(t *testing.T, b, c Side, q quirks) { pushPull(t, b, c, q) }},
	{"pub-sub", "sub", "pub", func(t *testing.T, b, c Side, q quirks) { pubSub(t, c, b, false, q) }},
	{"sub-pub", "pub", "sub", func(t *testing.T, b, c Side, q quirks) { pubSub(t, b, c, false, q) }},
	{"xpub-xsub", "xsub", "xpub", func(t *testing.T, b, c Side, q quirks) { pubSub(t, c, b, true, q) }},
	{"xsub-xpub", "xpub", "xsub", func(t *testing.T, b, c Side, q quirks) { pubSub(t, b, c, true, q) }},
	{"pair", "pair", "pair", func(t *testing.T, b, c Side, q quirks) { pair(t, b, c, q) }},
}

// A multipart body with empty frames in the middle and at the end.
var (
	bodyQ = [][]byte{[]byte("question"), {}, {0x00, 0xff}, {}}
	bodyA = [][]byte{{}, []byte("answer"), {}}
)

func mustSend(t *testing.T, s Side, frames ...[]byte) {
	t.Helper()
	if err := s.Send(frames...); err != nil {
		t.Fatal(err)
	}
}

func mustRecv(t *testing.T, s Side) [][]byte {
	t.Helper()
	m, err := s.Recv(wait)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustRecvEqual(t *testing.T, s Side, want ...[]byte) {
	t.Helper()
	if got := mustRecv(t, s); !FramesEqual(got, want) {
		t.Fatalf("received %s, want %s", Spec(got), Spec(want))
	}
}

func cat(parts ...[][]byte) [][]byte {
	var out [][]byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func reqRep(t *testing.T, req, rep Side, qk quirks) {
	bq, ba := qk.bodies()
	for i := 0; i < 3; i++ {
		q := cat([][]byte{[]byte(fmt.Sprint("q", i))}, bq)
		mustSend(t, req, q...)
		mustRecvEqual(t, rep, q...) // REP hides the envelope
		mustSend(t, rep, ba...)
		mustRecvEqual(t, req, ba...)
	}
}

// routed receives a message on a ROUTER, checks it is [id]+want and
// returns the routing id.
func routed(t *testing.T, router Side, want [][]byte) []byte {
	t.Helper()
	got := mustRecv(t, router)
	if len(got) != len(want)+1 || len(got[0]) == 0 || !FramesEqual(got[1:], want) {
		t.Fatalf("ROUTER received %s, want [id],%s", Spec(got), Spec(want))
	}
	return got[0]
}

func dealerRouter(t *testing.T, dealer, router Side, _ quirks) {
	for i := 0; i < 3; i++ {
		q := cat([][]byte{[]byte(fmt.Sprint("d", i))}, bodyQ)
		mustSend(t, dealer, q...)
		id := routed(t, router, q)
		mustSend(t, router, cat([][]byte{id}, bodyA)...)
		mustRecvEqual(t, dealer, bodyA...)
	}
}

func reqRouter(t *testing.T, req, router Side, _ quirks) {
	mustSend(t, req, bodyQ...)
	id := routed(t, router, cat([][]byte{{}}, bodyQ)) // REQ adds the empty delimiter
	mustSend(t, router, cat([][]byte{id, {}}, bodyA)...)
	mustRecvEqual(t, req, bodyA...)
}

func dealerRep(t *testing.T, dealer, rep Side, qk quirks) {
	bq, ba := qk.bodies()
	mustSend(t, dealer, cat([][]byte{{}}, bq)...) // a DEALER writes the delimiter itself
	mustRecvEqual(t, rep, bq...)
	mustSend(t, rep, ba...)
	mustRecvEqual(t, dealer, cat([][]byte{{}}, ba)...)
}

func pushPull(t *testing.T, push, pull Side, _ quirks) {
	const n = 5
	for i := 0; i < n; i++ {
		mustSend(t, push, cat([][]byte{[]byte(fmt.Sprint("p", i))}, bodyQ)...)
	}
	for i := 0; i < n; i++ {
		mustRecvEqual(t, pull, cat([][]byte{[]byte(fmt.Sprint("p", i))}, bodyQ)...)
	}
}

// pubSub subscribes to "a" and "b", checks delivery and filtering, cancels
// "b" and checks that "b" stops while "a" goes on. With x, the publisher is
// an XPUB that must see the subscription messages (01 a, 01 b, 00 b)
// unless it is known not to pass them up, and the subscriber is an XSUB.
func pubSub(t *testing.T, pub, sub Side, x bool, qk quirks) {
	notify := x && !qk.xpubSilent
	for _, topic := range []string{"a", "b"} {
		if err := sub.Subscribe([]byte(topic)); err != nil {
			t.Fatal(err)
		}
	}
	if notify {
		mustRecvEqual(t, pub, []byte("\x01a"))
		mustRecvEqual(t, pub, []byte("\x01b"))
	}
	// Slow joiner: publish until the first "a" arrives.
	got := false
	for i := 0; i < 100 && !got; i++ {
		mustSend(t, pub, []byte("a-sync"), []byte(fmt.Sprint(i)))
		m, err := sub.Recv(100 * time.Millisecond)
		switch {
		case errors.Is(err, ErrPeerTimeout):
		case err != nil:
			t.Fatal(err)
		case !bytes.Equal(m[0], []byte("a-sync")):
			t.Fatalf("SUB received %s while waiting for a-sync", Spec(m))
		default:
			got = true
		}
	}
	if !got {
		t.Fatal("the subscription to \"a\" never took effect")
	}

	mustSend(t, pub, []byte("c-unsubscribed"))
	mustSend(t, pub, cat([][]byte{[]byte("b1")}, bodyQ)...)
	mustSend(t, pub, []byte("a1"), []byte{})
	// The probes sent after the first to arrive come first (however late:
	// a busy machine may hold one back for long).
	m := mustRecv(t, sub)
	for bytes.Equal(m[0], []byte("a-sync")) {
		m = mustRecv(t, sub)
	}
	if want := cat([][]byte{[]byte("b1")}, bodyQ); !FramesEqual(m, want) {
		t.Fatalf("received %s, want %s", Spec(m), Spec(want))
	}
	mustRecvEqual(t, sub, []byte("a1"), []byte{})

	if err := sub.Unsubscribe([]byte("b")); err != nil {
		t.Fatal(err)
	}
	if notify {
		mustRecvEqual(t, pub, []byte("\x00b"))
	}
	// The cancel reaches the publisher asynchronously: "b" may still come
	// before the first round that has only "a", never after it.
	lone := 0
	for i := 0; i < 100 && lone < 3; i++ {
		bi, ai := []byte(fmt.Sprint("b-", i)), []byte(fmt.Sprint("a-", i))
		mustSend(t, pub, bi)
		mustSend(t, pub, ai)
		m := mustRecv(t, sub)
		if bytes.Equal(m[0], bi) {
			if lone > 0 {
				t.Fatalf("SUB received %q after unsubscribing from \"b\" took effect", bi)
			}
			m = mustRecv(t, sub)
		} else {
			lone++
		}
		if !FramesEqual(m, [][]byte{ai}) {
			t.Fatalf("SUB received %s, want %q", Spec(m), ai)
		}
	}
	if lone < 3 {
		t.Fatal("\"b\" kept coming after the unsubscribe")
	}
}

func pair(t *testing.T, a, b Side, _ quirks) {
	for i := 0; i < 2; i++ {
		mustSend(t, a, bodyQ...)
		mustRecvEqual(t, b, bodyQ...)
		mustSend(t, b, bodyA...)
		mustRecvEqual(t, a, bodyA...)
	}
}
