package mechanism

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// plainAuth admits the user admin with the password secret.
func plainAuth() *Auth {
	a := &Auth{}
	if err := a.AddUser("admin", "secret"); err != nil {
		panic(err) // a constant, valid user
	}
	return a
}

func TestPlainHandshakeMatchesLibzmqCapture(t *testing.T) {
	var wire []frame
	p := pair{client: PlainClient{Username: "admin", Password: "secret"}, server: PlainServer{}, serverAuth: plainAuth()}
	p.tamper = recordWire(&wire)
	cl, sv := runOK(t, p)
	if sv.res.UserID != "admin" || cl.res.Codec != nil || sv.res.Codec != nil {
		t.Fatalf("server result %+v", sv.res)
	}
	// Captured from libzmq 4.3.5 (user "admin", password "secret").
	want := []string{
		"04 13 05 HELLO 05 admin 06 secret",
		"04 08 07 WELCOME",
		"04 1f 08 INITIATE 0b Socket-Type 00 00 00 06 CLIENT",
		"04 1c 05 READY 0b Socket-Type 00 00 00 06 SERVER",
	}
	for i, w := range want {
		if got := zmtp.AppendFrame(nil, wire[i].flags, wire[i].body); !bytes.Equal(got, capture(w)) {
			t.Errorf("frame %d: % x, want %s", i, got, w)
		}
	}
}

// capture turns "04 13 05 HELLO" (hex bytes and literal words) into bytes.
func capture(s string) []byte {
	var out []byte
	for _, w := range strings.Fields(s) {
		if len(w) == 2 && strings.Trim(w, "0123456789abcdef") == "" {
			var b byte
			for _, c := range w {
				b = b<<4 | byte(strings.IndexRune("0123456789abcdef", c))
			}
			out = append(out, b)
		} else {
			out = append(out, w...)
		}
	}
	return out
}

func TestPlainRefusals(t *testing.T) {
	cases := []struct {
		name       string
		client     PlainClient
		auth       Authenticator
		wantRemote string // the client's remote reason; "" = closed silently
		serverErr  error
	}{
		{"wrong password", PlainClient{"admin", "guess"}, plainAuth(), "peer sent ERROR: 400", ErrDenied},
		{"unknown user", PlainClient{"mallory", "secret"}, plainAuth(), "peer sent ERROR: 400", ErrDenied},
		{"empty registry", PlainClient{"admin", "secret"}, &Auth{}, "peer sent ERROR: 400", ErrDenied},
		{"no authenticator", PlainClient{"admin", "secret"}, nil, "", nil},
		{"temporary", PlainClient{"admin", "secret"}, AuthFunc(func(context.Context, *AuthRequest) (string, error) { return "", ErrTemporary }), "", ErrTemporary},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl, sv := pair{client: tc.client, server: PlainServer{}, serverAuth: tc.auth}.run(t)
			she := mustHandshakeError(t, "server", sv.err)
			if tc.serverErr != nil && !errors.Is(sv.err, tc.serverErr) {
				t.Errorf("server error %v, want %v", sv.err, tc.serverErr)
			}
			if tc.wantRemote == "" {
				if !isEOF(cl.err) || len(sv.conn.commands()) != 0 {
					t.Fatalf("client %v, server wrote %d commands; want a silent close", cl.err, len(sv.conn.commands()))
				}
				if tc.auth == nil && !strings.Contains(she.Reason, "without an authenticator") {
					t.Errorf("server reason %q", she.Reason)
				}
				return
			}
			he := mustHandshakeError(t, "client", cl.err)
			if !he.Remote || he.Retry || he.Reason != tc.wantRemote {
				t.Fatalf("client error %#v", he)
			}
		})
	}
}

func TestPlainClientAcceptsLibzmqMalformedError(t *testing.T) {
	// A libzmq 4.3 PLAIN server denies with "^RROR" 03 "400" (see zmtp.IsMalformedError).
	p := pair{client: PlainClient{"admin", "x"}, server: PlainServer{}, serverAuth: plainAuth()}
	p.tamper = func(d direction, n int, f frame) []frame {
		if d == toClient && IsCommand(f.body, "ERROR") {
			f.body = []byte{0x5E, 'R', 'R', 'O', 'R', 3, '4', '0', '0'}
		}
		return []frame{f}
	}
	cl, _ := p.run(t)
	he := mustHandshakeError(t, "client", cl.err)
	if !he.Remote || he.Reason != "peer sent ERROR: 400" {
		t.Fatalf("client error %#v", he)
	}
}

func TestPlainServerSendsCorrectError(t *testing.T) {
	cl, sv := pair{client: PlainClient{"admin", "x"}, server: PlainServer{}, serverAuth: plainAuth()}.run(t)
	if cl.err == nil || sv.err == nil {
		t.Fatal("handshake succeeded")
	}
	cmds := sv.conn.commands()
	if len(cmds) != 1 || !bytes.Equal(cmds[0], zmtp.AppendError(nil, "400")) {
		t.Fatalf("server wrote %q", cmds)
	}
}

func TestPlainClientRejectsLongCredentials(t *testing.T) {
	fc := &frameConn{}
	_, err := PlainClient{Username: strings.Repeat("u", 256)}.Handshake(context.Background(), fc, testParams("CLIENT", nil, nil, false, nil))
	if !errors.Is(err, ErrInvalidConfig) || len(fc.commands()) != 0 {
		t.Fatalf("got %v", err)
	}
}

func TestPlainSocketTypeMismatch(t *testing.T) {
	cl, sv := pair{client: PlainClient{"admin", "secret"}, server: PlainServer{}, serverAuth: plainAuth(), clientType: "DISH"}.run(t)
	she := mustHandshakeError(t, "server", sv.err)
	if !strings.Contains(she.Reason, `incompatible socket type "DISH"`) || cl.err == nil {
		t.Fatalf("server %v, client %v", sv.err, cl.err)
	}
}

func TestPlainParsersRejectMalformedCommands(t *testing.T) {
	hello := func(rest string) []byte { return AppendCommand(nil, zmtp.CmdHello, []byte(rest)) }
	for name, body := range map[string][]byte{
		"empty":                  {},
		"user runs past the end": hello("\x05adm"),
		"no password length":     hello("\x05admin"),
		"password past the end":  hello("\x05admin\x07secret"),
		"trailing byte":          hello("\x05admin\x06secretX"),
		"not HELLO":              AppendCommand(nil, "HELLP", []byte{0, 0}),
		"name past the end":      {0x09, 'H'},
	} {
		if _, _, err := parsePlainHello(body); !errors.Is(err, ErrHandshake) {
			t.Errorf("HELLO %s: %v", name, err)
		}
	}
	if u, p, err := parsePlainHello(hello("\x00\x00")); err != nil || u != "" || p != "" {
		t.Errorf("empty credentials: %q %q %v", u, p, err)
	}
	for name, body := range map[string][]byte{
		"long":      AppendCommand(nil, zmtp.CmdWelcome, []byte{0}),
		"short":     []byte("\x07WELCOM"), // a 7-byte name with 6 bytes left: broken on purpose
		"other":     AppendCommand(nil, zmtp.CmdReady),
		"ERROR 400": zmtp.AppendError(nil, "400"),
	} {
		if err := parsePlainWelcome(body); !errors.Is(err, ErrHandshake) {
			t.Errorf("WELCOME %s: %v", name, err)
		}
	}
	if _, err := parsePlainInitiate(AppendCommand(nil, zmtp.CmdInitiate, []byte("\x0bSocket-Type\x00\x00\x00\x07CLIENT"))); !errors.Is(err, ErrHandshake) {
		t.Errorf("INITIATE with a short property: %v", err)
	}
}
