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
			g, err := NewGather(newCtx(t), Options{Mechanism: sp.server(t), Auth: sp.serverAuth(t)})
			must(t, err)
			ep := bindLoopback(t, g)
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
			must(t, err)
			s, err := NewScatter(newCtx(t), Options{Mechanism: sp.client(t)})
			must(t, err)
			must(t, s.Connect(strings.TrimPrefix(line, "bound ")))
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
			must(t, err)
			s, err := NewScatter(newCtx(t), Options{Mechanism: sp.wrongClientMech(t)})
			must(t, err)
			mon := s.Monitor()
			must(t, s.Connect(strings.TrimPrefix(line, "bound ")))
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
			d, err := NewDish(newCtx(t), Options{Mechanism: sp.server(t), Auth: sp.serverAuth(t)})
			must(t, err)
			ep := bindLoopback(t, d)
			must(t, d.Join("g"))
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
		t.Run(sp.name+"/zmesh radio to libzmq dish", func(t *testing.T) {
			// --zap-no-user-id: see TestInteropLibzmqDishDropsZAPUserID.
			p := env.Start(t, append([]string{"--type", "dish", "--bind", "tcp://127.0.0.1:*", "--join", "g", "--mode", "recv",
				"--count", "50", "--size", "32", "--timeout", "20000", "--zap-no-user-id"}, sp.zpeerServer...)...)
			line, err := p.WaitLine("bound ", 10*time.Second)
			must(t, err)
			r, err := NewRadio(newCtx(t), Options{Mechanism: sp.client(t)}, RadioOptions{})
			must(t, err)
			must(t, r.Connect(strings.TrimPrefix(line, "bound ")))
			if err := transmitUntilExit(t, r, p, "g", 32); err != nil {
				t.Fatalf("libzmq dish: %v", err)
			}
		})
		t.Run(sp.name+"/libzmq radio refused by zmesh dish", func(t *testing.T) {
			d, err := NewDish(newCtx(t), Options{Mechanism: sp.server(t), Auth: sp.serverAuth(t)})
			must(t, err)
			mon := d.Monitor()
			ep := bindLoopback(t, d)
			must(t, d.Join("g"))
			p := env.Start(t, append([]string{"--type", "radio", "--connect", ep, "--group", "g", "--mode", "send",
				"--count", "100000", "--interval", "1", "--size", "32", "--timeout", "30000"}, sp.wrongClient...)...)
			e := waitFor(t, mon, socket.EventHandshakeFailed)
			if !errors.Is(e.Err, socket.ErrHandshake) {
				t.Fatalf("refusal reported as %v", e.Err)
			}
			time.Sleep(300 * time.Millisecond) // the radio keeps sending and retrying meanwhile
			p.Kill()
			if m, err := d.TryRecv(); err == nil {
				t.Fatalf("a refused radio delivered %q", m.Body)
			}
		})
		t.Run(sp.name+"/zmesh radio refused by libzmq dish", func(t *testing.T) {
			p := env.Start(t, append([]string{"--type", "dish", "--bind", "tcp://127.0.0.1:*", "--join", "g", "--mode", "recv",
				"--count", "1", "--timeout", "2000", "--zap-no-user-id"}, sp.zpeerServer...)...)
			line, err := p.WaitLine("bound ", 10*time.Second)
			must(t, err)
			r, err := NewRadio(newCtx(t), Options{Mechanism: sp.wrongClientMech(t)}, RadioOptions{})
			must(t, err)
			mon := r.Monitor()
			must(t, r.Connect(strings.TrimPrefix(line, "bound ")))
			e := waitFor(t, mon, socket.EventHandshakeFailed)
			if !errors.Is(e.Err, socket.ErrHandshake) {
				t.Fatalf("refusal reported as %v", e.Err)
			}
			var ee *interop.ExitError
			if err := transmitUntilExit(t, r, p, "g", 32); !errors.As(err, &ee) || ee.Code != 2 {
				t.Fatalf("libzmq dish received something, or failed otherwise: %v", err)
			}
		})
	}
}

// TestInteropLibzmqDishDropsZAPUserID pins down a libzmq 4.3 bug that
// decides how a libzmq DISH must be configured behind PLAIN or CURVE: when
// its ZAP handler answers 200 with a non-empty user id, the engine pushes a
// credential message into the session before the first message, and
// dish_session_t::push_msg, which expects a group frame with MORE set,
// fails it, so the DISH closes the link at the first message. A libzmq
// RADIO is dropped exactly as a zmesh Radio is, so nothing on the radio's
// side can avoid it; a ZAP handler that answers with an empty user id does
// (the subtest above). If this test starts failing, libzmq has fixed it.
func TestInteropLibzmqDishDropsZAPUserID(t *testing.T) {
	env := interop.Require(t)
	sp := securePairs()[1] // PLAIN: the user id is the user name
	start := func(t *testing.T) (*interop.Peer, string) {
		p := env.Start(t, append([]string{"--type", "dish", "--bind", "tcp://127.0.0.1:*", "--join", "g", "--mode", "recv",
			"--count", "1", "--size", "32", "--timeout", "3000", "--monitor"}, sp.zpeerServer...)...)
		line, err := p.WaitLine("bound ", 10*time.Second)
		must(t, err)
		return p, strings.TrimPrefix(line, "bound ")
	}
	dropped := func(t *testing.T, p *interop.Peer, err error) {
		var ee *interop.ExitError
		if !errors.As(err, &ee) || ee.Code != 2 {
			t.Fatalf("the dish received a message, or failed otherwise: %v", err)
		}
		if !p.HasLine("event HANDSHAKE_SUCCEEDED") || !p.HasLine("event DISCONNECTED") {
			t.Fatalf("expected a handshake, then a disconnect:\n%s", p.Report())
		}
	}
	t.Run("zmesh radio", func(t *testing.T) {
		p, ep := start(t)
		r, err := NewRadio(newCtx(t), Options{Mechanism: sp.client(t)}, RadioOptions{})
		must(t, err)
		must(t, r.Connect(ep))
		dropped(t, p, transmitUntilExit(t, r, p, "g", 32))
	})
	t.Run("libzmq radio", func(t *testing.T) {
		p, ep := start(t)
		radio := env.Start(t, append([]string{"--type", "radio", "--connect", ep, "--group", "g", "--mode", "send",
			"--count", "100000", "--interval", "1", "--size", "32", "--timeout", "30000"}, sp.zpeerClient...)...)
		dropped(t, p, p.Wait(20*time.Second))
		radio.Kill()
	})
}

// transmitUntilExit publishes pattern messages of size bytes to group on r
// (a RADIO drops what it sends before the DISH's JOIN arrives) until the
// libzmq peer p exits, and returns how it exited.
func transmitUntilExit(t *testing.T, r *Radio, p *interop.Peer, group string, size int) error {
	ctx := testCtx(t)
	return untilExit(p, func(seq int) { _ = r.Transmit(ctx, interop.Pattern(seq, size), group) })
}

// untilExit calls send with 0, 1, 2... a millisecond apart until the
// libzmq peer p exits, and returns how it exited.
func untilExit(p *interop.Peer, send func(seq int)) error {
	done := make(chan error, 1)
	go func() { done <- p.Wait(30 * time.Second) }()
	for seq := 0; ; seq++ {
		select {
		case err := <-done:
			return err
		default:
		}
		send(seq)
		time.Sleep(time.Millisecond)
	}
}
