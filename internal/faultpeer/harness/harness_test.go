package harness_test

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmesh/zmesh/internal/faultpeer/harness"
	"github.com/zmesh/zmesh/internal/interop"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The faultpeer's own modes, peer against peer: a sender's messages reach a
// sink in order and each is printed once; reqrep gets every reply.
func TestFaultpeerSendToSinkAndReqrep(t *testing.T) {
	sinkP := harness.Start(t, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "sink", "--count", "500", "--timeout", "60s")
	ep, err := sinkP.Bound(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sender := harness.Start(t, "--type", "client", "--connect", ep, "--mode", "send", "--count", "500", "--linger", "-1ns", "--timeout", "60s")
	if err := sinkP.Wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := sender.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, l := range sinkP.Lines() {
		if s, ok := strings.CutPrefix(l, "r "); ok {
			n, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("bad line %q", l)
			}
			seqs = append(seqs, n)
		}
	}
	if len(seqs) != 500 {
		t.Fatalf("sink printed %d messages, want 500", len(seqs))
	}
	for i, s := range seqs {
		if s != i {
			t.Fatalf("message %d is seq %d", i, s)
		}
	}

	echo := harness.Start(t, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo", "--timeout", "60s")
	ep, err = echo.Bound(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cli := harness.Start(t, "--type", "client", "--connect", ep, "--mode", "reqrep", "--count", "100", "--timeout", "60s")
	if err := cli.Wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !cli.HasLine("ok 99") || !cli.HasLine("done reqrep=100") {
		t.Fatalf("reqrep output:\n%s", cli.Report())
	}
	echo.Kill()
}

// The abuser opens its connections, and a bad command line is exit 64.
func TestFaultpeerAbuseAndUsage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	ab := harness.Start(t, "--mode", "abuse", "--connect", "tcp://"+ln.Addr().String(), "--conns", "16", "--timeout", "60s")
	if _, err := ab.WaitLine("abusing", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	timeout := time.After(30 * time.Second)
	for len(conns) < 16 {
		select {
		case c := <-accepted:
			conns = append(conns, c)
		case <-timeout:
			t.Fatalf("accepted %d abusive connections, want 16", len(conns))
		}
	}
	ab.Kill()
	ln.Close()
	for c := range accepted {
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}

	bad := harness.Start(t, "--mode", "nonsense", "--type", "server")
	var ee *interop.ExitError
	if err := bad.Wait(30 * time.Second); !errors.As(err, &ee) || ee.Code != 64 {
		t.Fatalf("bad mode: %v, want exit status 64", err)
	}
}
