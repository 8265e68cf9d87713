package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

// The tests of issue 21's points on the client commands.

// memConfig is a server configuration with one memory storage for demo/**
// and a change feed; %SECURITY% is replaced by mechanism lines for both
// sockets and %AUTH% by an auth section.
const memConfig = `
server:
  bind: ["tcp://127.0.0.1:*"]
%SECURITY%
radio:
  bind: ["tcp://127.0.0.1:*"]
%SECURITY%
%AUTH%
storages:
  demo: {key_expr: demo/**, volume: memory}
`

func serveWith(t *testing.T, security, auth string) *serving {
	t.Helper()
	y := strings.NewReplacer("%SECURITY%", security, "%AUTH%", auth).Replace(memConfig)
	return startServe(t, "-c", writeConfig(t, y))
}

// keyPair returns a new key pair in Z85, one that a YAML double-quoted
// string and ${...} expansion leave alone.
func keyPair(t *testing.T) (pub, sec string) {
	t.Helper()
	for {
		p, s, err := mechanism.GenerateKeyPair()
		if err != nil {
			t.Fatal(err)
		}
		if pub, sec = p.String(), s.Z85(); !strings.Contains(pub+sec, "$") {
			return pub, sec
		}
	}
}

// Point 1: connection problems are reported at once with their cause.
func TestClientConnectionErrorsSayWhy(t *testing.T) {
	pub, sec := keyPair(t)
	s := serveWith(t, `  mechanism: {curve_server: {secret: "`+sec+`"}}`, "")
	otherPub, _ := keyPair(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"get", "--connect", "tcp://127.0.0.1:1", "demo/x"}, "zmesh get: store: cannot connect to tcp://127.0.0.1:1: connection refused (nothing listens there)\n"},
		{[]string{"get", "--connect", "tcp://no-such-host.invalid:7447", "demo/x"}, `cannot connect to tcp://no-such-host.invalid:7447: `},
		{[]string{"get", "--connect", s.endpoint, "demo/x"}, `handshake with ` + s.endpoint + ` failed: security mechanism mismatch: greeting: peer's mechanism "CURVE" does not match ours "NULL"`},
		{[]string{"get", "--connect", s.endpoint, "--server-key", otherPub, "demo/x"}, "handshake with " + s.endpoint + " failed: wrong server key"},
		{[]string{"put", "--connect", s.endpoint, "--plain", "u:p", "demo/x", "v"}, `security mechanism mismatch`},
	} {
		// The cause, not the 30s timeout's "did not answer within": the
		// command did not wait for the timeout to give up.
		code, _, errOut := runCmd(t, append(c.args, "--timeout", "30s")...)
		if code != 1 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "within") {
			t.Errorf("%q: exit %d, stderr %q; want exit 1 with %q", c.args, code, errOut, c.want)
		}
	}
	if code, out, errOut := runCmd(t, "get", "--connect", s.endpoint, "--server-key", pub, "demo/x"); code != 1 || out != "" || !strings.Contains(errOut, "not found") {
		t.Fatalf("with the right key: %d %q %q", code, out, errOut)
	}
	// A server that takes the request and never answers: then, and only
	// then, a timeout, which says so.
	mute, err := patterns.NewServer(nil, socket.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	if err := mute.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep, err := mute.LastEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "get", "--connect", ep, "--timeout", "200ms", "demo/x")
	if code != 1 || !strings.Contains(errOut, ep+" took the request but did not answer within") {
		t.Fatalf("a mute server: %d %s", code, errOut)
	}
}

// Point 2: every client command talks to a secured server, with flags, a
// config file or the environment.
func TestClientSecurity(t *testing.T) {
	pub, sec := keyPair(t)
	clientPub, clientSec := keyPair(t)
	keyFile := filepath.Join(t.TempDir(), "client.key")
	if err := os.WriteFile(keyFile, []byte("# curve key pair (Z85)\npublic: "+clientPub+"\nsecret: "+clientSec+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	curve := serveWith(t, `  mechanism: {curve_server: {secret: "`+sec+`"}}`, "")
	noise := serveWith(t, `  mechanism: {noise_server: {secret: "`+sec+`"}}`, "")
	plain := serveWith(t, `  mechanism: plain_server`, `auth: {plain_registry: [{username: alice, password: "s3cret"}]}`)
	for _, c := range []struct {
		name  string
		s     *serving
		flags []string
	}{
		{"curve", curve, []string{"--server-key", pub}},
		{"curve with a client key", curve, []string{"--server-key", pub, "--client-key", keyFile}},
		{"noise", noise, []string{"--noise", "--server-key", pub}},
		{"noise unpinned", noise, []string{"--noise"}},
		{"plain", plain, []string{"--plain", "alice:s3cret"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := func(args ...string) (int, string, string) {
				t.Helper()
				return runCmd(t, append(append([]string{args[0], "--connect", c.s.endpoint}, c.flags...), args[1:]...)...)
			}
			watched := watchUntil(t, append(append([]string{"watch", "--connect", c.s.endpoint}, c.flags...), "demo/**"), func() {
				cmd("put", "demo/probe", "p")
			}, "PUT demo/probe\tp")
			defer watched()
			if code, out, errOut := cmd("put", "demo/a", "hello"); code != 0 || out != "stored demo/a (5 bytes, text/plain;charset=utf-8)\n" {
				t.Fatalf("put: %d %q %q", code, out, errOut)
			}
			if code, out, errOut := cmd("get", "demo/a"); code != 0 || out != "demo/a\thello\n" {
				t.Fatalf("get: %d %q %q", code, out, errOut)
			}
			if code, out, errOut := cmd("del", "demo/a"); code != 0 || out != "deleted 1 key\n" {
				t.Fatalf("del: %d %q %q", code, out, errOut)
			}
		})
	}
	if code, _, errOut := runCmd(t, "get", "--connect", plain.endpoint, "--plain", "alice:wrong", "demo/a"); code != 1 || !strings.Contains(errOut, "the server denied the credentials") {
		t.Fatalf("wrong password: %d %s", code, errOut)
	}

	// A config file with a client section, named by --config or
	// $ZMESH_CONFIG; the endpoint from the file or $ZMESH_CONNECT.
	cfg := filepath.Join(t.TempDir(), "client.yaml")
	yaml := "client:\n  connect: [" + curve.endpoint + "]\n  mechanism: {curve_client: {server: \"" + pub + "\"}}\n" +
		"dish:\n  mechanism: {curve_client: {server: \"" + pub + "\"}}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "put", "--config", cfg, "demo/c", "from the file"); code != 0 || !strings.HasPrefix(out, "stored demo/c") {
		t.Fatalf("put --config: %d %q %q", code, out, errOut)
	}
	t.Setenv(envConfig, cfg)
	if code, out, errOut := runCmd(t, "get", "demo/c"); code != 0 || out != "demo/c\tfrom the file\n" {
		t.Fatalf("get with $ZMESH_CONFIG: %d %q %q", code, out, errOut)
	}
	stop := watchUntil(t, []string{"watch", "demo/**"}, func() { runCmd(t, "put", "demo/probe", "q") }, "PUT demo/probe\tq")
	stop()
	t.Setenv(envConfig, "")
	t.Setenv(envConnect, plain.endpoint)
	if code, out, errOut := runCmd(t, "put", "--plain", "alice:s3cret", "demo/e", "x"); code != 0 || !strings.HasPrefix(out, "stored demo/e") {
		t.Fatalf("put with $ZMESH_CONNECT: %d %q %q", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("client:\n  conect: [tcp://127.0.0.1:1]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, "get", "--config", bad, "demo/e"); code != 1 || !strings.Contains(errOut, `unknown key "conect"; did you mean connect?`) {
		t.Fatalf("a bad config: %d %s", code, errOut)
	}
}

// watchUntil runs `zmesh args...` (a watch) until the returned function is
// called, calling poke until the watch's output holds want.
func watchUntil(t *testing.T, args []string, poke func(), want string) func() {
	t.Helper()
	ctx, stop := contextWithCancel()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, out, errOut) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), want) {
		select {
		case code := <-done:
			stop()
			t.Fatalf("%q exited %d: %s", args, code, errOut)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			<-done
			t.Fatalf("%q saw nothing:\n%s\n%s", args, out, errOut)
		}
		poke()
		time.Sleep(20 * time.Millisecond)
	}
	return func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("%q exited %d: %s", args, code, errOut)
		}
	}
}

// Point 3: with several endpoints, one-shot commands use the servers that
// are up.
func TestClientFailover(t *testing.T) {
	a := serveWith(t, "", "")
	b := serveWith(t, "", "")
	for _, connect := range []string{"tcp://127.0.0.1:1," + b.endpoint, b.endpoint + ",tcp://127.0.0.1:1"} {
		if code, _, errOut := runCmd(t, "put", "--connect", connect, "demo/f", "1"); code != 0 {
			t.Fatalf("put --connect %s: %d %s", connect, code, errOut)
		}
	}
	a.shutdown(t)
	both := a.endpoint + "," + b.endpoint
	for i := range 4 {
		if code, _, errOut := runCmd(t, "put", "--connect", both, "demo/f", "2"); code != 0 {
			t.Fatalf("put %d with %s down: %d %s", i, a.endpoint, code, errOut)
		}
		if code, out, errOut := runCmd(t, "get", "--connect", both, "demo/f"); code != 0 || out != "demo/f\t2\n" {
			t.Fatalf("get %d with %s down: %d %q %s", i, a.endpoint, code, out, errOut)
		}
	}
}

// Points 4, 5, 8 and 9: encodings, raw output, awkward values, exit codes
// and reports.
func TestClientValuesAndOutput(t *testing.T) {
	s := serveWith(t, "", "")
	c := func(args ...string) (int, string, string) {
		t.Helper()
		return runCmd(t, append([]string{args[0], "--connect", s.endpoint}, args[1:]...)...)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	binValue := []byte{0xff, 0x00, 'x', '\n'}
	if err := os.WriteFile(bin, binValue, 0o644); err != nil {
		t.Fatal(err)
	}
	dash := filepath.Join(dir, "dash")
	if err := os.WriteFile(dash, []byte("-x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		args []string
		out  string
	}{
		{[]string{"put", "demo/text", "héllo"}, "stored demo/text (6 bytes, text/plain;charset=utf-8)\n"},
		{[]string{"put", "demo/lines", "line1\nline2\n"}, "stored demo/lines (12 bytes, text/plain;charset=utf-8)\n"},
		{[]string{"put", "demo/bin", "@" + bin}, "stored demo/bin (4 bytes, application/octet-stream)\n"},
		{[]string{"put", "--encoding", "application/json", "demo/json", `{"a":1}`}, "stored demo/json (7 bytes, application/json)\n"},
		{[]string{"put", "demo/minus", "--", "-1"}, "stored demo/minus (2 bytes, text/plain;charset=utf-8)\n"},
		{[]string{"put", "--literal", "demo/at", "@home"}, "stored demo/at (5 bytes, text/plain;charset=utf-8)\n"},
		{[]string{"put", "--value-file", dash, "demo/file"}, "stored demo/file (2 bytes, text/plain;charset=utf-8)\n"},
	} {
		if code, out, errOut := c(p.args...); code != 0 || out != p.out {
			t.Fatalf("%q: %d %q %q, want %q", p.args, code, out, errOut, p.out)
		}
	}
	code, out, errOut := c("get", "demo/**")
	want := "demo/at\t@home\n" +
		"demo/bin\t[4 bytes, application/octet-stream]\n" +
		"demo/file\t-x\n" +
		"demo/json\t{\"a\":1}\n" +
		"demo/lines\tline1\n\tline2\n\t\n" +
		"demo/minus\t-1\n" +
		"demo/text\théllo\n"
	if code != 0 || out != want {
		t.Fatalf("get demo/**: %d %s\n%q\nwant\n%q", code, errOut, out, want)
	}
	if code, out, _ := c("get", "--raw", "demo/lines"); code != 0 || out != "line1\nline2\n" {
		t.Fatalf("get --raw: %d %q", code, out)
	}
	if code, out, _ := c("get", "--raw", "demo/bin"); code != 0 || out != string(binValue) {
		t.Fatalf("get --raw of binary: %d %q", code, out)
	}
	saved := filepath.Join(dir, "saved")
	if code, out, errOut := c("get", "--out", saved, "demo/bin"); code != 0 || out != "" {
		t.Fatalf("get --out: %d %q %s", code, out, errOut)
	}
	if got, err := os.ReadFile(saved); err != nil || string(got) != string(binValue) {
		t.Fatalf("--out wrote %q (%v)", got, err)
	}
	if code, _, errOut := c("get", "--raw", "demo/*"); code != 1 || !strings.Contains(errOut, "7 keys match demo/*: --raw and --out take one") {
		t.Fatalf("get --raw of several: %d %s", code, errOut)
	}
	// Point 9: a missing plain key exits 1; del counts.
	if code, out, errOut := c("get", "demo/missing"); code != 1 || out != "" || errOut != "zmesh get: demo/missing: not found\n" {
		t.Fatalf("get of a missing key: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := c("del", "demo/*"); code != 0 || out != "deleted 7 keys\n" {
		t.Fatalf("del: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := c("del", "demo/*"); code != 0 || out != "deleted 0 keys\n" {
		t.Fatalf("del again: %d %q %q", code, out, errOut)
	}
}

// Points 7 and 8: help on stdout with exit 0, --version, arguments named,
// the help showing how to give awkward values.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"}, {"help", "put"},
		{"put", "-h"}, {"get", "--help"}, {"del", "-h"}, {"watch", "-h"}, {"keygen", "-h"}, {"serve", "-h"}, {"bench", "-h"},
		{"get", "demo/x", "-h"},
	} {
		code, out, errOut := runCmd(t, args...)
		if code != 0 || !strings.Contains(out, "usage: zmesh") || errOut != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want the usage on stdout and exit 0", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out, _ := runCmd(t, args...); code != 0 || out != "zmesh "+version+"\n" {
			t.Errorf("%q: %d %q", args, code, out)
		}
	}
	if code, _, errOut := runCmd(t, "keygen", "extra"); code != 2 || !strings.Contains(errOut, `zmesh keygen: unexpected argument "extra"`) {
		t.Errorf("keygen extra: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "put"); code != 2 || !strings.Contains(errOut, "zmesh put: missing KEY") {
		t.Errorf("put: %d %s", code, errOut)
	}
	_, out, _ := runCmd(t, "put", "-h")
	for _, want := range []string{"-- before it", "--value-file FILE", "--literal", "$ZMESH_CONNECT", "$ZMESH_CONFIG", "--server-key", "--plain USER:PASSWORD"} {
		if !strings.Contains(out, want) {
			t.Errorf("put -h does not mention %q:\n%s", want, out)
		}
	}
	_, out, _ = runCmd(t, "get", "-h")
	for _, want := range []string{"--raw", "--out FILE", "not found"} {
		if !strings.Contains(out, want) {
			t.Errorf("get -h does not mention %q:\n%s", want, out)
		}
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
