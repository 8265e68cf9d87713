// Command echo-client sends messages to an echo server through a zmesh
// CLIENT socket and checks that every one comes back intact.
//
//	go run ./examples/echo-client --connect tcp://127.0.0.1:5555 --count 10000 --size 64
//
// It exits 0 only when all --count echoes came back, each exactly as sent,
// and prints the rate. Messages of 8 bytes or more carry their sequence
// number, so up to --window of them are in flight at once (and several
// servers may answer out of order); smaller ones go one at a time.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func main() {
	connects := cmdline.ListFlag("connect", "endpoint to connect to (repeatable)", "tcp://127.0.0.1:5555")
	count := flag.Int("count", 1000, "messages to send")
	size := flag.Int("size", 64, "message size in bytes")
	window := flag.Int("window", 256, "messages in flight at once (sizes of 8 bytes and up)")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	flag.Parse()
	if *count < 0 || *size < 0 || *window < 1 {
		fmt.Fprintln(os.Stderr, "echo-client: --count and --size must be >= 0, --window >= 1")
		os.Exit(2)
	}
	cmdline.Main("echo-client", *timeout, func(ctx context.Context) error {
		start := time.Now()
		if err := run(ctx, connects.Values(), *count, *size, *window); err != nil {
			return err
		}
		d := time.Since(start)
		fmt.Printf("echoed %d messages of %d bytes in %v (%.0f msg/s)\n", *count, *size, d.Round(time.Millisecond), float64(*count)/d.Seconds())
		return nil
	})
}

// body returns message seq: its sequence number (when it fits) followed
// by bytes derived from it, so a corrupted or misrouted echo is caught.
func body(seq, size int) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(seq*7 + j)
	}
	if size >= 8 {
		binary.BigEndian.PutUint64(b, uint64(seq))
	}
	return b
}

func run(ctx context.Context, connects []string, count, size, window int) error {
	cli, err := patterns.NewClient(nil, socket.Options{})
	if err != nil {
		return err
	}
	defer cli.Close()
	for _, ep := range connects {
		if err := cli.Connect(ep); err != nil {
			return err
		}
	}
	if size < 8 {
		window = 1
	}
	seen := make([]bool, count)
	sent, got := 0, 0
	for got < count {
		for sent < count && sent-got < window {
			if err := cli.Send(ctx, body(sent, size)); err != nil {
				return fmt.Errorf("send %d: %w", sent, err)
			}
			sent++
		}
		m, err := cli.Recv(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("timed out with %d of %d echoes back", got, count)
			}
			return err
		}
		seq := got // lockstep: the echo of the one message in flight
		if size >= 8 {
			if len(m.Body) < 8 {
				return fmt.Errorf("echo %d: %d bytes, want %d", got, len(m.Body), size)
			}
			seq = int(binary.BigEndian.Uint64(m.Body))
		}
		if seq < 0 || seq >= sent || seen[seq] {
			return fmt.Errorf("echo %d: unexpected or repeated sequence number %d", got, seq)
		}
		if want := body(seq, size); string(m.Body) != string(want) {
			return fmt.Errorf("echo of message %d differs from what was sent (%d bytes back)", seq, len(m.Body))
		}
		seen[seq] = true
		got++
	}
	return nil
}
