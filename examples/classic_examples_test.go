package examples

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
)

func TestClassicExamples(t *testing.T) {
	wantLines(t, runExample(t, "req-rep"),
		"client: hello 1 -> world 1", "client: hello 2 -> world 2", "client: hello 3 -> world 3")
	wantLines(t, runExample(t, "pub-sub", "--zip", "10002"), "subscriber: 5 updates for zip 10002")
	out := runExample(t, "router-dealer", "--requests", "4")
	wantLines(t, out, "client: job 1, done by worker-", "client: job 4, done by worker-")
	// The DEALER hands requests round-robin: both workers answer.
	if !strings.Contains(out, "worker-a") || !strings.Contains(out, "worker-b") {
		t.Fatalf("one worker did all the jobs:\n%s", out)
	}
}

// startExample runs examples/<name> with args until the test ends and
// returns the values of the first n output lines "<prefix> <value>".
func startExample(t *testing.T, name string, n int, args ...string) []string {
	t.Helper()
	bin := build(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	var vals []string
	for len(vals) < n && sc.Scan() {
		f := strings.Fields(sc.Text())
		vals = append(vals, f[len(f)-1])
	}
	if len(vals) < n {
		t.Fatalf("%s printed %d endpoint lines, want %d", name, len(vals), n)
	}
	go func() { // drain, so the example never blocks on a full pipe
		for sc.Scan() {
		}
	}()
	return vals
}

// python runs a pyzmq snippet with Debian's python3 and returns its output.
func python(t *testing.T, code string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, interop.SystemPython, "-c", code).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s\n%s", err, code, out)
	}
	return string(out)
}

// The READMEs' pyzmq lines, against the examples.
func TestClassicExamplesWithPyzmq(t *testing.T) {
	interop.RequireClassic(t, interop.Pyzmq) // skips, or fails under CI=true, without python3-zmq

	ep := startExample(t, "req-rep", 1, "--bind", "tcp://127.0.0.1:*")[0]
	if out := python(t, `import zmq; s = zmq.Context().socket(zmq.REQ); s.connect("`+ep+`"); s.send(b"hello 1"); print(s.recv())`); !strings.Contains(out, "b'world 1'") {
		t.Fatalf("pyzmq REQ got %q", out)
	}

	ep = startExample(t, "pub-sub", 1, "--bind", "tcp://127.0.0.1:*")[0]
	out := python(t, `import zmq; s = zmq.Context().socket(zmq.SUB); s.connect("`+ep+`"); s.subscribe(b"10001 ")
for _ in range(5): print(s.recv())`)
	if strings.Count(out, "b'10001 ") != 5 {
		t.Fatalf("pyzmq SUB got %q", out)
	}

	eps := startExample(t, "router-dealer", 2, "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*")
	worker := exec.Command(interop.SystemPython, "-c", `import zmq; s = zmq.Context().socket(zmq.REP); s.connect("`+eps[1]+`")
s.send(s.recv() + b" done by pyzmq")`)
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = worker.Process.Kill(); _ = worker.Wait() })
	if out := python(t, `import zmq; s = zmq.Context().socket(zmq.REQ); s.connect("`+eps[0]+`"); s.send(b"job 1"); print(s.recv())`); !strings.Contains(out, "b'job 1 done by pyzmq'") {
		t.Fatalf("pyzmq REQ through the broker got %q", out)
	}
}
