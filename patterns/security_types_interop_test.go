package patterns

// PLAIN and CURVE between libzmq and zmesh for RADIO/DISH and
// SCATTER/GATHER, zmesh in both roles (the CLIENT/SERVER cases are in
// security_interop_test.go), and NULL against CURVE refused both ways.

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

// securePair names one mechanism's zpeer flags and zmesh mechanisms for
// the server and client roles.
type securePair struct {
	name            string
	zpeerServer     []string
	zpeerClient     []string
	server, client  func(t *testing.T) mechanism.Mechanism
	serverAuth      func(t *testing.T) mechanism.Authenticator
	wrongClient     []string // zpeer client flags that must be refused
	wrongClientMech func(t *testing.T) mechanism.Mechanism
}

func securePairs() []securePair {
	return []securePair{
		{
			name:        "CURVE",
			zpeerServer: []string{"--curve-server", interop.ServerSecret, "--curve-allow", interop.ClientPublic},
			zpeerClient: []string{"--curve-client", interop.ServerPublic, "--curve-public", interop.ClientPublic, "--curve-secret", interop.ClientSecret},
			server: func(t *testing.T) mechanism.Mechanism {
				return &mechanism.CurveServer{SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.ServerSecret)}
			},
			client: func(t *testing.T) mechanism.Mechanism {
				return &mechanism.CurveClient{
					ServerKey: mustKey(t, mechanism.ParsePublicKey, interop.ServerPublic),
					SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.ClientSecret),
				}
			},
			serverAuth: func(t *testing.T) mechanism.Authenticator {
				a := &mechanism.Auth{}
				a.AllowKey(mustKey(t, mechanism.ParsePublicKey, interop.ClientPublic))
				return a
			},
			wrongClient: []string{"--curve-client", interop.ServerPublic, "--curve-public", interop.OtherPublic, "--curve-secret", interop.OtherSecret},
			wrongClientMech: func(t *testing.T) mechanism.Mechanism {
				return &mechanism.CurveClient{
					ServerKey: mustKey(t, mechanism.ParsePublicKey, interop.ServerPublic),
					SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.OtherSecret),
				}
			},
		},
		{
			name:        "PLAIN",
			zpeerServer: []string{"--plain-server", "admin:secret"},
			zpeerClient: []string{"--plain-client", "admin:secret"},
			server:      func(t *testing.T) mechanism.Mechanism { return mechanism.PlainServer{} },
			client: func(t *testing.T) mechanism.Mechanism {
				return mechanism.PlainClient{Username: "admin", Password: "secret"}
			},
			serverAuth: func(t *testing.T) mechanism.Authenticator {
				a := &mechanism.Auth{}
				if err := a.AddUser("admin", "secret"); err != nil {
					t.Fatal(err)
				}
				return a
			},
			wrongClient: []string{"--plain-client", "admin:wrong"},
			wrongClientMech: func(t *testing.T) mechanism.Mechanism {
				return mechanism.PlainClient{Username: "admin", Password: "wrong"}
			},
		},
	}
}

// TestInteropSecureGatherScatter: libzmq SCATTER (mechanism client) into a
// zmesh GATHER (mechanism server), and zmesh SCATTER (client) into a
// libzmq GATHER (server); a wrong credential delivers nothing.
func TestInteropSecureGatherScatter(t *testing.T) {
	env := interop.Require(t)
	for _, sp := range securePairs() {
		t.Run(sp.name+"/libzmq scatter to zmesh gather", func(t *testing.T) {
			g, _ := NewGather(newCtx(t), Options{Mechanism: sp.server(t), Auth: sp.serverAuth(t)})
			g.Bind("tcp://127.0.0.1:*")
			ep, _ := g.LastEndpoint()
			p := env.Start(t, append([]string{"--type", "scatter", "--connect", ep, "--mode", "send", "--count", "100", "--size", "64"}, sp.zpeerClient...)...)
			for i := 0; i < 100; i++ {
				m, err := g.Recv(testCtx(t))
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if err := interop.CheckPattern(m.Body); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Wait(20 * time.Second); err != nil {
				t.Fatal(err)
			}
			// Refused credentials: nothing arrives.
			bad := env.Start(t, append([]string{"--type", "scatter", "--connect", ep, "--mode", "send", "--count", "1", "--size", "8", "--timeout", "1500"}, sp.wrongClient...)...)
			_ = bad.Wait(10 * time.Second)
			if m, err := g.TryRecv(); err == nil {
				t.Fatalf("a refused peer delivered %q", m.Body)
			}
		})
		t.Run(sp.name+"/zmesh scatter to libzmq gather", func(t *testing.T) {
			p := env.Start(t, append([]string{"--type", "gather", "--bind", "tcp://127.0.0.1:*", "--mode", "recv", "--count", "100", "--size", "64", "--timeout", "20000"}, sp.zpeerServer...)...)
			line, err := p.WaitLine("bound ", 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := NewScatter(newCtx(t), Options{Mechanism: sp.client(t)})
			s.Connect(strings.TrimPrefix(line, "bound "))
			for seq := 0; seq < 100; seq++ {
				if err := s.Send(testCtx(t), interop.Pattern(seq, 64)); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Wait(20 * time.Second); err != nil {
				t.Fatalf("libzmq gather: %v", err)
			}
		})
		t.Run(sp.name+"/zmesh scatter refused by libzmq gather", func(t *testing.T) {
			p := env.Start(t, append([]string{"--type", "gather", "--bind", "tcp://127.0.0.1:*", "--mode", "recv", "--count", "1", "--timeout", "3000"}, sp.zpeerServer...)...)
			line, err := p.WaitLine("bound ", 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := NewScatter(newCtx(t), Options{Mechanism: sp.wrongClientMech(t)})
			mon := s.Monitor()
			s.Connect(strings.TrimPrefix(line, "bound "))
			e := waitFor(t, mon, socket.EventHandshakeFailed)
			if !errors.Is(e.Err, socket.ErrHandshake) {
				t.Fatalf("refusal reported as %v", e.Err)
			}
			_ = s.TrySend([]byte("must not arrive"))
			var ee *interop.ExitError
			if err := p.Wait(10 * time.Second); !errors.As(err, &ee) || ee.Code != 2 {
				t.Fatalf("libzmq gather received something, or failed otherwise: %v", err)
			}
		})
	}
}

// TestInteropSecureRadioDish: libzmq RADIO (client) to a zmesh DISH
// (server).
func TestInteropSecureRadioDish(t *testing.T) {
	env := interop.Require(t)
	for _, sp := range securePairs() {
		t.Run(sp.name+"/libzmq radio to zmesh dish", func(t *testing.T) {
			d, _ := NewDish(newCtx(t), Options{Mechanism: sp.server(t), Auth: sp.serverAuth(t)})
			d.Bind("tcp://127.0.0.1:*")
			d.Join("g")
			ep, _ := d.LastEndpoint()
			p := env.Start(t, append([]string{"--type", "radio", "--connect", ep, "--group", "g", "--mode", "send", "--count", "20000", "--interval", "1", "--size", "32", "--timeout", "30000"}, sp.zpeerClient...)...)
			for i := 0; i < 10; i++ {
				m, err := d.Recv(testCtx(t))
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if m.Group != "g" || interop.CheckPattern(m.Body) != nil {
					t.Fatalf("bad message in %q", m.Group)
				}
			}
			_ = p.Signal(syscall.SIGKILL)
		})
		// zmesh RADIO → libzmq DISH under PLAIN/CURVE is not here: libzmq's
		// dish completes the handshake, then closes the link (open issue).
	}
}

// TestInteropNullAgainstCurveRefused: a NULL peer and a CURVE peer never
// exchange a message, whichever side is libzmq.
func TestInteropNullAgainstCurveRefused(t *testing.T) {
	env := interop.Require(t)
	t.Run("libzmq NULL client to zmesh CURVE server", func(t *testing.T) {
		srv, _ := NewServer(newCtx(t), Options{Mechanism: &mechanism.CurveServer{SecretKey: mustKey(t, mechanism.ParseSecretKey, interop.ServerSecret)}})
		mon := srv.Monitor()
		srv.Bind("tcp://127.0.0.1:*")
		ep, _ := srv.LastEndpoint()
		p := env.Start(t, "--type", "client", "--connect", ep, "--mode", "reqrep", "--count", "1", "--timeout", "1500")
		// libzmq reads our whole greeting at once, sees the mismatch and
		// closes before flushing its own: we see the close, not its name.
		waitFor(t, mon, socket.EventHandshakeFailed)
		var ee *interop.ExitError
		if err := p.Wait(10 * time.Second); !errors.As(err, &ee) || ee.Code == 0 {
			t.Fatalf("libzmq NULL client: %v, want it to time out with nothing exchanged", err)
		}
		if m, err := srv.TryRecv(); err == nil {
			t.Fatalf("delivered %q", m.Body)
		}
	})
	t.Run("zmesh NULL client to libzmq CURVE server", func(t *testing.T) {
		p := env.Start(t, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo", "--count", "1", "--timeout", "1500",
			"--curve-server", interop.ServerSecret)
		line, err := p.WaitLine("bound ", 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		cli, _ := NewClient(newCtx(t), Options{RecvTimeout: 300 * time.Millisecond})
		mon := cli.Monitor()
		cli.Connect(strings.TrimPrefix(line, "bound "))
		waitFor(t, mon, socket.EventHandshakeFailed) // libzmq closes before its greeting: EOF
		cli.TrySend([]byte("x"))
		if m, err := cli.Recv(testCtx(t)); err == nil {
			t.Fatalf("got a reply %q through a refused link", m.Body)
		}
		var ee *interop.ExitError
		if err := p.Wait(10 * time.Second); !errors.As(err, &ee) || ee.Code == 0 {
			t.Fatalf("libzmq CURVE server echoed something: %v", err)
		}
	})
}
