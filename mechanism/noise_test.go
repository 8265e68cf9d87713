package mechanism

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/flynn/noise"
	"github.com/zmesh/zmesh/internal/zmtp"
)

var (
	noiseServerSecret = libzmqServerSecret
	noiseServerPublic = libzmqServerPublic
)

func noisePair() pair {
	return pair{
		client: &NoiseClient{PublicKey: libzmqClientPublic, SecretKey: libzmqClientSecret},
		server: &NoiseServer{SecretKey: noiseServerSecret},
	}
}

func TestNoiseHandshake(t *testing.T) {
	var wire []frame
	p := noisePair()
	p.tamper = recordWire(&wire)
	cl, sv := runOK(t, p)
	if !bytes.Equal(sv.res.PublicKey, libzmqClientPublic[:]) || sv.res.UserID != libzmqClientPublic.String() {
		t.Errorf("server result: key %x, user %q", sv.res.PublicKey, sv.res.UserID)
	}
	if !bytes.Equal(cl.res.PublicKey, noiseServerPublic[:]) {
		t.Errorf("client result: key %x", cl.res.PublicKey)
	}
	// NOISE.md: HELLO = 05 HELLO 01 e; WELCOME = 07 WELCOME + 96 bytes;
	// INITIATE = 08 INITIATE + 64 + properties; READY = 05 READY + 16 + properties.
	checkWire(t, wire, []wireCommand{
		{"HELLO", FlagCommand, 6 + 1 + 32}, {"WELCOME", FlagCommand, 8 + 96},
		{"INITIATE", FlagCommand, 9 + 48 + 22 + 16}, {"READY", FlagCommand, 6 + 22 + 16},
	})
	if wire[0].body[6] != noiseVersion {
		t.Errorf("HELLO version %d", wire[0].body[6])
	}
	// Properties never travel in clear.
	for i, f := range wire {
		if bytes.Contains(f.body, []byte("Socket-Type")) {
			t.Errorf("frame %d carries properties in clear", i)
		}
	}
	for _, tc := range []struct {
		flags byte
		body  string
	}{{0, "hello"}, {FlagMore, "group"}, {FlagCommand, string(zmtp.AppendPing(nil, 0, nil))}, {0, ""}} {
		if f, b := exchange(t, cl.res.Codec, sv.res.Codec, tc.flags, []byte(tc.body)); f != tc.flags || string(b) != tc.body {
			t.Errorf("C>S %#x %q: got %#x %q", tc.flags, tc.body, f, b)
		}
		if f, b := exchange(t, sv.res.Codec, cl.res.Codec, tc.flags, []byte(tc.body)); f != tc.flags || string(b) != tc.body {
			t.Errorf("S>C %#x %q: got %#x %q", tc.flags, tc.body, f, b)
		}
	}
}

func TestNoiseClientPinsServerKey(t *testing.T) {
	other, _ := newKeyPair(t)
	p := noisePair()
	p.client = &NoiseClient{ServerKey: other}
	cl, sv := p.run(t)
	he := mustHandshakeError(t, "client", cl.err)
	if he.Retry || !strings.Contains(he.Reason, "is not the pinned ServerKey") {
		t.Fatalf("client error %#v", he)
	}
	if sv.err == nil {
		t.Fatal("server finished the handshake")
	}
	// The client stopped before INITIATE: its key never left it.
	if cmds := cl.conn.commands(); len(cmds) != 1 {
		t.Fatalf("client wrote %d commands, want only HELLO", len(cmds))
	}

	p.client = &NoiseClient{ServerKey: noiseServerPublic}
	if cl, sv := p.run(t); cl.err != nil || sv.err != nil {
		t.Fatalf("correct pin: client %v, server %v", cl.err, sv.err)
	}
}

func TestNoiseAuthenticator(t *testing.T) {
	other, _ := newKeyPair(t)
	allowed := &Auth{}
	allowed.AllowKey(libzmqClientPublic)
	unlisted := &Auth{}
	unlisted.AllowKey(other)
	var seen *AuthRequest
	recorder := AuthFunc(func(_ context.Context, r *AuthRequest) (string, error) { seen = r; return "", nil })
	for _, tc := range []struct {
		name   string
		auth   Authenticator
		denied bool
	}{{"none", nil, false}, {"listed", allowed, false}, {"unlisted", unlisted, true}, {"recorder", recorder, false}} {
		t.Run(tc.name, func(t *testing.T) {
			p := noisePair()
			p.serverAuth = tc.auth
			cl, sv := p.run(t)
			if !tc.denied {
				if cl.err != nil || sv.err != nil {
					t.Fatalf("client %v, server %v", cl.err, sv.err)
				}
				return
			}
			if !errors.Is(sv.err, ErrDenied) {
				t.Fatalf("server error %v", sv.err)
			}
			he := mustHandshakeError(t, "client", cl.err)
			if !he.Remote || he.Reason != "peer sent ERROR: 400" {
				t.Fatalf("client error %#v", he)
			}
		})
	}
	if seen == nil || seen.Mechanism != "NOISE" || seen.Address != "127.0.0.1" || !bytes.Equal(seen.PublicKey, libzmqClientPublic[:]) {
		t.Fatalf("authenticator saw %+v", seen)
	}
}

func TestNoiseGreetingsAreBound(t *testing.T) {
	// The server's idea of the client's greeting differs from what the
	// client sent (as if changed on the wire): the handshake must fail.
	prologueC, err := noisePrologue(testGreeting("NOISE", false), testGreeting("NOISE", true))
	mustOK(t, err)
	bad := testGreeting("NOISE", false)
	bad[11] = 0 // minor version 0
	prologueS, err := noisePrologue(bad, testGreeting("NOISE", true))
	mustOK(t, err)
	ini, err := newNoiseInitiator(nil, &detReader{1}, libzmqClientPublic, libzmqClientSecret, prologueC, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := newNoiseResponder(&detReader{2}, noiseServerPublic, noiseServerSecret, prologueS)
	if err != nil {
		t.Fatal(err)
	}
	hello, err := ini.hello()
	mustOK(t, err)
	welcome, err := res.onHello(hello)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ini.onWelcome(welcome, nil); !errors.Is(err, ErrHandshake) {
		t.Fatalf("onWelcome with different greetings: %v", err)
	}
	if _, err := noisePrologue(nil, make([]byte, 64)); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("missing greeting: %v", err)
	}
}

func TestNoiseVersionMismatchGetsError(t *testing.T) {
	p := noisePair()
	p.tamper = func(d direction, n int, f frame) []frame {
		if d == toServer && n == 0 {
			f.body[6] = 2
		}
		return []frame{f}
	}
	cl, sv := p.run(t)
	mustHandshakeError(t, "server", sv.err)
	he := mustHandshakeError(t, "client", cl.err)
	if !he.Remote || he.Reason != "peer sent ERROR: unsupported NOISE version 2" {
		t.Fatalf("client error %#v", he)
	}
}

func TestNoiseServerWithoutKeyFails(t *testing.T) {
	fc := &frameConn{}
	_, err := (&NoiseServer{}).Handshake(context.Background(), fc, testParams("SERVER", testGreeting("NOISE", true), testGreeting("NOISE", false), true, nil))
	if !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("got %v", err)
	}
}

// TestNoiseTransportIsStandardNoise checks that the codec's messages are
// exactly what flynn/noise's CipherState.Encrypt produces, before and after
// a rekey.
func TestNoiseTransportIsStandardNoise(t *testing.T) {
	var k [32]byte
	copy(k[:], "0123456789abcdef0123456789abcdef")
	const every = 3
	c := newNoiseCodec(noise.UnsafeNewCipherState(noiseSuite, k, 0), noise.UnsafeNewCipherState(noiseSuite, k, 0), every)
	ref := noise.UnsafeNewCipherState(noiseSuite, k, 0)
	for i := 0; i < 3*every+1; i++ {
		body := bytes.Repeat([]byte{byte(i)}, i*7)
		f := mustSeal(t, c, FlagMore, body)
		want, err := ref.Encrypt(nil, []byte{FlagMore | noiseADLast}, body)
		mustOK(t, err)
		if !bytes.Equal(f.body, want) {
			t.Fatalf("message %d differs from CipherState.Encrypt", i)
		}
		if (i+1)%every == 0 {
			ref.Rekey()
		}
	}
}

func TestNoiseRekeyAcrossTheBoundary(t *testing.T) {
	cl, sv := noisePair().run(t)
	if cl.err != nil || sv.err != nil {
		t.Fatalf("client: %v, server: %v", cl.err, sv.err)
	}
	cc, sc := cl.res.Codec.(*noiseCodec), sv.res.Codec.(*noiseCodec)
	// READY was the server's message 0; cross noiseRekeyEvery in both
	// directions with real handshake keys.
	body := []byte("0123456789abcdef")
	for i := 0; i < noiseRekeyEvery+10; i++ {
		if _, b := exchange(t, cc, sc, 0, body); !bytes.Equal(b, body) {
			t.Fatalf("C>S message %d: %q", i, b)
		}
		if _, b := exchange(t, sc, cc, 0, body); !bytes.Equal(b, body) {
			t.Fatalf("S>C message %d: %q", i, b)
		}
	}
	if cc.send.n != noiseRekeyEvery+10 || sc.send.n != noiseRekeyEvery+11 || cc.send.count != 10 || sc.send.count != 11 {
		t.Fatalf("client sent %d (count %d), server %d (count %d)", cc.send.n, cc.send.count, sc.send.n, sc.send.count)
	}
}

func TestNoiseRekeyIsRequired(t *testing.T) {
	// One side rekeys after 4 messages, the other never: message 5 must
	// fail, which shows the key really changes.
	var k [32]byte
	k[0] = 7
	a := newNoiseCodec(noise.UnsafeNewCipherState(noiseSuite, k, 0), noise.UnsafeNewCipherState(noiseSuite, k, 0), 4)
	b := newNoiseCodec(noise.UnsafeNewCipherState(noiseSuite, k, 0), noise.UnsafeNewCipherState(noiseSuite, k, 0), 1<<62)
	for i := 0; i < 4; i++ {
		exchange(t, a, b, 0, []byte("x"))
	}
	f := mustSeal(t, a, 0, []byte("x"))
	if _, _, err := b.Open(f.flags, f.body); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("got %v, want ErrDecrypt", err)
	}
}

// TestNoiseWireSizes pins the examples of NOISE.md's transport section.
func TestNoiseWireSizes(t *testing.T) {
	cs := codecPairs(t)["NOISE"]
	for _, tc := range []struct{ body, wire int }{{0, 16}, {16, 32}, {1024, 1040}, {65519, 65535}, {65520, 65552}, {1 << 20, 1048848}} {
		f := mustSeal(t, cs[0], 0, make([]byte, tc.body))
		if len(f.body) != tc.wire {
			t.Errorf("%d-byte body: %d-byte wire body, NOISE.md says %d", tc.body, len(f.body), tc.wire)
		}
		if _, _, err := cs[1].Open(f.flags, f.body); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := noisePrologue(make([]byte, 64), make([]byte, 64)); err != nil || len(p) != 142 {
		t.Errorf("prologue of %d bytes (%v), NOISE.md says 142", len(p), err)
	}
}

// TestNoiseRekeyInsideMultiChunkFrames seals frames of several chunks with
// a rekey every 2 messages, so keys change in the middle of frames, and
// checks every chunk against flynn/noise's CipherState.
func TestNoiseRekeyInsideMultiChunkFrames(t *testing.T) {
	var k [32]byte
	copy(k[:], "multi-chunk frames, rekey inside")
	a := newNoiseCodec(noise.UnsafeNewCipherState(noiseSuite, k, 0), noise.UnsafeNewCipherState(noiseSuite, k, 0), 2)
	b := newNoiseCodec(noise.UnsafeNewCipherState(noiseSuite, k, 0), noise.UnsafeNewCipherState(noiseSuite, k, 0), 2)
	ref := noise.UnsafeNewCipherState(noiseSuite, k, 0)
	sent := 0
	for _, n := range []int{65520, 0, 3*noiseMaxChunk + 5, 65519, 2 * noiseMaxChunk, 7} {
		body := pattern(n)
		f := mustSeal(t, a, FlagMore, body)
		chunks := noiseChunks(n)
		for i := 0; i < chunks; i++ {
			ad := []byte{FlagMore}
			if i == chunks-1 {
				ad[0] |= noiseADLast
			}
			want, err := ref.Encrypt(nil, ad, body[i*noiseMaxChunk:min(n, (i+1)*noiseMaxChunk)])
			mustOK(t, err)
			got := f.body[i*noiseMaxMessage : min(len(f.body), (i+1)*noiseMaxMessage)]
			if !bytes.Equal(got, want) {
				t.Fatalf("%d-byte frame, chunk %d differs from CipherState.Encrypt", n, i)
			}
			if sent++; sent%2 == 0 {
				ref.Rekey()
			}
		}
		if fl, got, err := b.Open(f.flags, f.body); err != nil || fl != FlagMore || !bytes.Equal(got, body) {
			t.Fatalf("%d-byte frame: %v", n, err)
		}
	}
}
