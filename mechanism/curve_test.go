package mechanism

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/internal/zmtp"
	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// Fixed keys from libzmq's tests (CURVE.md lists them).
var (
	libzmqServerSecret = mustSecret("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
	libzmqServerPublic = mustPublic("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
	libzmqClientSecret = mustSecret("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs")
	libzmqClientPublic = mustPublic("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID")
)

func mustSecret(s string) SecretKey {
	k, err := ParseSecretKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

func mustPublic(s string) PublicKey {
	k, err := ParsePublicKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

func curvePair() pair {
	return pair{
		client: &CurveClient{ServerKey: libzmqServerPublic, PublicKey: libzmqClientPublic, SecretKey: libzmqClientSecret},
		server: &CurveServer{SecretKey: libzmqServerSecret},
	}
}

func TestCurveHandshakeSucceedsWithLibzmqLayout(t *testing.T) {
	var wire []frame
	p := curvePair()
	p.tamper = recordWire(&wire)
	cl, sv := runOK(t, p)
	if got := sv.res.UserID; got != libzmqClientPublic.String() {
		t.Errorf("server UserID = %q, want the client's Z85 key %q", got, libzmqClientPublic)
	}
	if !bytes.Equal(sv.res.PublicKey, libzmqClientPublic[:]) {
		t.Errorf("server Result.PublicKey = %x, want the client's key", sv.res.PublicKey)
	}
	if !bytes.Equal(cl.res.PublicKey, libzmqServerPublic[:]) {
		t.Errorf("client Result.PublicKey = %x, want the server's key", cl.res.PublicKey)
	}
	// HELLO 200 B, WELCOME 168 B, INITIATE 257 + 22 B of metadata in a
	// long frame, READY 30 + 22 B; all command frames.
	checkWire(t, wire, []wireCommand{{"HELLO", 0x04, 200}, {"WELCOME", 0x04, 168}, {"INITIATE", 0x06, 279}, {"READY", 0x04, 52}})
	// Client short nonces: HELLO 1, INITIATE 2; server: READY 1.
	if n := binary.BigEndian.Uint64(wire[0].body[112:120]); n != 1 {
		t.Errorf("HELLO nonce %d, want 1", n)
	}
	if n := binary.BigEndian.Uint64(wire[2].body[105:113]); n != 2 {
		t.Errorf("INITIATE nonce %d, want 2", n)
	}
	if n := binary.BigEndian.Uint64(wire[3].body[6:14]); n != 1 {
		t.Errorf("READY nonce %d, want 1", n)
	}
	if !bytes.Equal(wire[0].body[6:80], append([]byte{1, 0}, make([]byte, 72)...)) {
		t.Errorf("HELLO version and padding: % x", wire[0].body[6:80])
	}

	// MESSAGE: client's first nonce is 3, server's 2; ordinary frames.
	f := mustSeal(t, cl.res.Codec, 0, []byte("hello"))
	if f.flags != 0x00 || len(f.body) != 38 || !IsCommand(f.body, "MESSAGE") || binary.BigEndian.Uint64(f.body[8:16]) != 3 {
		t.Errorf("client MESSAGE: flags %#02x, % x", f.flags, f.body[:16])
	}
	if fl, body, err := sv.res.Codec.Open(f.flags, f.body); err != nil || fl != 0 || string(body) != "hello" {
		t.Errorf("server Open: %#x %q %v", fl, body, err)
	}
	f = mustSeal(t, sv.res.Codec, FlagCommand, zmtp.AppendPing(nil, 0, nil))
	if f.flags != 0x00 || binary.BigEndian.Uint64(f.body[8:16]) != 2 {
		t.Errorf("server MESSAGE: flags %#02x, nonce % x", f.flags, f.body[8:16])
	}
	if fl, body, err := cl.res.Codec.Open(f.flags, f.body); err != nil || fl != FlagCommand || !bytes.Equal(body, zmtp.AppendPing(nil, 0, nil)) {
		t.Errorf("client Open: %#x %q %v", fl, body, err)
	}
}

func TestCurveClientGeneratesAStableKeyPair(t *testing.T) {
	m := &CurveClient{ServerKey: libzmqServerPublic}
	pub, sec, err := m.Keys()
	if err != nil || pub.IsZero() || sec.IsZero() || PublicFromSecret(sec) != pub {
		t.Fatalf("Keys: %v %v %v", pub, sec, err)
	}
	for i := 0; i < 2; i++ {
		cl, sv := pair{client: m, server: &CurveServer{SecretKey: libzmqServerSecret}}.run(t)
		if cl.err != nil || sv.err != nil {
			t.Fatalf("client: %v, server: %v", cl.err, sv.err)
		}
		if sv.res.UserID != pub.String() {
			t.Fatalf("connection %d: server saw %s, want the generated key %s", i, sv.res.UserID, pub)
		}
	}
}

func TestCurveClientDerivesPublicKey(t *testing.T) {
	m := &CurveClient{ServerKey: libzmqServerPublic, SecretKey: libzmqClientSecret}
	pub, _, err := m.Keys()
	if err != nil || pub != libzmqClientPublic {
		t.Fatalf("got %s %v, want %s", pub, err, libzmqClientPublic)
	}
}

func TestCurveMisconfiguredKeysFailBeforeTheWire(t *testing.T) {
	cases := []struct {
		name string
		m    Mechanism
	}{
		{"client without server key", &CurveClient{}},
		{"client with public but no secret", &CurveClient{ServerKey: libzmqServerPublic, PublicKey: libzmqClientPublic}},
		{"client with mismatched pair", &CurveClient{ServerKey: libzmqServerPublic, PublicKey: libzmqServerPublic, SecretKey: libzmqClientSecret}},
		{"client with low-order server key", &CurveClient{ServerKey: PublicKey{1}}},
		{"server without secret", &CurveServer{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc := &frameConn{}
			_, err := tc.m.Handshake(context.Background(), fc, testParams("CLIENT", nil, nil, false, nil))
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("got %v, want ErrInvalidKey", err)
			}
			if len(fc.commands()) != 0 {
				t.Fatalf("wrote %d commands", len(fc.commands()))
			}
		})
	}
}

func TestCurveWrongServerKeyFailsClientAndServerClosesSilently(t *testing.T) {
	otherPub, _ := newKeyPair(t)
	p := curvePair()
	p.client = &CurveClient{ServerKey: otherPub}
	cl, sv := p.run(t)
	he := mustHandshakeError(t, "client", cl.err)
	if he.Remote || !he.Retry || !isEOF(cl.err) || !strings.Contains(he.Reason, "ServerKey") {
		t.Errorf("client error %#v", he)
	}
	she := mustHandshakeError(t, "server", sv.err)
	if !strings.Contains(she.Reason, "does not know our public key") {
		t.Errorf("server error %q", she.Reason)
	}
	if n := len(sv.conn.commands()); n != 0 {
		t.Errorf("server wrote %d commands, want none", n)
	}
}

func TestCurveAuthenticator(t *testing.T) {
	other, _ := newKeyPair(t)
	cases := []struct {
		name       string
		auth       func() Authenticator
		wantReason string // client's HandshakeError reason; "" = success
		remote     bool
		wantUser   string
	}{
		{"no authenticator accepts every client (Stonehouse)", func() Authenticator { return nil }, "", false, libzmqClientPublic.String()},
		{"listed key", func() Authenticator { a := &Auth{}; a.AllowKey(libzmqClientPublic); return a }, "", false, libzmqClientPublic.String()},
		{"curve_auth off", func() Authenticator { a := &Auth{}; a.SetCurveAuth(false); return a }, "", false, libzmqClientPublic.String()},
		{"unlisted key", func() Authenticator { a := &Auth{}; a.AllowKey(other); return a }, "peer sent ERROR: 400", true, ""},
		{"empty registry", func() Authenticator { return &Auth{} }, "peer sent ERROR: 400", true, ""},
		{"denied address", func() Authenticator { a := &Auth{}; a.SetCurveAuth(false); _ = a.DenyAddr("127.0.0.0/8"); return a }, "peer sent ERROR: 400", true, ""},
		{"custom user id", func() Authenticator {
			return AuthFunc(func(_ context.Context, r *AuthRequest) (string, error) { return "alice", nil })
		}, "", false, "alice"},
		{"internal error", func() Authenticator {
			return AuthFunc(func(context.Context, *AuthRequest) (string, error) { return "", errors.New("db down") })
		}, "peer sent ERROR: 500", true, ""},
		{"temporary", func() Authenticator {
			return AuthFunc(func(context.Context, *AuthRequest) (string, error) { return "", ErrTemporary })
		}, "EOF", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := curvePair()
			p.serverAuth = tc.auth()
			cl, sv := p.run(t)
			if tc.wantReason == "" {
				if cl.err != nil || sv.err != nil {
					t.Fatalf("client: %v, server: %v", cl.err, sv.err)
				}
				if sv.res.UserID != tc.wantUser {
					t.Fatalf("UserID %q, want %q", sv.res.UserID, tc.wantUser)
				}
				return
			}
			if sv.err == nil {
				t.Fatal("server accepted the client")
			}
			if tc.remote {
				he := mustHandshakeError(t, "client", cl.err)
				if !he.Remote || he.Retry || he.Reason != tc.wantReason {
					t.Fatalf("client error %#v, want remote %q", he, tc.wantReason)
				}
			} else if !isEOF(cl.err) {
				t.Fatalf("client error %v, want the connection closed", cl.err)
			}
		})
	}
}

func TestCurveHandshakeNoncesMustIncrease(t *testing.T) {
	fx := getCurveFixture()
	// An INITIATE correctly sealed under a nonce that is not above HELLO's
	// (1) is refused before anything else in it is looked at.
	inner, _ := secretbox.Open(nil, fx.initiate[113:], ptr(shortNonce(nonceInitiate, 2)), &fx.shared)
	b := append([]byte(nil), fx.initiate[:105]...)
	b = binary.BigEndian.AppendUint64(b, 1)
	b = secretbox.Seal(b, inner, ptr(shortNonce(nonceInitiate, 1)), &fx.shared)
	st := fx.server1
	if _, err := st.onInitiate(b); err == nil || !strings.Contains(err.Error(), "nonce 1 is not above 1") {
		t.Fatalf("INITIATE with nonce 1: %v", err)
	}
	// A READY under nonce 0.
	r := binary.BigEndian.AppendUint64(AppendCommand(nil, "READY"), 0)
	r = secretbox.Seal(r, nil, ptr(shortNonce(nonceReady, 0)), &fx.shared)
	cl := fx.client2
	if _, err := cl.onReady(r); err == nil || !strings.Contains(err.Error(), "nonce 0 is not above 0") {
		t.Fatalf("READY with nonce 0: %v", err)
	}
}

func TestCurveRefusesLowOrderKeys(t *testing.T) {
	fx := getCurveFixture()
	// A HELLO from the all-zero "key": its box would open under a
	// predictable key if the server did not refuse it.
	hello := append([]byte(nil), fx.hello...)
	clear(hello[80:112])
	var zeroShared [32]byte
	if err := precompute(&zeroShared, &[32]byte{}, &[32]byte{1}); err == nil {
		t.Fatal("precompute accepted a low-order point")
	}
	st := fx.server0
	st.rand = &detReader{2}
	if _, err := st.onHello(hello); err == nil || !strings.Contains(err.Error(), "low-order") {
		t.Fatalf("HELLO from a low-order key: %v", err)
	}
}

func TestPrecomputeMatchesBoxPrecompute(t *testing.T) {
	for i := 0; i < 20; i++ {
		pub, _ := newKeyPair(t)
		_, sec := newKeyPair(t)
		var want, got [32]byte
		box.Precompute(&want, (*[32]byte)(&pub), (*[32]byte)(&sec))
		if err := precompute(&got, (*[32]byte)(&pub), (*[32]byte)(&sec)); err != nil || got != want {
			t.Fatalf("precompute differs from box.Precompute: %v", err)
		}
	}
}

// A CURVE client whose server closes before its greeting, HELLO having gone
// out with ours, is told what that usually means; other mechanisms and
// other errors pass through unchanged.
func TestClosedEarly(t *testing.T) {
	eof := &HandshakeError{Reason: "greeting", Retry: true, Err: io.EOF}
	err := ClosedEarly(&CurveClient{}, eof)
	var he *HandshakeError
	if !errors.As(err, &he) || !strings.Contains(he.Reason, "ServerKey") || !he.Retry || !errors.Is(err, io.EOF) {
		t.Fatalf("CURVE client, EOF: %v", err)
	}
	reset := errors.New("connection reset by peer")
	if err := ClosedEarly(&CurveClient{}, reset); err != reset {
		t.Fatalf("CURVE client, other error: %v", err)
	}
	for _, m := range []Mechanism{Null{}, &NoiseClient{}, PlainClient{}} {
		if err := ClosedEarly(m, eof); err != eof {
			t.Fatalf("%s: %v", m.Name(), err)
		}
	}
}
