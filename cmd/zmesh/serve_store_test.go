package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/server"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader at a
// time: serve writes its stderr while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serving is a `zmesh serve` running in this process.
type serving struct {
	stderr    *syncBuffer
	endpoint  string // requests
	feed      string
	stop      context.CancelFunc
	done      chan int // its exit code
	stoppedOK bool
}

var (
	requestsLine = regexp.MustCompile(`zmesh serve: requests on (\S+)`)
	feedLine     = regexp.MustCompile(`zmesh serve: change feed on (\S+)`)
)

// startServe runs `zmesh serve args...` until the test ends, and waits
// until it says it is ready.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	s := &serving{stderr: &syncBuffer{}, stop: stop, done: make(chan int, 1)}
	go func() {
		var out bytes.Buffer
		s.done <- run(ctx, append([]string{"serve"}, args...), &out, s.stderr)
	}()
	t.Cleanup(func() { s.shutdown(t) })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.stderr.String(), "ready;") {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("zmesh serve exited with %d:\n%s", code, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("zmesh serve never got ready:\n%s", s.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m := requestsLine.FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("zmesh serve does not say where it listens:\n%s", s.stderr)
	}
	s.endpoint = m[1]
	if m := feedLine.FindStringSubmatch(s.stderr.String()); m != nil {
		s.feed = m[1]
	}
	return s
}

// wantStderr checks that the server's stderr, so far, holds every one of
// texts.
func (s *serving) wantStderr(t *testing.T, texts ...string) {
	t.Helper()
	out := s.stderr.String()
	for _, want := range texts {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}

// shutdown stops the server as SIGINT would (main's context ends) and
// checks it stopped cleanly.
func (s *serving) shutdown(t *testing.T) {
	if s.stoppedOK {
		return
	}
	s.stoppedOK = true
	s.stop()
	select {
	case code := <-s.done:
		if code != 0 || !strings.Contains(s.stderr.String(), "zmesh serve: stopped") {
			t.Errorf("zmesh serve exited with %d:\n%s", code, s.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("zmesh serve did not stop:\n%s", s.stderr)
	}
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "zmesh.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const testConfig = `
server: {bind: ["tcp://127.0.0.1:*"]}
radio: {bind: ["tcp://127.0.0.1:*"]}
volumes:
  disk: {kind: fs, root: %ROOT%}
storages:
  demo: {key_expr: demo/**, strip_prefix: demo, volume: disk}
  cache: {key_expr: cache/**, volume: memory}
`

func TestServeWithConfigFile(t *testing.T) {
	root := t.TempDir()
	cfg := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", root))
	s := startServe(t, "-c", cfg)
	s.wantStderr(t,
		"zmesh serve: configuration "+cfg+"\n",
		"zmesh serve: volume disk: fs (root "+root+")\n",
		"zmesh serve: storage demo: key_expr demo/**, strip_prefix demo, volume disk\n",
		"zmesh serve: storage cache: key_expr cache/**, volume memory\n",
		"zmesh serve: requests on tcp://127.0.0.1:",
		"zmesh serve: change feed on tcp://127.0.0.1:")
	if strings.Contains(s.endpoint, "*") || s.feed == "" {
		t.Fatalf("endpoints %q %q", s.endpoint, s.feed)
	}
	code, _, errOut := runCmd(t, "put", "--connect", s.endpoint, "demo/a", "1")
	if code != 0 {
		t.Fatalf("put: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "demo")); err != nil {
		t.Fatalf("the fs storage's directory: %v", err)
	}
}

// Without -c, serve runs the built-in configuration and says so: an
// engine volume in ./zmesh-data. (Its ports are the fixed 7447 and 7448;
// --bind and --feed move them so that this test does not collide with a
// `zmesh serve` running beside the tests.)
func TestServeDefaultConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	s := startServe(t, "--bind", "tcp://127.0.0.1:*", "--feed", "tcp://127.0.0.1:*")
	s.wantStderr(t,
		"zmesh serve: no -c given: running the built-in default configuration (zmesh serve --print-config shows it)\n",
		"zmesh serve: volume data: engine (root ./zmesh-data)\n",
		"zmesh serve: storage default: key_expr **, volume data\n",
		"zmesh serve: change feed on tcp://127.0.0.1:",
		"zmesh serve: ready; SIGINT (Ctrl-C) or SIGTERM stops it\n")
	if code, _, errOut := runCmd(t, "put", "--connect", s.endpoint, "x/y", "z"); code != 0 {
		t.Fatalf("put: %s", errOut)
	}
	if l, err := detectLayout("zmesh-data"); l != layoutEngine {
		t.Fatalf("./zmesh-data after a put: %v %v, want an engine", l, err)
	}
	// The real default, as printed, is what DefaultConfigYAML says.
	code, printed, _ := runCmd(t, "serve", "--print-config")
	if code != 0 || printed != server.DefaultConfigYAML || !strings.Contains(printed, "bind: [tcp://127.0.0.1:7447]") ||
		!strings.Contains(printed, "kind: engine") {
		t.Fatalf("--print-config: %d %q", code, printed)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	cfg := writeConfig(t, "storages:\n  demo:\n    key_expr: demo/**\n    volume: dsk\n")
	code, _, errOut := runCmd(t, "serve", "-c", cfg)
	if code != 1 || !strings.Contains(errOut, "zmesh serve: "+cfg+":4:13: storages.demo.volume: unknown volume \"dsk\" (declared: memory)\n") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	code, _, errOut = runCmd(t, "serve", "-c", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != 1 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	if code, _, _ := runCmd(t, "serve", "extra"); code != 2 {
		t.Fatalf("an extra argument: exit %d", code)
	}
}

// The real process: SIGTERM (and SIGINT) stop it cleanly, and what it
// acknowledged is there when it starts again.
func TestServeStopsCleanlyOnSignals(t *testing.T) {
	root := t.TempDir()
	cfg := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", root))
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		args, err := json.Marshal([]string{"serve", "-c", cfg})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), runMainEnv+"="+string(args))
		stderr := &syncBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(stderr.String(), "ready;") {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("never ready:\n%s", stderr)
			}
			time.Sleep(5 * time.Millisecond)
		}
		ep := requestsLine.FindStringSubmatch(stderr.String())[1]
		if i == 0 {
			if code, _, errOut := runCmd(t, "put", "--connect", ep, "demo/kept", "yes"); code != 0 {
				t.Fatalf("put: %s", errOut)
			}
		} else {
			code, out, errOut := runCmd(t, "get", "--connect", ep, "demo/kept")
			if code != 0 || out != "demo/kept\tyes\n" {
				t.Fatalf("after a restart: %d %q %s", code, out, errOut)
			}
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("after %v: %v\n%s", sig, err, stderr)
		}
		if !strings.Contains(stderr.String(), "zmesh serve: shutting down\n") || !strings.Contains(stderr.String(), "zmesh serve: stopped\n") {
			t.Fatalf("after %v:\n%s", sig, stderr)
		}
	}
}
