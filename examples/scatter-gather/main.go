// Command scatter-gather runs a pipeline: a SCATTER hands jobs round-robin
// to three workers (each a GATHER for jobs and a SCATTER for results), and
// a GATHER collects their results, fair-queued.
//
//	jobs (scatter) ──▶ worker 1..3 (gather ▸ scatter) ──▶ results (gather)
//
// Each job is a number; a worker answers with its square. The program
// checks that every job came back once.
//
//	go run ./examples/scatter-gather
package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

const (
	workers = 3
	jobs    = 30
)

func main() { cmdline.Main("scatter-gather", 30*time.Second, run) }

func run(ctx context.Context) error {
	zctx := socket.NewCtx(nil)
	var wg sync.WaitGroup
	// Closing the context ends the workers' Recv; then wait for them.
	defer func() { zctx.Close(); wg.Wait() }()
	out, err := patterns.NewScatter(zctx, socket.Options{})
	if err != nil {
		return err
	}
	connected := out.Monitor() // before any worker connects
	if err := out.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	in, err := patterns.NewGather(zctx, socket.Options{})
	if err != nil {
		return err
	}
	if err := in.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	jobsAt, _ := out.LastEndpoint()
	resultsAt, _ := in.LastEndpoint()

	failed := make(chan error, workers)
	for id := 1; id <= workers; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(ctx, zctx, id, jobsAt, resultsAt); err != nil {
				failed <- fmt.Errorf("worker %d: %w", id, err)
			}
		}()
	}
	// A scatter sends only to connected workers: wait for all three, or the
	// first one would get every job.
	for ready := 0; ready < workers; {
		select {
		case e := <-connected:
			if e.Type == socket.EventHandshakeSucceeded {
				ready++
			}
		case err := <-failed:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	for n := 1; n <= jobs; n++ {
		if err := out.Send(ctx, []byte(strconv.Itoa(n))); err != nil {
			return err
		}
	}
	done := make(map[int]bool)
	perWorker := make(map[string]int)
	for len(done) < jobs {
		m, err := in.Recv(ctx)
		if err != nil {
			return err
		}
		var worker string
		var n, square int
		if _, err := fmt.Sscanf(string(m.Body), "%s %d %d", &worker, &n, &square); err != nil {
			return fmt.Errorf("result %q: %w", m.Body, err)
		}
		if n < 1 || n > jobs || done[n] || square != n*n {
			return fmt.Errorf("unexpected result %q", m.Body)
		}
		done[n] = true
		perWorker[worker]++
	}
	for id := 1; id <= workers; id++ {
		name := "worker-" + strconv.Itoa(id)
		fmt.Printf("%s did %d jobs\n", name, perWorker[name])
	}
	fmt.Printf("all %d results gathered\n", jobs)
	return nil
}

// work squares the numbers it gathers and scatters the results, until its
// sockets close.
func work(ctx context.Context, zctx *socket.Ctx, id int, jobsAt, resultsAt string) error {
	in, err := patterns.NewGather(zctx, socket.Options{})
	if err != nil {
		return err
	}
	if err := in.Connect(jobsAt); err != nil {
		return err
	}
	out, err := patterns.NewScatter(zctx, socket.Options{})
	if err != nil {
		return err
	}
	if err := out.Connect(resultsAt); err != nil {
		return err
	}
	for {
		m, err := in.Recv(ctx)
		if err != nil {
			return ignoreShutdown(err)
		}
		n, err := strconv.Atoi(string(m.Body))
		if err != nil {
			return err
		}
		if err := out.Send(ctx, fmt.Appendf(nil, "worker-%d %d %d", id, n, n*n)); err != nil {
			return ignoreShutdown(err)
		}
	}
}

// ignoreShutdown returns nil for the errors of a closed socket or context.
func ignoreShutdown(err error) error {
	if errors.Is(err, socket.ErrClosed) || errors.Is(err, socket.ErrInvalidCtx) {
		return nil
	}
	return err
}
