// Package examples holds the runnable example programs; this file's tests
// build and run each of them the way a user would.
package examples

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// build compiles ./<name> into a temporary directory.
func build(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "./"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

// startServer runs echo-server with the given binds and returns the
// endpoints it printed.
func startServer(t *testing.T, bin string, binds ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var args []string
	for _, b := range binds {
		args = append(args, "--bind", b)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	var eps []string
	for len(eps) < len(binds) && sc.Scan() {
		ep, ok := strings.CutPrefix(sc.Text(), "bound ")
		if !ok {
			t.Fatalf("echo-server printed %q, want bound <endpoint>", sc.Text())
		}
		eps = append(eps, ep)
	}
	if len(eps) != len(binds) {
		t.Fatalf("echo-server printed %d endpoints, want %d", len(eps), len(binds))
	}
	return eps
}

func TestEchoServerAndClient(t *testing.T) {
	server, client := build(t, "echo-server"), build(t, "echo-client")
	ipc := filepath.Join(t.TempDir(), "echo.sock")
	eps := startServer(t, server, "tcp://127.0.0.1:*", "ipc://"+ipc)
	if !strings.HasPrefix(eps[0], "tcp://127.0.0.1:") || strings.HasSuffix(eps[0], ":*") || eps[1] != "ipc://"+ipc {
		t.Fatalf("bound endpoints %v", eps)
	}
	for _, tc := range []struct {
		ep          string
		count, size string
	}{
		{eps[0], "5000", "64"},
		{eps[0], "50", "0"},
		{eps[0], "10", "1048576"},
		{eps[1], "1000", "255"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, client, "--connect", tc.ep, "--count", tc.count, "--size", tc.size).CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(out), "echoed "+tc.count+" messages") {
			t.Fatalf("echo-client %v: %v\n%s", tc, err, out)
		}
	}
}

func TestEchoClientFailsWithoutServer(t *testing.T) {
	client := build(t, "echo-client")
	out, err := exec.Command(client, "--connect", "tcp://127.0.0.1:1", "--count", "1", "--timeout", "300ms").CombinedOutput()
	if err == nil {
		t.Fatalf("echo-client succeeded with no server:\n%s", out)
	}
	if !strings.Contains(string(out), "timed out") {
		t.Fatalf("echo-client's error does not say why:\n%s", out)
	}
}
