package interop

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// These tests prove the harness itself, libzmq against libzmq (zpeer against
// zpeer), before zmesh's tests depend on it.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The machine may be heavily loaded (2 cores shared with the rest of the
// suite), so tests wait for lines rather than sleeping, give every peer a
// generous deadline, and kill peers once they have seen what they need.
const (
	wait    = 30 * time.Second // bound for any one step
	peerTmo = "30000"          // zpeer --timeout for peers expected to succeed
)

// start runs zpeer with --timeout peerTmo unless args set their own.
func start(t *testing.T, env *Env, args ...string) *Peer {
	t.Helper()
	if !slices.Contains(args, "--timeout") && !slices.Contains(args, "pattern") {
		args = append(args, "--timeout", peerTmo)
	}
	return env.Start(t, args...)
}

func mustBound(t *testing.T, p *Peer) string {
	t.Helper()
	ep, err := p.Bound(wait)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func mustLine(t *testing.T, p *Peer, prefix string) string {
	t.Helper()
	l, err := p.WaitLine(prefix, wait)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustExit0(t *testing.T, p *Peer) {
	t.Helper()
	if err := p.Wait(wait); err != nil {
		t.Fatal(err)
	}
}

// mustExitCode waits for the process and checks its exit status.
func mustExitCode(t *testing.T, p *Peer, code int) {
	t.Helper()
	err := p.Wait(wait)
	var ee *ExitError
	switch {
	case code == 0 && err == nil:
	case errors.As(err, &ee) && ee.Code == code:
	default:
		t.Fatalf("want exit status %d, got %v", code, err)
	}
}

func TestRequireMissingLibzmq(t *testing.T) {
	t.Setenv("ZMESH_LIBZMQ_PREFIX", t.TempDir()) // explicit and empty
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		rec := &recordTB{TB: t}
		if env := Require(rec); env != nil {
			t.Fatalf("CI=%q: Require returned %+v for an empty prefix", ci, env)
		}
		got := rec.skipped
		if ci == "true" {
			got = rec.failed
			if rec.skipped != "" {
				t.Errorf("CI=true: skipped (%q), want a failure", rec.skipped)
			}
		} else if rec.failed != "" {
			t.Errorf("CI unset: failed (%q), want a skip", rec.failed)
		}
		if !strings.Contains(got, "scripts/install-libzmq.sh") || !strings.Contains(got, "make test") {
			t.Errorf("CI=%q: message does not say how to install: %q", ci, got)
		}
	}
}

// recordTB records Fatal and Skip instead of ending the test.
type recordTB struct {
	testing.TB
	failed, skipped string
}

func (r *recordTB) Helper()                   {}
func (r *recordTB) Fatal(args ...any)         { r.failed = fmt.Sprint(args...) }
func (r *recordTB) Fatalf(f string, a ...any) { r.failed = fmt.Sprintf(f, a...) }
func (r *recordTB) Skip(args ...any)          { r.skipped = fmt.Sprint(args...) }
func (r *recordTB) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...) }

func TestLocateDefaultNeedsMarker(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("ZMESH_CACHE", cache)
	t.Setenv("ZMESH_LIBZMQ_PREFIX", "")
	if _, _, err := Locate(); err == nil {
		t.Fatal("Locate found an install in an empty cache")
	}
}

// A zpeer that does not build is an error (Require turns it into a test
// failure, never a skip), with the compiler's words in it.
func TestBuildZpeerReportsCompilerFailure(t *testing.T) {
	t.Setenv("ZMESH_CACHE", t.TempDir())
	t.Setenv("CC", "false")
	bin, err := buildZpeer(t.TempDir())
	if err == nil {
		t.Fatalf("buildZpeer with CC=false succeeded: %s", bin)
	}
	if !strings.Contains(err.Error(), "false -O2") {
		t.Errorf("error does not show the command: %v", err)
	}
}

func TestPatternMatchesZpeer(t *testing.T) {
	env := Require(t)
	for _, size := range []int{0, 1, 3, 4, 5, 300} {
		p := start(t, env, "--mode", "pattern", "--count", "300", "--size", strconv.Itoa(size))
		mustExit0(t, p)
		lines := p.Lines()
		if len(lines) != 300 {
			t.Fatalf("size %d: %d lines, want 300", size, len(lines))
		}
		for seq, l := range lines {
			want := hex.EncodeToString(Pattern(seq, size))
			if want == "" {
				want = "-"
			}
			if l != fmt.Sprintf("pattern %d %s", seq, want) {
				t.Fatalf("size %d seq %d: zpeer says %q, Go says %s", size, seq, l, want)
			}
		}
	}
}

func TestUsageError(t *testing.T) {
	env := Require(t)
	for _, args := range [][]string{
		{"--type", "server", "--mode", "reqrep", "--bind", "tcp://127.0.0.1:*"},
		{"--type", "dish", "--mode", "send", "--bind", "tcp://127.0.0.1:*"},
		{"--type", "client", "--mode", "echo"},
		{"--type", "nope", "--mode", "idle", "--connect", "tcp://127.0.0.1:1"},
		{"--type", "client", "--mode", "recv", "--connect", "tcp://127.0.0.1:1", "--count", "x"},
		{"--type", "client", "--mode", "send", "--connect", "tcp://127.0.0.1:1", "--curve-client", "short"},
	} {
		p := start(t, env, args...)
		mustExitCode(t, p, ExitUsage)
		if p.Stderr() == "" {
			t.Errorf("%v: no explanation on stderr", args)
		}
	}
}

func TestTimeoutAndIdle(t *testing.T) {
	env := Require(t)
	begin := time.Now()
	p := start(t, env, "--type", "gather", "--bind", "tcp://127.0.0.1:*", "--mode", "recv", "--timeout", "300")
	mustBound(t, p)
	mustLine(t, p, "ready")
	mustLine(t, p, "timeout")
	mustExitCode(t, p, ExitTimeout)
	if el := time.Since(begin); el > wait {
		t.Errorf("--timeout 300 took %v", el)
	}

	idle := start(t, env, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "idle", "--timeout", "200")
	mustLine(t, idle, "done idle")
	mustExit0(t, idle)
}

// CLIENT reqrep against SERVER echo over tcp and ipc, 0 bytes to 1 MiB.
func TestClientServerReqRep(t *testing.T) {
	env := Require(t)
	for _, tr := range []string{"tcp", "ipc"} {
		for _, size := range []int{0, 1, 255, 256, 65536, 1 << 20} {
			t.Run(fmt.Sprintf("%s/%d", tr, size), func(t *testing.T) {
				bind := "tcp://127.0.0.1:*"
				if tr == "ipc" {
					bind = IPCEndpoint(t)
				}
				count := 50
				switch {
				case size >= 1<<20:
					count = 4
				case size >= 65536:
					count = 20
				}
				srv := start(t, env, "--type", "server", "--bind", bind, "--mode", "echo",
					"--count", strconv.Itoa(count))
				ep := mustBound(t, srv)
				if !strings.HasPrefix(ep, tr+"://") || strings.HasSuffix(ep, ":*") {
					t.Fatalf("bound endpoint %q", ep)
				}
				mustLine(t, srv, "ready")
				cli := start(t, env, "--type", "client", "--connect", ep, "--mode", "reqrep",
					"--count", strconv.Itoa(count), "--size", strconv.Itoa(size))
				if l := mustLine(t, cli, "done "); l != fmt.Sprintf("done reqrep=%d", count) {
					t.Fatalf("client: %q", l)
				}
				mustExit0(t, cli)
				if l := mustLine(t, srv, "done "); l != fmt.Sprintf("done echoed=%d", count) {
					t.Fatalf("server: %q", l)
				}
				mustExit0(t, srv)
			})
		}
	}
}

// Two SCATTERs send to one GATHER, which checks every message.
func TestScatterGather(t *testing.T) {
	env := Require(t)
	g := start(t, env, "--type", "gather", "--bind", "tcp://127.0.0.1:*", "--mode", "recv",
		"--count", "400", "--size", "100")
	ep := mustBound(t, g)
	var senders []*Peer
	for range 2 {
		senders = append(senders, start(t, env, "--type", "scatter", "--connect", ep,
			"--mode", "send", "--count", "200", "--size", "100"))
	}
	for _, s := range senders {
		mustLine(t, s, "done sent=200")
		mustExit0(t, s)
	}
	mustLine(t, g, "done recv=400")
	mustExit0(t, g)
}

// A DISH gets exactly the groups it joined. The RADIOs send slow streams
// (a RADIO drops what it sends before the JOIN arrives, so the DISH may start
// anywhere in them) and are killed once the DISH is done.
func TestRadioDish(t *testing.T) {
	env := Require(t)
	d := start(t, env, "--type", "dish", "--bind", "tcp://127.0.0.1:*", "--join", "weather",
		"--join", "news", "--mode", "recv", "--count", "60", "--size", "20", "--verbose")
	ep := mustBound(t, d)
	var radios []*Peer
	for _, group := range []string{"weather", "sport", "news"} {
		radios = append(radios, start(t, env, "--type", "radio", "--connect", ep, "--mode", "send",
			"--group", group, "--count", "20000", "--size", "20", "--interval", "2"))
	}
	mustLine(t, d, "done recv=60")
	mustExit0(t, d)
	seen := map[string]int{}
	for _, l := range d.Lines() {
		if g, ok := strings.CutPrefix(l, "msg "); ok {
			seen[g]++
		}
	}
	if seen["sport 20"] > 0 {
		t.Errorf("dish received %d messages of group sport, which it did not join", seen["sport 20"])
	}
	if seen["weather 20"]+seen["news 20"] != 60 || len(seen) > 2 {
		t.Errorf("dish messages by group and size: %v", seen)
	}
	for _, r := range radios {
		if r.Exited() {
			t.Errorf("radio ended early: %s", r.Report())
		}
		r.Kill()
	}
}

func TestPlain(t *testing.T) {
	env := Require(t)
	t.Run("accepted", func(t *testing.T) {
		t.Parallel()
		s := start(t, env, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "recv",
			"--count", "10", "--size", "64", "--plain-server", "admin:secret", "--plain-server", "bob:pw")
		ep := mustBound(t, s)
		c := start(t, env, "--type", "client", "--connect", ep, "--mode", "send", "--count", "10",
			"--size", "64", "--plain-client", "admin:secret")
		mustExit0(t, c)
		mustLine(t, s, "zap 200 PLAIN admin")
		mustLine(t, s, "done recv=10")
		mustExit0(t, s)
	})
	t.Run("rejected", func(t *testing.T) {
		t.Parallel()
		s := start(t, env, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo",
			"--plain-server", "admin:secret")
		ep := mustBound(t, s)
		c := start(t, env, "--type", "client", "--connect", ep, "--mode", "reqrep",
			"--plain-client", "admin:wrong", "--monitor")
		mustLine(t, s, "zap 400 PLAIN admin")
		mustLine(t, c, "event HANDSHAKE_FAILED_AUTH 400")
		c.Kill()
		s.Kill()
		if s.HasLine("zap 200") || s.HasLine("done") || c.HasLine("done") {
			t.Fatal("wrong password accepted")
		}
	})
}

// With a ZAP domain, libzmq asks ZAP about NULL connections too.
func TestNullWithZapDomain(t *testing.T) {
	env := Require(t)
	s := start(t, env, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "recv",
		"--zap-domain", "global", "--count", "3")
	ep := mustBound(t, s)
	c := start(t, env, "--type", "client", "--connect", ep, "--mode", "send", "--count", "3")
	mustExit0(t, c)
	mustLine(t, s, "zap 200 NULL -")
	mustLine(t, s, "done recv=3")
	mustExit0(t, s)
}

func TestCurve(t *testing.T) {
	env := Require(t)
	server := func(t *testing.T, extra ...string) (*Peer, string) {
		args := append([]string{"--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo",
			"--curve-server", ServerSecret, "--curve-allow", ClientPublic}, extra...)
		s := start(t, env, args...)
		return s, mustBound(t, s)
	}
	t.Run("accepted", func(t *testing.T) {
		t.Parallel()
		s, ep := server(t, "--count", "20")
		c := start(t, env, "--type", "client", "--connect", ep, "--mode", "reqrep", "--count", "20",
			"--size", "1000", "--curve-client", ServerPublic,
			"--curve-public", ClientPublic, "--curve-secret", ClientSecret)
		mustLine(t, c, "done reqrep=20")
		mustExit0(t, c)
		mustLine(t, s, "zap 200 CURVE "+ClientPublic)
		mustExit0(t, s)
	})
	t.Run("key-not-allowed", func(t *testing.T) {
		t.Parallel()
		s, ep := server(t)
		c := start(t, env, "--type", "client", "--connect", ep, "--mode", "reqrep",
			"--curve-client", ServerPublic, "--curve-public", OtherPublic, "--curve-secret", OtherSecret,
			"--monitor")
		mustLine(t, s, "zap 400 CURVE "+OtherPublic)
		mustLine(t, c, "event HANDSHAKE_FAILED_AUTH 400")
		c.Kill()
		s.Kill()
		if s.HasLine("zap 200") || s.HasLine("done") || c.HasLine("done") {
			t.Fatal("a key not on the allow list was accepted")
		}
	})
	t.Run("wrong-server-key", func(t *testing.T) {
		t.Parallel()
		s, ep := server(t, "--monitor")
		c := start(t, env, "--type", "client", "--connect", ep, "--mode", "reqrep",
			"--curve-client", OtherPublic, "--curve-public", ClientPublic, "--curve-secret", ClientSecret)
		// The server cannot open the HELLO box: a cryptographic protocol
		// error (ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC), no ZAP request.
		mustLine(t, s, "event HANDSHAKE_FAILED_PROTOCOL "+strconv.Itoa(0x11000001))
		c.Kill()
		s.Kill()
		if c.HasLine("done") {
			t.Fatal("client got replies from a server whose key it does not know")
		}
		if s.HasLine("zap ") {
			t.Fatal("the server asked ZAP about a client that does not know its key")
		}
	})
}

// A stopped peer stops answering heartbeats: the other side drops the
// connection, then reconnects once the peer runs again.
func TestHeartbeatWithStoppedPeer(t *testing.T) {
	env := Require(t)
	s := start(t, env, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "idle",
		"--heartbeat-ivl", "100", "--monitor", "--timeout", "0")
	ep := mustBound(t, s)
	c := start(t, env, "--type", "client", "--connect", ep, "--mode", "idle", "--heartbeat-ivl", "100",
		"--heartbeat-timeout", "400", "--reconnect-ivl", "100", "--monitor", "--timeout", "0")
	mustLine(t, c, "event HANDSHAKE_SUCCEEDED")
	mustLine(t, s, "event HANDSHAKE_SUCCEEDED")

	if err := s.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	mustLine(t, c, "event DISCONNECTED")
	if el := time.Since(stopped); el < 300*time.Millisecond {
		t.Errorf("disconnected %v after SIGSTOP, before the heartbeat timeout", el)
	}
	if err := s.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	mustLine(t, c, "event HANDSHAKE_SUCCEEDED")
	if c.Exited() || s.Exited() {
		t.Fatal("a peer exited")
	}
	if s.Pid() <= 0 || s.Pid() == c.Pid() {
		t.Fatalf("pids %d %d", s.Pid(), c.Pid())
	}
}
