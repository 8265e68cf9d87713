package patterns

// Interop of the PLAIN and CURVE mechanisms with real libzmq 4.3 (through
// internal/interop's zpeer): both directions, accepted and refused peers,
// heartbeats inside CURVE MESSAGE boxes. First, every secure mechanism
// (NOISE included, which only zmesh speaks) between two zmesh sockets
// through the engine.

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

// securitySizes cross CURVE's short/long MESSAGE boundary (222 bytes of
// body make a 255-byte MESSAGE) and reach 1 MiB.
var securitySizes = []int{0, 1, 222, 223, 65536, 1 << 20}

func mustKey[K any](t *testing.T, parse func(string) (K, error), s string) K {
	t.Helper()
	k, err := parse(s)
	must(t, err)
	return k
}

// boundServer starts a zmesh Server with opts on tcp loopback.
func boundServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	srv, err := NewServer(newCtx(t), opts)
	must(t, err)
	return srv, bindLoopback(t, srv)
}

// curveServer starts a zmesh Server with CURVE (the interop server key)
// that admits only the interop client key.
func curveServer(t *testing.T) (*Server, string) {
	t.Helper()
	auth := &mechanism.Auth{}
	auth.AllowKey(mustKey(t, mechanism.ParsePublicKey, interop.ClientPublic))
	return boundServer(t, Options{
		Mechanism: &mechanism.CurveServer{SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.ServerSecret)},
		Auth:      auth,
	})
}

// bindLoopback binds s to a free tcp port on the loopback interface and
// returns the endpoint to connect to.
func bindLoopback(t *testing.T, s interface {
	Bind(string) error
	LastEndpoint() (string, error)
}) string {
	t.Helper()
	must(t, s.Bind("tcp://127.0.0.1:*"))
	ep, err := s.LastEndpoint()
	must(t, err)
	return ep
}

// dialClient returns a Client with opts, connected to ep.
func dialClient(t *testing.T, opts Options, ep string) *Client {
	t.Helper()
	cli, err := NewClient(newCtx(t), opts)
	must(t, err)
	must(t, cli.Connect(ep))
	return cli
}

// wantRefused checks that the handshake of the client whose monitor is mon
// was refused by the peer's ERROR "400", and that the client then stops
// reconnecting, as libzmq does.
func wantRefused(t *testing.T, mon <-chan socket.Event) {
	t.Helper()
	e := waitFor(t, mon, socket.EventHandshakeFailed)
	var he *mechanism.HandshakeError
	if !errors.As(e.Err, &he) || !he.Remote || he.Retry || he.Reason != "peer sent ERROR: 400" {
		t.Fatalf("client: %v, want refused with ERROR 400", e.Err)
	}
	waitFor(t, mon, socket.EventConnectStopped)
}

// libzmqClientDenied starts an idle libzmq client of srv (at ep) with the
// given security flags, and checks that srv denies it (mechanism.ErrDenied)
// and that libzmq reports a line starting with want.
func libzmqClientDenied(t *testing.T, env *interop.Env, srv *Server, ep, want string, flags ...string) {
	t.Helper()
	mon := srv.Monitor()
	args := []string{"--type", "client", "--connect", ep, "--mode", "idle", "--timeout", "0", "--monitor"}
	p := env.Start(t, append(args, flags...)...)
	e := waitFor(t, mon, socket.EventHandshakeFailed)
	if !errors.Is(e.Err, mechanism.ErrDenied) {
		t.Fatalf("server: %v", e.Err)
	}
	if _, err := p.WaitLine(want, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Kill()
}

// libzmqEchoServer starts zpeer as an echo SERVER with the given security
// flags and returns it and its endpoint.
func libzmqEchoServer(t *testing.T, env *interop.Env, flags ...string) (*interop.Peer, string) {
	t.Helper()
	args := append([]string{"--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo", "--count", "0", "--timeout", "60000", "--monitor"}, flags...)
	p := env.Start(t, args...)
	ep, err := p.Bound(30 * time.Second)
	must(t, err)
	return p, ep
}

// echoThrough sends pattern messages of every size in securitySizes
// through cli and checks the echoes; it returns the last reply's peer.
func echoThrough(t *testing.T, cli *Client) *socket.Peer {
	t.Helper()
	peers := echoPeers(t, cli, securitySizes)
	return peers[len(peers)-1]
}

// echoPeers sends a pattern message of each size through cli and checks
// the echoes; it returns each reply's peer.
func echoPeers(t *testing.T, cli *Client, sizes []int) []*socket.Peer {
	t.Helper()
	ctx := testCtx(t)
	var peers []*socket.Peer
	for seq, size := range sizes {
		body := interop.Pattern(seq, size)
		if err := cli.Send(ctx, body); err != nil {
			t.Fatal(err)
		}
		m, err := cli.Recv(ctx)
		if err != nil {
			t.Fatalf("%d-byte echo: %v", size, err)
		}
		if !bytes.Equal(m.Body, body) {
			t.Fatalf("%d-byte echo differs (%d bytes back)", size, len(m.Body))
		}
		peers = append(peers, m.Peer)
	}
	return peers
}

func TestSecureMechanismsThroughEngine(t *testing.T) {
	serverSecret := mustKey(t, mechanism.ParseSecretKey, interop.ServerSecret)
	serverPublic := mustKey(t, mechanism.ParsePublicKey, interop.ServerPublic)
	clientSecret := mustKey(t, mechanism.ParseSecretKey, interop.ClientSecret)
	clientPublic := mustKey(t, mechanism.ParsePublicKey, interop.ClientPublic)
	otherSecret := mustKey(t, mechanism.ParseSecretKey, interop.OtherSecret)
	keyAuth := &mechanism.Auth{}
	keyAuth.AllowKey(clientPublic)
	userAuth := &mechanism.Auth{}
	must(t, userAuth.AddUser("admin", "secret"))
	cases := []struct {
		name            string
		server          mechanism.Mechanism
		auth            *mechanism.Auth
		client, refused mechanism.Mechanism
		wantUser        string
		wantKey         []byte
	}{
		{"PLAIN", mechanism.PlainServer{}, userAuth,
			mechanism.PlainClient{Username: "admin", Password: "secret"},
			mechanism.PlainClient{Username: "admin", Password: "guess"}, "admin", nil},
		{"CURVE", &mechanism.CurveServer{SecretKey: serverSecret}, keyAuth,
			&mechanism.CurveClient{ServerKey: serverPublic, SecretKey: clientSecret},
			&mechanism.CurveClient{ServerKey: serverPublic, SecretKey: otherSecret}, interop.ClientPublic, clientPublic[:]},
		{"NOISE", &mechanism.NoiseServer{SecretKey: serverSecret}, keyAuth,
			&mechanism.NoiseClient{ServerKey: serverPublic, SecretKey: clientSecret},
			&mechanism.NoiseClient{SecretKey: otherSecret}, interop.ClientPublic, clientPublic[:]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, ep := boundServer(t, Options{Mechanism: tc.server, Auth: tc.auth})
			peers := serveEcho(t, srv)

			cli := dialClient(t, Options{Mechanism: tc.client}, ep)
			for _, p := range echoPeers(t, cli, []int{0, 16, 65519, 65520, 1 << 20}) {
				if p == nil || p.Mechanism != tc.name {
					t.Fatalf("client's peer %+v", p)
				}
			}
			peer := <-peers
			if peer.UserID != tc.wantUser || !bytes.Equal(peer.PublicKey, tc.wantKey) || peer.SocketType != "CLIENT" {
				t.Fatalf("server's peer: user %q, key %x, type %s", peer.UserID, peer.PublicKey, peer.SocketType)
			}

			bad := dialClient(t, Options{Mechanism: tc.refused}, ep)
			wantRefused(t, bad.Monitor())
		})
	}
}

func TestInteropCurveLibzmqClientToServer(t *testing.T) {
	env := interop.Require(t)
	srv, ep := curveServer(t)
	// Record who the server saw, from inside its echo loop's messages.
	peers := serveEcho(t, srv)
	for _, size := range []string{"0", "222", "223", "65536", "1048576"} {
		p := env.Start(t, "--type", "client", "--connect", ep, "--mode", "reqrep", "--count", "20", "--size", size,
			"--curve-client", interop.ServerPublic, "--curve-public", interop.ClientPublic, "--curve-secret", interop.ClientSecret, "--timeout", "30000")
		if err := p.Wait(45 * time.Second); err != nil {
			t.Fatalf("libzmq CURVE client, %s-byte bodies: %v", size, err)
		}
	}
	peer := <-peers
	if peer == nil || peer.Mechanism != "CURVE" || peer.UserID != interop.ClientPublic || peer.SocketType != "CLIENT" {
		t.Fatalf("server saw peer %+v", peer)
	}
	if want := mustKey(t, mechanism.ParsePublicKey, interop.ClientPublic); !bytes.Equal(peer.PublicKey, want[:]) {
		t.Fatalf("peer public key %x", peer.PublicKey)
	}
}

func TestInteropCurveClientToLibzmqServer(t *testing.T) {
	env := interop.Require(t)
	p, ep := libzmqEchoServer(t, env, "--curve-server", interop.ServerSecret, "--curve-allow", interop.ClientPublic)
	cli := dialClient(t, Options{Mechanism: &mechanism.CurveClient{
		ServerKey: mustKey(t, mechanism.ParsePublicKey, interop.ServerPublic),
		PublicKey: mustKey(t, mechanism.ParsePublicKey, interop.ClientPublic),
		SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.ClientSecret),
	}}, ep)
	peer := echoThrough(t, cli)
	if peer == nil || peer.SocketType != "SERVER" || peer.Mechanism != "CURVE" {
		t.Fatalf("peer %+v", peer)
	}
	if _, err := p.WaitLine("zap 200 CURVE "+interop.ClientPublic, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestInteropCurveClientWithGeneratedKey(t *testing.T) {
	env := interop.Require(t)
	// No --curve-allow: the libzmq server's ZAP handler admits any key.
	p, ep := libzmqEchoServer(t, env, "--curve-server", interop.ServerSecret)
	mech := &mechanism.CurveClient{ServerKey: mustKey(t, mechanism.ParsePublicKey, interop.ServerPublic)}
	cli := dialClient(t, Options{Mechanism: mech}, ep)
	echoThrough(t, cli)
	pub, _, _ := mech.Keys()
	if _, err := p.WaitLine("zap 200 CURVE "+pub.String(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestInteropCurveHeartbeatsInsideMessages(t *testing.T) {
	// PING and PONG travel inside CURVE MESSAGE boxes, with the COMMAND
	// bit in the encrypted flags byte. Each direction is tested with only
	// one side sending PINGs: that side's timeout drops the link unless the other answers
	// PONG, which it does only if it decoded the PING as a command; and a
	// heartbeat misread as data would show up as a message.
	env := interop.Require(t)
	curveClientFlags := []string{"--curve-client", interop.ServerPublic, "--curve-public", interop.ClientPublic, "--curve-secret", interop.ClientSecret}
	for _, tc := range []struct {
		name     string
		ours     socket.Heartbeat
		libzmqHB []string
	}{
		{"zmesh pings, libzmq answers", socket.Heartbeat{Interval: 100 * time.Millisecond, Timeout: time.Second}, nil},
		{"libzmq pings, zmesh answers", socket.Heartbeat{}, []string{"--heartbeat-ivl", "100", "--heartbeat-timeout", "1000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, ep := boundServer(t, Options{
				Heartbeat: tc.ours,
				Mechanism: &mechanism.CurveServer{SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.ServerSecret)},
			})
			mon := srv.Monitor()
			args := append([]string{"--type", "client", "--connect", ep, "--mode", "idle", "--timeout", "0", "--monitor"}, tc.libzmqHB...)
			p := env.Start(t, append(args, curveClientFlags...)...)
			waitFor(t, mon, socket.EventHandshakeSucceeded)
			deadline := time.After(2500 * time.Millisecond)
			for done := false; !done; {
				select {
				case e := <-mon:
					if e.Type == socket.EventDisconnected || e.Type == socket.EventHandshakeFailed {
						t.Fatalf("CURVE link with heartbeats dropped: %v", e)
					}
				case <-deadline:
					done = true
				}
			}
			if m, err := srv.TryRecv(); err == nil {
				t.Fatalf("a heartbeat arrived as a %d-byte message %q", len(m.Body), m.Body)
			}
			if p.HasLine("event DISCONNECTED") {
				t.Fatalf("libzmq dropped the link: %q", p.Lines())
			}
		})
	}
}

func TestInteropCurveLibzmqClientWithUnlistedKeyIsRefused(t *testing.T) {
	env := interop.Require(t)
	srv, ep := curveServer(t)
	// Our ERROR "400" reaches libzmq as an authentication failure.
	libzmqClientDenied(t, env, srv, ep, "event HANDSHAKE_FAILED_AUTH 400",
		"--curve-client", interop.ServerPublic, "--curve-public", interop.OtherPublic, "--curve-secret", interop.OtherSecret)
}

func TestInteropCurveClientRefusedByLibzmq(t *testing.T) {
	env := interop.Require(t)
	p, ep := libzmqEchoServer(t, env, "--curve-server", interop.ServerSecret, "--curve-allow", interop.ClientPublic)
	cli := dialClient(t, Options{Mechanism: &mechanism.CurveClient{
		ServerKey: mustKey(t, mechanism.ParsePublicKey, interop.ServerPublic),
		SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.OtherSecret),
	}}, ep)
	// Refused by ERROR: no reconnecting, as libzmq.
	wantRefused(t, cli.Monitor())
	if _, err := p.WaitLine("zap 400 CURVE "+interop.OtherPublic, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestInteropCurveClientWithWrongServerKey(t *testing.T) {
	env := interop.Require(t)
	_, ep := libzmqEchoServer(t, env, "--curve-server", interop.ServerSecret)
	cli := dialClient(t, Options{Mechanism: &mechanism.CurveClient{
		ServerKey: mustKey(t, mechanism.ParsePublicKey, interop.OtherPublic),
	}}, ep)
	mon := cli.Monitor()
	// libzmq cannot open our HELLO and closes without a word.
	e := waitFor(t, mon, socket.EventHandshakeFailed)
	if e.Err == nil || !strings.Contains(e.Err.Error(), "ServerKey") {
		t.Fatalf("client: %v", e.Err)
	}
}

func TestInteropPlainLibzmqClientToServer(t *testing.T) {
	env := interop.Require(t)
	auth := &mechanism.Auth{}
	must(t, auth.AddUser("admin", "secret"))
	srv, ep := boundServer(t, Options{Mechanism: mechanism.PlainServer{}, Auth: auth})
	serveEcho(t, srv)
	p := env.Start(t, "--type", "client", "--connect", ep, "--mode", "reqrep", "--count", "20", "--size", "100",
		"--plain-client", "admin:secret", "--timeout", "30000")
	if err := p.Wait(45 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestInteropPlainClientToLibzmqServer(t *testing.T) {
	env := interop.Require(t)
	p, ep := libzmqEchoServer(t, env, "--plain-server", "admin:secret")
	cli := dialClient(t, Options{Mechanism: mechanism.PlainClient{Username: "admin", Password: "secret"}}, ep)
	peer := echoThrough(t, cli)
	if peer == nil || peer.Mechanism != "PLAIN" || peer.SocketType != "SERVER" {
		t.Fatalf("peer %+v", peer)
	}
	if _, err := p.WaitLine("zap 200 PLAIN admin", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestInteropPlainClientRefusedByLibzmq(t *testing.T) {
	// libzmq 4.3 refuses with its malformed "^RROR" command (its
	// "\x05ERROR" escape swallows the E, leaving 0x5E where the name's
	// length belongs), which must still read as ERROR "400".
	env := interop.Require(t)
	p, ep := libzmqEchoServer(t, env, "--plain-server", "admin:secret")
	cli := dialClient(t, Options{Mechanism: mechanism.PlainClient{Username: "admin", Password: "guess"}}, ep)
	wantRefused(t, cli.Monitor())
	if _, err := p.WaitLine("zap 400 PLAIN admin", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestInteropPlainLibzmqClientRefused(t *testing.T) {
	env := interop.Require(t)
	auth := &mechanism.Auth{}
	must(t, auth.AddUser("admin", "secret"))
	srv, ep := boundServer(t, Options{Mechanism: mechanism.PlainServer{}, Auth: auth})
	// Our (well-formed) ERROR is not the "^RROR" a libzmq 4.3 PLAIN client
	// looks for, so it fails the handshake either way.
	libzmqClientDenied(t, env, srv, ep, "event HANDSHAKE_FAILED_", "--plain-client", "admin:guess")
}
