package patterns_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// must stops an example at an error; a program would handle each one.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

// bound binds s to a free tcp port and returns the endpoint to connect to.
func bound(s interface {
	Bind(string) error
	LastEndpoint() (string, error)
}) string {
	must(s.Bind("tcp://127.0.0.1:*"))
	ep, err := s.LastEndpoint()
	must(err)
	return ep
}

// A Server answers each Client request by routing the reply to the routing
// id the request came with.
func ExampleServer_Route() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	srv, err := patterns.NewServer(zctx, socket.Options{})
	must(err)
	must(srv.Bind("tcp://127.0.0.1:*"))
	ep, err := srv.LastEndpoint()
	must(err)

	cli, err := patterns.NewClient(zctx, socket.Options{RecvTimeout: 5 * time.Second})
	must(err)
	must(cli.Connect(ep))
	must(cli.Send(ctx, []byte("ping")))

	req, err := srv.Recv(ctx)
	must(err)
	must(srv.Route(ctx, append([]byte("pong to "), req.Body...), req.RoutingID))

	reply, err := cli.Recv(ctx)
	must(err)
	fmt.Println(string(reply.Body))
	// Output: pong to ping
}

// A Client made with NewClientFunc hands each reply to the goroutine
// waiting for it as soon as it is read, with no goroutine of its own
// waiting in Recv.
func ExampleNewClientFunc() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	srv, err := patterns.NewServer(zctx, socket.Options{})
	must(err)
	ep := bound(srv)
	go func() { // echoes until zctx closes
		for {
			req, err := srv.Recv(ctx)
			if err != nil {
				return
			}
			_ = srv.Route(ctx, req.Body, req.RoutingID)
		}
	}()

	replies := make(chan string, 1)
	cli, err := patterns.NewClientFunc(zctx, socket.Options{}, func(m patterns.Msg) bool {
		select {
		case replies <- string(m.Body):
			return true
		default:
			return false // nobody waits: leave it for Recv
		}
	})
	must(err)
	must(cli.Connect(ep))
	must(cli.Send(ctx, []byte("ping")))
	fmt.Println(<-replies)
	// Output: ping
}

// A Dish receives only the groups it joined; over inproc no byte is copied.
func ExampleDish_Join() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	dish, err := patterns.NewDish(zctx, socket.Options{})
	must(err)
	must(dish.Bind("inproc://weather"))
	must(dish.Join("rain"))

	radio, err := patterns.NewRadio(zctx, socket.Options{}, patterns.RadioOptions{})
	must(err)
	must(radio.Connect("inproc://weather"))
	must(radio.Transmit(ctx, []byte("sunny"), "sun"))
	must(radio.Transmit(ctx, []byte("drizzle"), "rain"))

	m, err := dish.Recv(ctx)
	must(err)
	fmt.Println(m.Group, string(m.Body))
	// Output: rain drizzle
}

// A Scatter spreads messages round-robin over its Gather peers.
func ExampleScatter_Send() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	gather, err := patterns.NewGather(zctx, socket.Options{})
	must(err)
	must(gather.Bind("inproc://work"))
	scatter, err := patterns.NewScatter(zctx, socket.Options{})
	must(err)
	must(scatter.Connect("inproc://work"))

	for _, job := range []string{"a", "b", "c"} {
		must(scatter.Send(ctx, []byte(job)))
	}
	for i := 0; i < 3; i++ {
		m, err := gather.Recv(ctx)
		must(err)
		fmt.Print(string(m.Body))
	}
	fmt.Println()
	// Output: abc
}

// TrySend never blocks: with no peer to take the message it fails with
// ErrWouldBlock and hands the message back.
func ExampleClient_TrySend() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	cli, err := patterns.NewClient(zctx, socket.Options{})
	must(err)

	err = cli.TrySend([]byte("hello"))
	var se *socket.SendError
	if errors.As(err, &se) && errors.Is(err, socket.ErrWouldBlock) {
		fmt.Printf("not sent: %q\n", se.Msg.Body)
	}
	// Output: not sent: "hello"
}

// The monitor reports what happens on the wire, with reasons.
func ExampleClient_Monitor() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, err := patterns.NewServer(zctx, socket.Options{})
	must(err)
	ep := bound(srv)

	cli, err := patterns.NewClient(zctx, socket.Options{})
	must(err)
	events := cli.Monitor()
	must(cli.Connect(ep))
	for e := range events {
		if e.Type == socket.EventHandshakeSucceeded {
			fmt.Println(e.Type)
			break
		}
	}
	// Output: handshake-succeeded
}

// A receiver of many large messages hands each body back once it is done
// with it, so the next ones arrive without an allocation. Here a Gather
// sums the bytes of 64 KiB messages a Scatter sends over tcp.
func ExampleGather_Recv_release() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	g, err := patterns.NewGather(zctx, socket.Options{})
	must(err)
	ep := bound(g)
	s, err := patterns.NewScatter(zctx, socket.Options{})
	must(err)
	must(s.Connect(ep))

	go func() {
		for i := 0; i < 100; i++ {
			if s.Send(ctx, make([]byte, 64<<10)) != nil {
				return
			}
		}
	}()
	total := 0
	for i := 0; i < 100; i++ {
		m, err := g.Recv(ctx)
		if err != nil {
			return
		}
		total += len(m.Body)
		m.Release() // m.Body must not be used after this
	}
	fmt.Println(total)
	// Output: 6553600
}

// SendConcat frames a large value with a small header without copying the
// value into a new buffer; the peer receives one message.
func ExampleClient_SendConcat() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	srv, err := patterns.NewServer(zctx, socket.Options{})
	must(err)
	ep := bound(srv)

	cli, err := patterns.NewClient(zctx, socket.Options{})
	must(err)
	must(cli.Connect(ep))
	value := make([]byte, 1<<20) // sent from this memory, not a copy
	must(cli.SendConcat(ctx, []byte("blob:"), value))

	m, err := srv.Recv(ctx)
	must(err)
	fmt.Println(string(m.Body[:5]), len(m.Body))
	// Output: blob: 1048581
}
