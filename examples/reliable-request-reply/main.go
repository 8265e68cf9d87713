// Command reliable-request-reply shows request-reply that copes with peers
// that go away, over tcp:
//
//   - heartbeats (PING/PONG) notice a dead link even when nothing is sent;
//   - send and receive timeouts bound every wait;
//   - the client resends a request that got no reply in time (and ignores
//     late replies to earlier attempts);
//   - the server drops a reply it cannot route, because its client left
//     (socket.ErrHostUnreachable) or stopped reading (the send timeout),
//     and keeps serving everyone else.
//
// An impatient client asks for slow work, gives up after 100ms and leaves;
// the server finishes, finds its client gone, drops the reply and serves a
// patient client's three jobs.
//
//	go run ./examples/reliable-request-reply
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// heartbeat: a PING every 100ms; a peer silent for 300ms after one is dead.
var heartbeat = socket.Heartbeat{Interval: 100 * time.Millisecond, Timeout: 300 * time.Millisecond, TTL: time.Second}

func main() { cmdline.Main("reliable-request-reply", 30*time.Second, run) }

func run(ctx context.Context) error {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()
	srv, err := patterns.NewServer(zctx, socket.Options{Heartbeat: heartbeat, SendTimeout: time.Second})
	if err != nil {
		return err
	}
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	endpoint, _ := srv.LastEndpoint()
	dropped := make(chan int, 1)
	go func() { dropped <- serve(ctx, srv) }()

	if err := impatient(ctx, zctx, endpoint); err != nil {
		return err
	}
	if err := patient(ctx, zctx, endpoint); err != nil {
		return err
	}
	zctx.Close() // ends the server's Recv
	fmt.Printf("server: shut down; it dropped %d reply and served every other request\n", <-dropped)
	return nil
}

// serve answers every request after doing its work (500ms for "slow"
// requests), and returns how many replies it had to drop.
func serve(ctx context.Context, srv *patterns.Server) (dropped int) {
	for {
		req, err := srv.Recv(ctx)
		if err != nil { // socket closed or ctx done
			return dropped
		}
		work := 10 * time.Millisecond
		if strings.HasPrefix(string(req.Body), "slow") {
			work = 500 * time.Millisecond
		}
		time.Sleep(work)
		err = srv.Route(ctx, append([]byte("done: "), req.Body...), req.RoutingID)
		switch {
		case err == nil:
		case errors.Is(err, socket.ErrHostUnreachable):
			fmt.Printf("server: the client of %q is gone; reply dropped\n", req.Body)
			dropped++
		case errors.Is(err, socket.ErrWouldBlock):
			fmt.Printf("server: the client of %q is not reading; reply dropped\n", req.Body)
			dropped++
		default:
			return dropped
		}
	}
}

// impatient asks for slow work, waits 100ms for the answer, and leaves.
func impatient(ctx context.Context, zctx *socket.Ctx, endpoint string) error {
	cli, err := patterns.NewClient(zctx, socket.Options{Heartbeat: heartbeat, RecvTimeout: 100 * time.Millisecond})
	if err != nil {
		return err
	}
	defer cli.Close()
	if err := cli.Connect(endpoint); err != nil {
		return err
	}
	if err := cli.Send(ctx, []byte("slow report")); err != nil {
		return err
	}
	if _, err := cli.Recv(ctx); !errors.Is(err, socket.ErrWouldBlock) {
		return fmt.Errorf("impatient client: want a receive timeout, got %v", err)
	}
	fmt.Println("impatient client: no reply within 100ms; leaving")
	return nil
}

// patient sends three jobs, each retried up to three times.
func patient(ctx context.Context, zctx *socket.Ctx, endpoint string) error {
	cli, err := patterns.NewClient(zctx, socket.Options{Heartbeat: heartbeat, SendTimeout: time.Second, RecvTimeout: time.Second})
	if err != nil {
		return err
	}
	defer cli.Close()
	if err := cli.Connect(endpoint); err != nil {
		return err
	}
	for i := 1; i <= 3; i++ {
		req := fmt.Sprintf("job %d", i)
		reply, err := request(ctx, cli, req, 3)
		if err != nil {
			return err
		}
		fmt.Printf("patient client: %s -> %s\n", req, reply)
	}
	return nil
}

// request sends req and waits for its reply, sending it again each time
// the receive timeout expires, up to tries times. Replies to earlier
// attempts that arrive late are skipped.
func request(ctx context.Context, cli *patterns.Client, req string, tries int) (string, error) {
	want := "done: " + req
	for try := 1; try <= tries; try++ {
		if err := cli.Send(ctx, []byte(req)); err != nil {
			return "", err
		}
		for {
			m, err := cli.Recv(ctx)
			if errors.Is(err, socket.ErrWouldBlock) {
				fmt.Printf("patient client: no reply to %s yet (try %d of %d)\n", req, try, tries)
				break
			}
			if err != nil {
				return "", err
			}
			if string(m.Body) == want {
				return want, nil
			}
		}
	}
	return "", fmt.Errorf("no reply to %s after %d tries", req, tries)
}
