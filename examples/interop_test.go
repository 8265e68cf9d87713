package examples

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
)

// The echo examples against libzmq's own peers, both ways.
func TestEchoExamplesAgainstLibzmq(t *testing.T) {
	env := interop.Require(t)
	server, client := build(t, "echo-server"), build(t, "echo-client")

	t.Run("libzmq client to echo-server", func(t *testing.T) {
		eps := startServer(t, server, "tcp://127.0.0.1:*")
		for _, size := range []string{"0", "64", "65536"} {
			p := env.Start(t, "--type", "client", "--connect", eps[0], "--mode", "reqrep", "--count", "500", "--size", size)
			if err := p.Wait(30 * time.Second); err != nil {
				t.Fatalf("libzmq client, %s-byte bodies: %v", size, err)
			}
		}
	})

	t.Run("echo-client to libzmq server", func(t *testing.T) {
		p := env.Start(t, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo", "--count", "0", "--timeout", "60000")
		line, err := p.WaitLine("bound ", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ep := strings.TrimPrefix(line, "bound ")
		for _, tc := range []struct{ count, size string }{{"5000", "64"}, {"100", "0"}, {"10", "1048576"}} {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			out, err := exec.CommandContext(ctx, client, "--connect", ep, "--count", tc.count, "--size", tc.size).CombinedOutput()
			cancel()
			if err != nil || !strings.Contains(string(out), "echoed "+tc.count+" messages") {
				t.Fatalf("echo-client against libzmq (%v): %v\n%s", tc, err, out)
			}
		}
	})
}
