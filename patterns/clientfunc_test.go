package patterns

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/zmesh/zmesh/socket"
)

// A NewClientFunc socket's take sees every message, in order, and those
// it takes never reach Recv; those it leaves are received as usual, also
// in order. Over every transport (inproc's deliveries run take on the
// sending goroutine), with replies sent in two parts (RouteConcat), which
// take sees whole, as Recv returns them.
func TestClientFuncTakes(t *testing.T) {
	const n = 400
	for name, ep := range endpoints(t) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			zctx := newCtx(t)
			srv, bound := serverOn(t, zctx, Options{}, ep)
			sctx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					m, err := srv.Recv(sctx)
					if err != nil {
						return
					}
					if err := srv.RouteConcat(sctx, m.Body[:3], m.Body[3:], m.RoutingID); err != nil {
						return
					}
				}
			}()
			defer func() { stop(); wg.Wait() }()

			taken := make(chan string, n)
			cli, err := NewClientFunc(zctx, Options{}, func(m Msg) bool {
				if m.Tail != nil {
					t.Errorf("take got a message with a Tail: %q + %q", m.Body, m.Tail)
				}
				if !strings.HasPrefix(string(m.Body), "take ") {
					return false
				}
				taken <- string(m.Body)
				return true
			})
			must(t, err)
			defer cli.Close()
			must(t, cli.Connect(bound))
			for i := range n {
				verb := "take"
				if i%3 == 0 {
					verb = "leave"
				}
				must(t, cli.Send(ctx, fmt.Appendf(nil, "%s %d", verb, i)))
			}
			for i := range n {
				if i%3 == 0 {
					m, err := cli.Recv(ctx)
					must(t, err)
					if want := fmt.Sprintf("leave %d", i); string(m.Body) != want {
						t.Fatalf("Recv got %q, want %q", m.Body, want)
					}
					continue
				}
				select {
				case got := <-taken:
					if want := fmt.Sprintf("take %d", i); got != want {
						t.Fatalf("take got %q, want %q", got, want)
					}
				case <-ctx.Done():
					t.Fatalf("take %d never came", i)
				}
			}
			if m, err := cli.TryRecv(); !errors.Is(err, socket.ErrWouldBlock) {
				t.Fatalf("after the last message: TryRecv = %q, %v; want ErrWouldBlock (taken messages never reach Recv)", m.Body, err)
			}
		})
	}
}

func TestClientFuncNilTake(t *testing.T) {
	if _, err := NewClientFunc(newCtx(t), Options{}, nil); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("NewClientFunc(nil take) = %v; want ErrInvalidInput", err)
	}
}
