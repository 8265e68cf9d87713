package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// MaxPeerLife bounds how long a zpeer may run (also bounded by the test's
// deadline); its own --timeout (default 10 s) normally ends it much sooner.
const MaxPeerLife = 2 * time.Minute

// Peer is a running zpeer. Its stdout is read line by line (WaitLine,
// Lines); its stderr is kept and shown, with the stdout lines, when the
// test fails. The process is killed at test cleanup if it is still running.
type Peer struct {
	name string
	cmd  *exec.Cmd

	mu       sync.Mutex
	lines    []string      // every complete stdout line so far
	next     int           // WaitLine's read position in lines
	partial  []byte        // stdout after the last newline
	changed  chan struct{} // closed (and replaced) when lines grow or the process exits
	stderr   bytes.Buffer
	exited   bool
	waitErr  error
	exitCode int

	done  chan struct{}  // closed once the process has been waited for
	stdin io.WriteCloser // the command pipe of a classic peer; nil for zpeer
}

// Start runs zpeer with args (see zpeer.c for the command line) under a
// bounded context. It fails the test if the program cannot start.
func (e *Env) Start(t testing.TB, args ...string) *Peer {
	t.Helper()
	return startPeer(t, "zpeer", e.Zpeer, nil, false, args)
}

// startPeer runs the program at path (argv[0] path, then prefix, then args)
// under a context bounded by MaxPeerLife and the test's deadline, killed at
// test cleanup. With stdin, the peer's standard input is a pipe the test
// writes to (Peer.WriteLine); otherwise it is empty. label names it in
// messages.
func startPeer(t testing.TB, label, path string, prefix []string, stdin bool, args []string) *Peer {
	t.Helper()
	life := MaxPeerLife
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			if left := time.Until(dl) - 2*time.Second; left < life {
				life = max(left, time.Second)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), life)
	p := &Peer{
		name:     peerName(label, args),
		changed:  make(chan struct{}),
		done:     make(chan struct{}),
		exitCode: -1,
	}
	p.cmd = exec.CommandContext(ctx, path, append(append([]string(nil), prefix...), args...)...)
	if stdin {
		// Explicit environment without LD_LIBRARY_PATH: the stock peers
		// must load the library their rpath names, never the drafts build.
		p.cmd.Env = peerEnv()
		w, err := p.cmd.StdinPipe()
		if err != nil {
			cancel()
			t.Fatalf("interop: %s: %v", p.name, err)
			return nil
		}
		p.stdin = w
	}
	p.cmd.Stdout = stdoutWriter{p}
	p.cmd.Stderr = stderrWriter{p}
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("interop: starting %s: %v", p.name, err)
		return nil
	}
	go func() {
		err := p.cmd.Wait()
		p.mu.Lock()
		if len(p.partial) > 0 {
			p.lines = append(p.lines, string(p.partial))
			p.partial = nil
		}
		p.exited = true
		p.waitErr = err
		p.exitCode = p.cmd.ProcessState.ExitCode()
		p.notifyLocked()
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		cancel()
		if t.Failed() {
			t.Logf("%s", p.Report())
		}
	})
	return p
}

func peerName(label string, args []string) string {
	n := label + " " + strings.Join(args, " ")
	if len(n) > 120 {
		n = n[:117] + "..."
	}
	return n
}

type stdoutWriter struct{ p *Peer }

func (w stdoutWriter) Write(b []byte) (int, error) {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	grew := false
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		p.lines = append(p.lines, string(p.partial[:i]))
		p.partial = p.partial[i+1:]
		grew = true
	}
	if len(p.partial) == 0 {
		p.partial = nil
	}
	if grew {
		p.notifyLocked()
	}
	return len(b), nil
}

type stderrWriter struct{ p *Peer }

func (w stderrWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	if w.p.stderr.Len() < 1<<20 { // keep the first MiB: plenty for diagnostics
		w.p.stderr.Write(b)
	}
	return len(b), nil
}

func (p *Peer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Name is the command line, shortened, for messages.
func (p *Peer) Name() string { return p.name }

// Pid is the process id.
func (p *Peer) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process (tests SIGSTOP/SIGCONT it to simulate a
// dead or a revived peer).
func (p *Peer) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Kill kills the process if it is still running and waits for it.
func (p *Peer) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill() // SIGKILL ends a stopped process too
	<-p.done
}

// WaitLine reads stdout lines, in order, until one starts with prefix, and
// returns that whole line. Lines read past are consumed (Lines still has
// them). It fails when timeout passes or the process exits first.
func (p *Peer) WaitLine(prefix string, timeout time.Duration) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		for p.next < len(p.lines) {
			l := p.lines[p.next]
			p.next++
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l, nil
			}
		}
		if p.exited {
			err := fmt.Errorf("%s exited (%s) without printing %q\n%s", p.name, p.statusLocked(), prefix, p.reportLocked())
			p.mu.Unlock()
			return "", err
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return "", fmt.Errorf("%s: no line %q within %v\n%s", p.name, prefix, timeout, p.Report())
		}
	}
}

// Bound waits for the next "bound <endpoint>" line and returns the endpoint
// (the resolved ZMQ_LAST_ENDPOINT, e.g. tcp://127.0.0.1:40123).
func (p *Peer) Bound(timeout time.Duration) (string, error) {
	l, err := p.WaitLine("bound ", timeout)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(l, "bound "), nil
}

// ExitError is Wait's error for a zpeer that ended with a non-zero status.
type ExitError struct {
	Name   string
	Code   int // exit status; -1 when killed by a signal
	Output string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s: exit status %d\n%s", e.Name, e.Code, e.Output)
}

// Exit statuses zpeer uses.
const (
	ExitOK      = 0
	ExitFail    = 1  // bad message, libzmq error
	ExitTimeout = 2  // --timeout passed
	ExitUsage   = 64 // bad command line
)

// Wait waits up to timeout for the process to exit. It returns nil for
// exit status 0, an *ExitError for any other end, and a plain error if the
// process is still running after timeout (it is left running).
func (p *Peer) Wait(timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		return fmt.Errorf("%s still running after %v\n%s", p.name, timeout, p.Report())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exitCode == 0 && p.waitErr == nil {
		return nil
	}
	var ee *exec.ExitError
	if p.waitErr != nil && !errors.As(p.waitErr, &ee) {
		// exec's own failure (WaitDelay passed with pipes open, say)
		return fmt.Errorf("%s: %w\n%s", p.name, p.waitErr, p.reportLocked())
	}
	return &ExitError{Name: p.name, Code: p.exitCode, Output: p.reportLocked()}
}

// ExitCode is the exit status once the process has exited (-1 while it runs
// or when a signal killed it).
func (p *Peer) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitCode
}

// Exited reports whether the process has ended.
func (p *Peer) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Lines returns every stdout line so far, WaitLine's position aside.
func (p *Peer) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// HasLine reports whether any stdout line so far starts with prefix.
func (p *Peer) HasLine(prefix string) bool {
	for _, l := range p.Lines() {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// Stderr returns what the process wrote to stderr so far.
func (p *Peer) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Report is the command, its status, stdout lines and stderr, for failure
// messages.
func (p *Peer) Report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("--- %s (%s)\n%s", p.name, p.statusLocked(), p.reportLocked())
}

func (p *Peer) statusLocked() string {
	if !p.exited {
		return "running"
	}
	if p.exitCode >= 0 {
		return fmt.Sprintf("exit status %d", p.exitCode)
	}
	return fmt.Sprintf("ended: %v", p.waitErr)
}

func (p *Peer) reportLocked() string {
	var b strings.Builder
	b.WriteString("stdout:\n")
	for _, l := range p.lines {
		b.WriteString("  " + l + "\n")
	}
	if len(p.partial) > 0 {
		b.WriteString("  " + string(p.partial) + " (no newline)\n")
	}
	if p.stderr.Len() > 0 {
		b.WriteString("stderr:\n" + p.stderr.String())
	}
	return b.String()
}

// IPCEndpoint returns an ipc:// endpoint in a fresh, short temporary
// directory (sun_path allows under 108 bytes, too few for some t.TempDir
// paths), removed at test cleanup.
func IPCEndpoint(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "zmesh-ipc-")
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return "ipc://" + filepath.Join(dir, "s")
}
