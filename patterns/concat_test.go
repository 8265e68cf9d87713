package patterns

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zmesh/zmesh/mechanism"
)

// concatCases are head and tail sizes around the writer's thresholds: empty
// parts, a short frame (≤ 255 bytes) made of both, a long one, parts below
// and above the size at which bodies go out uncopied, and a 1 MiB tail.
var concatCases = [][2]int{
	{0, 0}, {7, 0}, {0, 7}, {100, 155}, {100, 156}, {11, 20000}, {20000, 11},
	{20000, 20000}, {40, 1 << 20}, {3, 300},
}

// concatParts returns the head (h bytes) and tail (t bytes) of case i,
// and the one body a peer must receive for them.
func concatParts(i, h, t int) (head, tail, whole []byte) {
	head = bytes.Repeat([]byte{byte('a' + i)}, h)
	tail = bytes.Repeat([]byte{byte('A' + i)}, t)
	return head, tail, append(append([]byte{}, head...), tail...)
}

// TestSendConcatEveryTransport sends head+tail messages with
// Client.SendConcat and answers them with Server.RouteConcat, over every
// transport and through the CURVE and NOISE codecs, all sent before any is
// received so the writer batches them: each arrives as one body, in order.
func TestSendConcatEveryTransport(t *testing.T) {
	pub, sec, err := mechanism.GenerateKeyPair()
	must(t, err)
	type setup struct {
		ep       string
		srv, cli Options
	}
	setups := map[string]setup{}
	for name, ep := range endpoints(t) {
		setups[name] = setup{ep: ep}
	}
	setups["tcp+curve"] = setup{"tcp://127.0.0.1:*",
		Options{Mechanism: &mechanism.CurveServer{SecretKey: sec}}, Options{Mechanism: &mechanism.CurveClient{ServerKey: pub}}}
	setups["tcp+noise"] = setup{"tcp://127.0.0.1:*",
		Options{Mechanism: &mechanism.NoiseServer{SecretKey: sec}}, Options{Mechanism: &mechanism.NoiseClient{ServerKey: pub}}}
	for name, su := range setups {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			zctx := newCtx(t)
			srv, bound := serverOn(t, zctx, su.srv, su.ep)
			cli, err := NewClient(zctx, su.cli)
			must(t, err)
			must(t, cli.Connect(bound))
			// The server answers each message with its two halves swapped
			// around the middle, sent as head and tail again.
			sctx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					m, err := srv.Recv(sctx)
					if err != nil {
						return
					}
					half := len(m.Body) / 2
					if err := srv.RouteConcat(sctx, m.Body[half:], m.Body[:half], m.RoutingID); err != nil {
						return
					}
				}
			})
			defer func() { stop(); wg.Wait() }()

			for i, c := range concatCases {
				head, tail, _ := concatParts(i, c[0], c[1])
				if err := cli.SendConcat(ctx, head, tail); err != nil {
					t.Fatalf("SendConcat %v: %v", c, err)
				}
			}
			for i, c := range concatCases {
				_, _, whole := concatParts(i, c[0], c[1])
				half := len(whole) / 2
				want := append(append([]byte{}, whole[half:]...), whole[:half]...)
				m, err := cli.Recv(ctx)
				if err != nil {
					t.Fatalf("recv %v: %v", c, err)
				}
				if !bytes.Equal(m.Body, want) {
					t.Fatalf("head %d + tail %d: got %d bytes, %s", c[0], c[1], len(m.Body), firstDiff(m.Body, want))
				}
			}
		})
	}
}

// TestSendConcatInprocBeforeBind queues head+tail messages on an inproc
// connect whose bind comes later: they are moved to the bound side whole.
func TestSendConcatInprocBeforeBind(t *testing.T) {
	ctx := testCtx(t)
	zctx := newCtx(t)
	ep := "inproc://" + t.Name()
	cli, err := NewClient(zctx, Options{})
	must(t, err)
	must(t, cli.Connect(ep))
	for i, c := range concatCases {
		head, tail, _ := concatParts(i, c[0], c[1])
		if err := cli.SendConcat(ctx, head, tail); err != nil {
			t.Fatalf("SendConcat %v: %v", c, err)
		}
	}
	srv, err := NewServer(zctx, Options{})
	must(t, err)
	must(t, srv.Bind(ep))
	for i, c := range concatCases {
		_, _, whole := concatParts(i, c[0], c[1])
		m, err := srv.Recv(ctx)
		if err != nil {
			t.Fatalf("recv %v: %v", c, err)
		}
		if !bytes.Equal(m.Body, whole) {
			t.Fatalf("head %d + tail %d: %s", c[0], c[1], firstDiff(m.Body, whole))
		}
	}
}

// firstDiff describes where got first differs from want.
func firstDiff(got, want []byte) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("byte %d is %q, want %q", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("length %d, want %d", len(got), len(want))
}
