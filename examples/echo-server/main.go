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
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var binds list
	flag.Var(&binds, "bind", "endpoint to bind (repeatable), e.g. tcp://127.0.0.1:*")
	heartbeat := flag.Duration("heartbeat", 0, "PING interval (0: off)")
	flag.Parse()
	if len(binds) == 0 {
		binds = list{"tcp://127.0.0.1:5555"}
	}
	if err := run(binds, *heartbeat); err != nil {
		fmt.Fprintln(os.Stderr, "echo-server:", err)
		os.Exit(1)
	}
}

func run(binds []string, heartbeat time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
