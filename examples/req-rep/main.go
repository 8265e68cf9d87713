// Command req-rep is ZeroMQ's classic request-reply with zmesh's REQ and
// REP: the client sends "hello N", the server answers "world N". REQ and
// REP are wire-compatible with every ZeroMQ library (libzmq, pyzmq,
// zmq4), so either side can be one of them (see README.md).
//
//	go run ./examples/req-rep                                # both sides, here
//	go run ./examples/req-rep --bind tcp://127.0.0.1:5555    # the server only
//	go run ./examples/req-rep --connect tcp://127.0.0.1:5555 --count 5
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func main() {
	bind := flag.String("bind", "", "run only the REP server, bound here")
	connect := flag.String("connect", "", "run only the REQ client, connected here")
	count := flag.Int("count", 3, "requests the client sends")
	flag.Parse()
	cmdline.Main("req-rep", 0, func(ctx context.Context) error {
		zctx := socket.NewCtx(nil)
		defer zctx.Close()
		switch {
		case *bind != "":
			rep, err := server(zctx, *bind)
			if err != nil {
				return err
			}
			return serve(ctx, rep, -1)
		case *connect != "":
			return client(ctx, zctx, *connect, *count)
		}
		rep, err := server(zctx, "tcp://127.0.0.1:*")
		if err != nil {
			return err
		}
		ep, err := rep.LastEndpoint()
		if err != nil {
			return err
		}
		served := make(chan error, 1)
		go func() { served <- serve(ctx, rep, *count) }()
		if err := client(ctx, zctx, ep, *count); err != nil {
			return err
		}
		return <-served
	})
}

func server(zctx *socket.Ctx, ep string) (*patterns.Rep, error) {
	rep, err := patterns.NewRep(zctx, socket.Options{})
	if err != nil {
		return nil, err
	}
	if err := rep.Bind(ep); err != nil {
		return nil, err
	}
	bound, _ := rep.LastEndpoint()
	fmt.Println("server: bound", bound)
	return rep, nil
}

// serve answers n requests (n < 0: until ctx ends). A REP hides the
// envelope: it receives the request's frames and its reply goes back to the
// peer that asked.
func serve(ctx context.Context, rep *patterns.Rep, n int) error {
	for i := 0; n < 0 || i < n; i++ {
		req, err := rep.RecvFrames(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		if err != nil {
			return err
		}
		last := req[len(req)-1]
		reply := append([]byte("world"), bytes.TrimPrefix(last, []byte("hello"))...)
		if err := rep.SendFrames(ctx, reply); err != nil {
			return err
		}
	}
	return nil
}

// client sends count requests, one at a time: a REQ must receive each
// reply before it sends again.
func client(ctx context.Context, zctx *socket.Ctx, ep string, count int) error {
	req, err := patterns.NewReq(zctx, socket.Options{})
	if err != nil {
		return err
	}
	defer req.Close()
	if err := req.Connect(ep); err != nil {
		return err
	}
	for i := 1; i <= count; i++ {
		if err := req.SendFrames(ctx, fmt.Appendf(nil, "hello %d", i)); err != nil {
			return err
		}
		reply, err := req.RecvFrames(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("client: hello %d -> %s\n", i, bytes.Join(reply, []byte(" | ")))
	}
	return nil
}
