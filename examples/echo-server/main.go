// Command echo-server binds a zmesh SERVER socket and sends every message
// back to the client that sent it.
//
//	go run ./examples/echo-server --bind tcp://127.0.0.1:5555 --bind ipc:///tmp/echo.sock
//
// It prints "bound <endpoint>" for each endpoint once it listens (with a
// wildcard port resolved), then serves until interrupted. Any libzmq CLIENT
// can talk to it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func main() {
	binds := cmdline.ListFlag("bind", "endpoint to bind (repeatable), e.g. tcp://127.0.0.1:*", "tcp://127.0.0.1:5555")
	heartbeat := flag.Duration("heartbeat", 0, "PING interval (0: off)")
	flag.Parse()
	cmdline.Main("echo-server", 0, func(ctx context.Context) error {
		return run(ctx, binds.Values(), *heartbeat)
	})
}

func run(ctx context.Context, binds []string, heartbeat time.Duration) error {
	srv, err := patterns.NewServer(nil, socket.Options{Heartbeat: socket.Heartbeat{Interval: heartbeat}})
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, ep := range binds {
		if err := srv.Bind(ep); err != nil {
			return err
		}
		bound, _ := srv.LastEndpoint()
		fmt.Println("bound", bound)
	}
	for {
		m, err := srv.Recv(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		// A client that left before its echo is not an error.
		if err := srv.Route(ctx, m.Body, m.RoutingID); err != nil && !errors.Is(err, socket.ErrHostUnreachable) {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
	}
}
