// Package harness builds the faultpeer command (the package above this
// one) and starts it as a subprocess for fault tests, as an interop.Peer:
// the same line reader, signals (SIGKILL, SIGSTOP, SIGCONT), bounded life
// and failure report that libzmq's zpeer gets.
//
//	p := harness.Start(t, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "sink")
//	ep, err := p.Bound(10 * time.Second)
//	...
//	p.Kill() // SIGKILL, and wait for it
//
// The binary is built once per test process into the same cache as zpeer
// (interop.CacheDir()/faultpeer), named by a hash of every source file it
// is built from, so a warm cache costs one `go list` per test process.
package harness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
)

// Package is the import path of the faultpeer command.
const Package = "github.com/zmesh/zmesh/internal/faultpeer"

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// Binary returns the path of a faultpeer built from the current sources,
// building it on first use. It fails the test if the build fails.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { buildBin, buildErr = build() })
	if buildErr != nil {
		t.Fatalf("faultpeer: %v", buildErr)
	}
	return buildBin
}

// Start runs faultpeer with args (see its package comment) and returns the
// running process. It is killed at test cleanup if still running, and its
// output is logged if the test failed.
func Start(t testing.TB, args ...string) *interop.Peer {
	t.Helper()
	env := &interop.Env{Zpeer: Binary(t)}
	return env.Start(t, args...)
}

// StartBound is Start for a faultpeer that binds (--bind): it returns once
// the peer is listening, with the endpoint it bound.
func StartBound(t testing.TB, args ...string) (*interop.Peer, string) {
	t.Helper()
	p := Start(t, args...)
	ep, err := p.Bound(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return p, ep
}

// RaiseFileLimit lifts this process's soft limit on open files to at least
// n, as far as the hard limit allows, and returns the limit in force.
func RaiseFileLimit(n uint64) (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur >= n {
		return rl.Cur, nil
	}
	rl.Cur = min(n, rl.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	return rl.Cur, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// build builds faultpeer into the cache unless a binary from the same
// sources is already there (see interop.CachedBuild).
func build() (string, error) {
	gocmd := goTool()
	// Every non-standard package faultpeer is built from, with its files.
	list := exec.Command(gocmd, "list", "-deps",
		"-f", `{{if not .Standard}}{{.Dir}}{{range .GoFiles}}{{"\t"}}{{.}}{{end}}{{range .EmbedFiles}}{{"\t"}}{{.}}{{end}}{{end}}`, Package)
	var stderr bytes.Buffer
	list.Stderr = &stderr
	out, err := list.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %v\n%s", Package, err, stderr.String())
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", runtime.Version(), os.Getenv("GOFLAGS"), gocmd)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) == 0 || fields[0] == "" {
			continue
		}
		dir := fields[0]
		fmt.Fprintf(h, "%s\x00", dir)
		for _, name := range fields[1:] {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s\x00", name)
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return "", err
			}
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]

	return interop.CachedBuild("faultpeer", sum, func(_, out string) error {
		cmd := exec.Command(gocmd, "build", "-o", out, Package)
		var msg bytes.Buffer
		cmd.Stdout, cmd.Stderr = &msg, &msg
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", Package, err, msg.String())
		}
		return nil
	})
}
