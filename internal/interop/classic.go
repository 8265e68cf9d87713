package interop

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The classic socket types (REQ ... PAIR) are tested against three stock
// ZeroMQ implementations, each a small program speaking one line protocol
// on stdin/stdout (cpeer/cpeer.c documents it):
//
//	cpeer     C on Debian's libzmq5 (no draft API), built with the system's cc
//	pypeer    pyzmq from Debian's python3-zmq, run with /usr/bin/python3
//	zmq4peer  go-zeromq/zmq4 v0.17 (ZMTP 3.0, NULL and PLAIN), built with go
//
// scripts/install-classic-peers.sh (make deps-classic) installs the first two.

//go:embed cpeer/cpeer.c
var cpeerSource []byte

//go:embed pypeer/pypeer.py
var pypeerSource []byte

//go:embed zmq4peer/main.go
var zmq4peerSource []byte

// PeerKind names a stock ZeroMQ implementation the classic types are
// tested against.
type PeerKind string

// The peer kinds.
const (
	Libzmq PeerKind = "libzmq" // cpeer on Debian's libzmq5
	Pyzmq  PeerKind = "pyzmq"  // pypeer on Debian's python3-zmq
	Zmq4   PeerKind = "zmq4"   // zmq4peer on go-zeromq/zmq4
)

// PeerKinds lists every kind, in the order tests run them.
var PeerKinds = []PeerKind{Libzmq, Pyzmq, Zmq4}

// HasCurve reports whether the kind can do CURVE (zmq4 cannot: zmq4#26).
func (k PeerKind) HasCurve() bool { return k != Zmq4 }

// SystemPython is the interpreter Debian's python3-zmq is installed for
// (not whatever python3 comes first on PATH).
const SystemPython = "/usr/bin/python3"

// ClassicBin is a ready-to-run classic peer program of one kind.
type ClassicBin struct {
	Kind    PeerKind
	Version string // what the peer reported about itself, e.g. "libzmq 4.3.4 draft=0 curve=1"
	path    string
	prefix  []string // arguments before the peer's own (the script, for pypeer)
}

var (
	classicMu    sync.Mutex
	classicCache = map[PeerKind]*ClassicBin{}
)

const classicHelp = "the stock ZeroMQ peers are not installed: run `make deps-classic` " +
	"(bash scripts/install-classic-peers.sh: apt-get install libzmq3-dev python3-zmq)"

// RequireClassic returns the peer program of kind k, building it into the
// cache on first use. When its dependencies are missing the test is
// skipped, or fails when CI=true; a peer that does not build or run always
// fails the test.
func RequireClassic(t testing.TB, k PeerKind) *ClassicBin {
	t.Helper()
	classicMu.Lock()
	defer classicMu.Unlock()
	if b := classicCache[k]; b != nil {
		return b
	}
	var (
		b       *ClassicBin
		missing error
		err     error
	)
	switch k {
	case Libzmq:
		b, missing, err = buildCpeer()
	case Pyzmq:
		b, missing, err = preparePypeer()
	case Zmq4:
		b, err = buildZmq4peer()
	default:
		t.Fatalf("interop: unknown peer kind %q", k)
	}
	if missing != nil {
		msg := fmt.Sprintf("%s peer: %s: %v", k, classicHelp, missing)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		} else {
			t.Skip(msg)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("interop: preparing the %s peer: %v", k, err)
		return nil
	}
	b.Kind = k
	classicCache[k] = b
	return b
}

// peerEnv is the environment classic peers run with: this process's,
// without LD_LIBRARY_PATH and LD_PRELOAD, so a stock peer can only load the
// library its rpath names and never the drafts build.
func peerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LD_LIBRARY_PATH=") || strings.HasPrefix(kv, "LD_PRELOAD=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// stockLibzmq asks pkg-config, with no PKG_CONFIG_PATH (so only the system's
// .pc files count), where the system libzmq is.
func stockLibzmq() (include, lib string, err error) {
	q := func(v string) (string, error) {
		cmd := exec.Command("pkg-config", "--variable="+v, "libzmq")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("pkg-config --variable=%s libzmq: %v", v, err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if include, err = q("includedir"); err != nil {
		return "", "", err
	}
	if lib, err = q("libdir"); err != nil {
		return "", "", err
	}
	if _, err := os.Stat(filepath.Join(include, "zmq.h")); err != nil {
		return "", "", err
	}
	return include, lib, nil
}

func buildCpeer() (b *ClassicBin, missing, err error) {
	include, lib, err := stockLibzmq()
	if err != nil {
		return nil, err, nil
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	so, _ := os.Stat(filepath.Join(lib, "libzmq.so"))
	h := sha256.New()
	h.Write(cpeerSource)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%s\x00", include, lib, cc)
	if so != nil {
		fmt.Fprintf(h, "%d\x00%d", so.Size(), so.ModTime().UnixNano())
	}
	bin, err := CachedBuild("cpeer", hex.EncodeToString(h.Sum(nil))[:16], func(tmp, out string) error {
		src := filepath.Join(tmp, "cpeer.c")
		if err := os.WriteFile(src, cpeerSource, 0o644); err != nil {
			return err
		}
		// Explicit -I/-L/rpath: the stock library, never the drafts prefix.
		cmd := exec.Command(cc, "-O2", "-Wall", "-o", out, src,
			"-I"+include, "-L"+lib, "-Wl,-rpath,"+lib, "-lzmq", "-lpthread")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, msg)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	check := exec.Command(bin, "--check")
	check.Env = peerEnv()
	out, err := check.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("%s --check: %v", bin, err)
	}
	v := strings.TrimSpace(string(out))
	if !strings.Contains(v, "draft=0") || !strings.Contains(v, "curve=1") {
		return nil, nil, fmt.Errorf("cpeer runs on %q; want the stock libzmq (draft=0) with CURVE", v)
	}
	return &ClassicBin{path: bin, Version: v}, nil, nil
}

func preparePypeer() (b *ClassicBin, missing, err error) {
	out, err := exec.Command(SystemPython, "-c",
		"import zmq, zmq.auth.thread; print('pyzmq', zmq.pyzmq_version(), 'libzmq', zmq.zmq_version(), 'curve=%d' % zmq.has('curve'))").Output()
	if err != nil {
		return nil, fmt.Errorf("%s cannot import zmq: %v", SystemPython, err), nil
	}
	sum := sha256.Sum256(pypeerSource)
	script, err := CachedBuild("pypeer", hex.EncodeToString(sum[:])[:16], func(tmp, out string) error {
		return os.WriteFile(out, pypeerSource, 0o755)
	})
	if err != nil {
		return nil, nil, err
	}
	return &ClassicBin{path: SystemPython, prefix: []string{script}, Version: strings.TrimSpace(string(out))}, nil, nil
}

// moduleRoot is the directory of zmesh's go.mod, found from the working
// directory (a test runs in its package's directory).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func buildZmq4peer() (*ClassicBin, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	gosum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	h := sha256.New()
	h.Write(zmq4peerSource)
	h.Write(gosum)
	fmt.Fprintf(h, "\x00%s", runtime.Version())
	bin, err := CachedBuild("zmq4peer", hex.EncodeToString(h.Sum(nil))[:16], func(tmp, out string) error {
		cmd := exec.Command(goBin, "build", "-o", out, "./internal/interop/zmq4peer")
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build zmq4peer: %v\n%s", err, msg)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ClassicBin{path: bin, Version: "go-zeromq/zmq4 v0.17.0"}, nil
}

// Start runs the peer with a socket of type typ ("req", "router", ...) and
// the extra options args (--routing-id, --plain-client, --curve-server, ...;
// see cpeer.c). It is killed at test cleanup.
func (b *ClassicBin) Start(t testing.TB, typ string, args ...string) *Classic {
	t.Helper()
	p := startPeer(t, string(b.Kind)+"-peer", b.path, b.prefix, true, append([]string{"--type", typ}, args...))
	return &Classic{Peer: p}
}

// ErrPeerTimeout is Classic.Recv's error when no message came in time.
var ErrPeerTimeout = errors.New("interop: peer received nothing in time")

// cmdSlack is how much longer than its own wait a command may take to be
// answered on a loaded machine.
const cmdSlack = 30 * time.Second

// Classic is a running classic peer: one socket, driven by commands.
// Its methods are for one goroutine at a time.
type Classic struct {
	*Peer
}

// Do sends one command line and returns the peer's answer line, waiting up
// to wait (plus a margin for a loaded machine). An "err ..." answer is an
// error.
func (c *Classic) Do(cmd string, wait time.Duration) (string, error) {
	if _, err := fmt.Fprintln(c.stdin, cmd); err != nil {
		return "", fmt.Errorf("%s: writing %q: %w\n%s", c.name, cmd, err, c.Report())
	}
	l, err := c.WaitLine("", wait+cmdSlack)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(l, "err ") {
		return l, fmt.Errorf("%s: %q: %s", c.name, cmd, l)
	}
	return l, nil
}

// Bind binds the peer's socket and returns the resolved endpoint.
func (c *Classic) Bind(ep string) (string, error) {
	l, err := c.Do("bind "+ep, 0)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(l, "bound ") {
		return "", fmt.Errorf("%s: bind answered %q", c.name, l)
	}
	return strings.TrimPrefix(l, "bound "), nil
}

func (c *Classic) ok(cmd string, wait time.Duration) error {
	l, err := c.Do(cmd, wait)
	if err == nil && l != "ok" {
		err = fmt.Errorf("%s: %q answered %q", c.name, cmd, l)
	}
	return err
}

// Connect connects the peer's socket to ep.
func (c *Classic) Connect(ep string) error { return c.ok("connect "+ep, 0) }

// Send sends one message of the given frames (blocking up to the peer's
// --timeout).
func (c *Classic) Send(frames ...[]byte) error { return c.ok("send "+Spec(frames), 10*time.Second) }

// Recv receives one message, waiting up to timeout; ErrPeerTimeout when none
// came.
func (c *Classic) Recv(timeout time.Duration) ([][]byte, error) {
	l, err := c.Do(fmt.Sprintf("recv %d", timeout.Milliseconds()), timeout)
	if err != nil {
		return nil, err
	}
	if l == "timeout" {
		return nil, ErrPeerTimeout
	}
	spec, ok := strings.CutPrefix(l, "msg ")
	if !ok {
		return nil, fmt.Errorf("%s: recv answered %q", c.name, l)
	}
	return ParseSpec(spec)
}

// Subscribe subscribes a SUB (ZMQ_SUBSCRIBE) or an XSUB (a 01+topic message).
func (c *Classic) Subscribe(topic []byte) error { return c.ok("sub "+hex.EncodeToString(topic), 0) }

// Unsubscribe cancels a subscription, as Subscribe.
func (c *Classic) Unsubscribe(topic []byte) error {
	return c.ok("unsub "+hex.EncodeToString(topic), 0)
}

// Quit asks the peer to close its socket and exit, and waits for it.
func (c *Classic) Quit(timeout time.Duration) error {
	if _, err := fmt.Fprintln(c.stdin, "quit"); err != nil {
		return err
	}
	c.stdin.Close()
	return c.Wait(timeout)
}

// Spec writes a message in the peers' line form: frames in hex joined by
// ",", an empty frame as ".".
func Spec(frames [][]byte) string {
	var b strings.Builder
	for i, f := range frames {
		if i > 0 {
			b.WriteByte(',')
		}
		if len(f) == 0 {
			b.WriteByte('.')
		} else {
			b.WriteString(hex.EncodeToString(f))
		}
	}
	return b.String()
}

// ParseSpec reads a message written by Spec.
func ParseSpec(s string) ([][]byte, error) {
	var frames [][]byte
	for _, f := range strings.Split(s, ",") {
		if f == "." {
			frames = append(frames, []byte{})
			continue
		}
		b, err := hex.DecodeString(f)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("interop: bad frame %q in message %q", f, s)
		}
		frames = append(frames, b)
	}
	return frames, nil
}

// FramesEqual reports whether two messages have the same frames.
func FramesEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
