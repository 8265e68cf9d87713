package patterns_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// A Server answers each Client request by routing the reply to the routing
// id the request came with.
func ExampleServer_Route() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	srv, _ := patterns.NewServer(zctx, socket.Options{})
	srv.Bind("tcp://127.0.0.1:*")
	ep, _ := srv.LastEndpoint()

	cli, _ := patterns.NewClient(zctx, socket.Options{RecvTimeout: 5 * time.Second})
	cli.Connect(ep)
	cli.Send(ctx, []byte("ping"))

	req, _ := srv.Recv(ctx)
	srv.Route(ctx, append([]byte("pong to "), req.Body...), req.RoutingID)

	reply, _ := cli.Recv(ctx)
	fmt.Println(string(reply.Body))
	// Output: pong to ping
}

// A Dish receives only the groups it joined; over inproc no byte is copied.
func ExampleDish_Join() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	dish, _ := patterns.NewDish(zctx, socket.Options{})
	dish.Bind("inproc://weather")
	dish.Join("rain")

	radio, _ := patterns.NewRadio(zctx, socket.Options{}, patterns.RadioOptions{})
	radio.Connect("inproc://weather")
	radio.Transmit(ctx, []byte("sunny"), "sun")
	radio.Transmit(ctx, []byte("drizzle"), "rain")

	m, _ := dish.Recv(ctx)
	fmt.Println(m.Group, string(m.Body))
	// Output: rain drizzle
}

// A Scatter spreads messages round-robin over its Gather peers.
func ExampleScatter_Send() {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	ctx := context.Background()

	gather, _ := patterns.NewGather(zctx, socket.Options{})
	gather.Bind("inproc://work")
	scatter, _ := patterns.NewScatter(zctx, socket.Options{})
	scatter.Connect("inproc://work")

	for _, job := range []string{"a", "b", "c"} {
		scatter.Send(ctx, []byte(job))
	}
	for i := 0; i < 3; i++ {
		m, _ := gather.Recv(ctx)
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
	cli, _ := patterns.NewClient(zctx, socket.Options{})

	err := cli.TrySend([]byte("hello"))
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
	srv, _ := patterns.NewServer(zctx, socket.Options{})
	srv.Bind("tcp://127.0.0.1:*")
	ep, _ := srv.LastEndpoint()

	cli, _ := patterns.NewClient(zctx, socket.Options{})
	events := cli.Monitor()
	cli.Connect(ep)
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

	g, _ := patterns.NewGather(zctx, socket.Options{})
	g.Bind("tcp://127.0.0.1:*")
	ep, _ := g.LastEndpoint()
	s, _ := patterns.NewScatter(zctx, socket.Options{})
	s.Connect(ep)

	go func() {
		for i := 0; i < 100; i++ {
			s.Send(ctx, make([]byte, 64<<10))
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

	srv, _ := patterns.NewServer(zctx, socket.Options{})
	srv.Bind("tcp://127.0.0.1:*")
	ep, _ := srv.LastEndpoint()

	cli, _ := patterns.NewClient(zctx, socket.Options{})
	cli.Connect(ep)
	value := make([]byte, 1<<20) // sent from this memory, not a copy
	cli.SendConcat(ctx, []byte("blob:"), value)

	m, _ := srv.Recv(ctx)
	fmt.Println(string(m.Body[:5]), len(m.Body))
	// Output: blob: 1048581
}
