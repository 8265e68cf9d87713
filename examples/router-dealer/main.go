// Command router-dealer is ZeroMQ's request-reply broker with zmesh's
// ROUTER and DEALER: clients (REQ) connect to the broker's ROUTER
// frontend, workers (REP) connect to its DEALER backend, and
// patterns.Proxy moves requests to the workers, round-robin, and replies
// back to the client each came from (the routing ids travel in the
// envelope). Clients and workers need not know each other, and any of them
// can be a libzmq or pyzmq program (see README.md).
//
//	go run ./examples/router-dealer        # broker, 2 workers and a client, here
//	go run ./examples/router-dealer --frontend tcp://127.0.0.1:5559 --backend tcp://127.0.0.1:5560
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func main() {
	frontend := flag.String("frontend", "", "run only the broker: the ROUTER for clients binds here")
	backend := flag.String("backend", "", "with --frontend: the DEALER for workers binds here")
	requests := flag.Int("requests", 4, "requests the demo client sends")
	flag.Parse()
	cmdline.Main("router-dealer", 0, func(ctx context.Context) error {
		zctx := socket.NewCtx(nil)
		defer zctx.Close()
		if *frontend != "" {
			if *backend == "" {
				return errors.New("--frontend needs --backend")
			}
			fe, be, err := broker(zctx, *frontend, *backend)
			if err != nil {
				return err
			}
			return proxy(ctx, fe, be)
		}
		return demo(ctx, zctx, *requests)
	})
}

// broker binds the frontend ROUTER and the backend DEALER and prints their
// endpoints.
func broker(zctx *socket.Ctx, front, back string) (*patterns.Router, *patterns.Dealer, error) {
	fe, err := patterns.NewRouter(zctx, socket.Options{})
	if err != nil {
		return nil, nil, err
	}
	be, err := patterns.NewDealer(zctx, socket.Options{})
	if err != nil {
		return nil, nil, err
	}
	if err := fe.Bind(front); err != nil {
		return nil, nil, err
	}
	if err := be.Bind(back); err != nil {
		return nil, nil, err
	}
	f, _ := fe.LastEndpoint()
	b, _ := be.LastEndpoint()
	fmt.Println("broker: frontend", f)
	fmt.Println("broker: backend", b)
	return fe, be, nil
}

// proxy runs until ctx ends; that end is not an error.
func proxy(ctx context.Context, fe *patterns.Router, be *patterns.Dealer) error {
	err := patterns.Proxy(ctx, fe, be, nil)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func demo(ctx context.Context, zctx *socket.Ctx, requests int) error {
	fe, be, err := broker(zctx, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*")
	if err != nil {
		return err
	}
	front, _ := fe.LastEndpoint()
	back, _ := be.LastEndpoint()

	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	// Take the backend's monitor before the workers connect, then wait for
	// both handshakes: the DEALER deals only among connected workers, and
	// the demo should show both taking turns.
	mon := be.Monitor()
	wg.Add(1)
	go func() { defer wg.Done(); errs <- proxy(wctx, fe, be) }()
	for _, name := range []string{"worker-a", "worker-b"} {
		w, err := patterns.NewRep(zctx, socket.Options{})
		if err != nil {
			stop()
			wg.Wait()
			return err
		}
		if err := w.Connect(back); err != nil {
			stop()
			wg.Wait()
			return err
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs <- work(wctx, w, name) }()
	}

	err = waitWorkers(ctx, mon, 2)
	if err == nil {
		err = client(ctx, zctx, front, requests)
	}
	stop()
	wg.Wait()
	close(errs)
	for e := range errs {
		if err == nil {
			err = e
		}
	}
	return err
}

// waitWorkers waits for n completed handshakes on the backend.
func waitWorkers(ctx context.Context, mon <-chan socket.Event, n int) error {
	for n > 0 {
		select {
		case e := <-mon:
			if e.Type == socket.EventHandshakeSucceeded {
				n--
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// work answers requests until ctx ends, saying who answered.
func work(ctx context.Context, rep *patterns.Rep, name string) error {
	for {
		req, err := rep.RecvFrames(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := rep.SendFrames(ctx, append(req, []byte("done by "+name))...); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
}

// client sends requests one at a time through the broker.
func client(ctx context.Context, zctx *socket.Ctx, front string, requests int) error {
	req, err := patterns.NewReq(zctx, socket.Options{})
	if err != nil {
		return err
	}
	defer req.Close()
	if err := req.Connect(front); err != nil {
		return err
	}
	for i := 1; i <= requests; i++ {
		if err := req.SendFrames(ctx, fmt.Appendf(nil, "job %d", i)); err != nil {
			return err
		}
		reply, err := req.RecvFrames(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("client: %s, %s\n", reply[0], reply[len(reply)-1])
	}
	return nil
}
