// Command basic-request-reply is the smallest zmesh request-reply program:
// a SERVER and a CLIENT in one process, over inproc. The client asks, the
// server answers the peer the request came from (by its routing id).
//
//	go run ./examples/basic-request-reply
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func main() { cmdline.Main("basic-request-reply", 0, run) }

func run(ctx context.Context) error {
	// inproc endpoints live in a Ctx; closing it closes every socket in it.
	zctx := socket.NewCtx(nil)
	defer zctx.Close()

	srv, err := patterns.NewServer(zctx, socket.Options{})
	if err != nil {
		return err
	}
	if err := srv.Bind("inproc://ping-pong"); err != nil {
		return err
	}
	cli, err := patterns.NewClient(zctx, socket.Options{})
	if err != nil {
		return err
	}
	if err := cli.Connect("inproc://ping-pong"); err != nil {
		return err
	}

	served := make(chan error, 1)
	go func() { served <- serve(ctx, srv) }()

	for i := 1; i <= 3; i++ {
		if err := cli.Send(ctx, fmt.Appendf(nil, "ping %d", i)); err != nil {
			return err
		}
		reply, err := cli.Recv(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("client: ping %d -> %s\n", i, reply.Body)
	}
	zctx.Close() // ends the server's Recv
	return <-served
}

// serve answers each request with a pong, until its socket closes.
func serve(ctx context.Context, srv *patterns.Server) error {
	for {
		req, err := srv.Recv(ctx)
		if errors.Is(err, socket.ErrClosed) || errors.Is(err, socket.ErrInvalidCtx) {
			return nil
		}
		if err != nil {
			return err
		}
		reply := append([]byte("pong"), req.Body[len("ping"):]...)
		if err := srv.Route(ctx, reply, req.RoutingID); err != nil {
			return err
		}
	}
}
