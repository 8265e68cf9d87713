package mechanism

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/flynn/noise"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// NOISE is zmesh's own mechanism, for zmesh-to-zmesh links: the Noise
// protocol framework's Noise_XX_25519_ChaChaPoly_BLAKE2b handshake, then
// every frame sealed with ChaCha20-Poly1305. Its wire format is written
// down in NOISE.md beside this file.
//
// XX rather than IK: the client need not know the server's key in advance
// (it may pin one), both long-term keys travel encrypted, and the client
// reveals its key only after the server has proved its own, so a client
// never shows its identity to an impostor. The price, one more message than
// IK, is paid once per connection.
const (
	noiseVersion  = 1
	noiseProtocol = "Noise_XX_25519_ChaChaPoly_BLAKE2b"
	// noiseLabel starts the prologue, ahead of both greetings.
	noiseLabel = "zmesh-NOISE-1\x00"
	// noiseMaxMessage is the Noise protocol's limit on one message, and
	// noiseMaxChunk the plaintext that fits in one transport message.
	noiseMaxMessage = noise.MaxMsgLen
	noiseTagSize    = 16
	noiseMaxChunk   = noiseMaxMessage - noiseTagSize
	noiseKeySize    = 32
	// noiseWelcomeSize is e, encrypted s and the tag of the empty payload.
	noiseWelcomeSize = noiseKeySize + noiseKeySize + noiseTagSize + noiseTagSize
	// noiseRekeyEvery is how many transport messages each direction seals
	// under one key before both ends rekey it (Noise §11.3), in lockstep:
	// the sender after sealing its message number k·noiseRekeyEvery, the
	// receiver after opening it.
	noiseRekeyEvery = 1 << 16
)

var noiseSuite = noise.NewCipherSuite(noise.DH25519, noise.CipherChaChaPoly, noise.HashBLAKE2b)

// NoiseClient is the client (Noise initiator) role of the NOISE mechanism.
// PublicKey/SecretKey is the client's long-term key pair: if both are zero,
// one is generated on first use and kept for every connection of this
// value; if only SecretKey is set, PublicKey is derived from it. ServerKey,
// if set, pins the server: a server with another key fails the handshake
// before the client reveals its own key.
//
// Use a *NoiseClient, and do not change its fields after its first
// handshake.
type NoiseClient struct {
	ServerKey PublicKey // the server's public key, if pinned; optional
	PublicKey PublicKey // the client's long-term public key; optional
	SecretKey SecretKey // the client's long-term secret key; optional

	keyedClient
}

// Name returns "NOISE".
func (*NoiseClient) Name() string { return "NOISE" }

// Keys returns the client's long-term key pair, its static key in the
// Noise handshake, generating it if none was configured.
func (m *NoiseClient) Keys() (PublicKey, SecretKey, error) {
	return m.keys.get("NoiseClient", m.PublicKey, m.SecretKey)
}

// Handshake runs the initiator's side: HELLO (→ e), WELCOME (← e, ee, s,
// es), INITIATE (→ s, se, with our properties), then the server's READY
// (its properties, already under the transport keys) or ERROR.
// Result.PublicKey is the server's long-term key.
func (m *NoiseClient) Handshake(ctx context.Context, c Conn, p *Params) (*Result, error) {
	return handshakeOpened(ctx, m, c, p)
}

// Open builds HELLO before the server's greeting is in: Noise message 1
// is our ephemeral key alone, which the prologue (both greetings) does not
// change, so the engine sends it with our greeting. The handshake state,
// which needs the prologue, is made in finish with that same key.
//
// With a pinned ServerKey, finish also computes es (our ephemeral key with
// the server's long-term key) before it waits for WELCOME, while the server
// works on its answer, instead of after.
func (m *NoiseClient) Open(p *Params) ([]byte, Finish, error) {
	pub, sec, err := m.Keys()
	if err != nil {
		return nil, nil, err
	}
	dh := &noiseDH{}
	e, err := dh.GenerateKeypair(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("NOISE: %w", err)
	}
	dh.preset = &e
	hello := append(zmtp.AppendCommand(make([]byte, 0, 7+noiseKeySize), "HELLO"), noiseVersion)
	hello = append(hello, e.Public...)
	var pin *PublicKey
	if !m.ServerKey.IsZero() {
		pin = &m.ServerKey
	}
	return hello, func(ctx context.Context, c Conn) (*Result, error) {
		defer dh.wipe()
		prologue, err := noisePrologue(p.LocalGreeting, p.PeerGreeting)
		if err != nil {
			return nil, err
		}
		st, err := newNoiseInitiator(dh, rand.Reader, pub, sec, prologue, pin)
		if err != nil {
			return nil, err
		}
		again, err := st.hello() // takes the preset key: the HELLO we sent
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(again, hello) {
			return nil, errors.New("NOISE: HELLO differs from the one sent with the greeting")
		}
		if pin != nil {
			dh.precompute(e.Private, pin[:])
		}
		return clientHandshake(ctx, c, p, st, nil, "")
	}, nil
}

// NoiseServer is the server (Noise responder) role of the NOISE mechanism.
// SecretKey is the server's long-term secret key.
//
// Once a client has proved its long-term key, Params.Auth decides (mechanism
// "NOISE", the peer's address, the client's 32-byte public key). Without an
// authenticator every client is accepted: the link is encrypted and the
// client's key is reported, but anyone may connect. Use an *Auth with
// AllowKey to admit only known clients. Result.UserID is what the
// authenticator returned, or the client's key in Z85 if that is empty.
//
// Use a *NoiseServer, and do not change SecretKey after its first
// handshake.
type NoiseServer struct {
	SecretKey SecretKey // the server's long-term secret key; required

	keyedServer
}

// Name returns "NOISE".
func (*NoiseServer) Name() string { return "NOISE" }

// PublicKey returns the server's public key, the one clients may pin.
func (m *NoiseServer) PublicKey() (PublicKey, error) {
	return m.key.get("NoiseServer", m.SecretKey)
}

// Handshake runs the responder's side: it reads HELLO, answers WELCOME,
// reads INITIATE, authenticates the client and checks its properties, and
// answers READY, or ERROR "400"/"500" if the authenticator refuses.
func (m *NoiseServer) Handshake(ctx context.Context, c Conn, p *Params) (*Result, error) {
	return m.handshake(ctx, c, p, "NOISE", "NoiseServer", m.SecretKey, func(pub PublicKey) (serverRole, error) {
		prologue, err := noisePrologue(p.PeerGreeting, p.LocalGreeting)
		if err != nil {
			return nil, err
		}
		return newNoiseResponder(rand.Reader, pub, m.SecretKey, prologue)
	})
}

// noisePrologue binds both greetings, client's first, into the handshake:
// a greeting changed on the way fails it.
func noisePrologue(client, server []byte) ([]byte, error) {
	if len(client) != 64 || len(server) != 64 {
		return nil, fmt.Errorf("NOISE needs both 64-byte greetings (have %d and %d bytes): %w", len(client), len(server), ErrInvalidConfig)
	}
	b := make([]byte, 0, len(noiseLabel)+128)
	b = append(b, noiseLabel...)
	b = append(b, client...)
	return append(b, server...), nil
}

func newNoiseHandshake(dh *noiseDH, r io.Reader, initiator bool, pub PublicKey, sec SecretKey, prologue []byte) (*noise.HandshakeState, error) {
	suite := noiseSuite
	if dh != nil {
		suite = noise.NewCipherSuite(dh, noise.CipherChaChaPoly, noise.HashBLAKE2b)
	}
	return noise.NewHandshakeState(noise.Config{
		CipherSuite:   suite,
		Random:        r,
		Pattern:       noise.HandshakeXX,
		Initiator:     initiator,
		Prologue:      prologue,
		StaticKeypair: noise.DHKey{Private: append([]byte(nil), sec[:]...), Public: append([]byte(nil), pub[:]...)},
	})
}

// noiseInitiator is one connection's client-side NOISE state; the
// handshake goroutine owns it.
type noiseInitiator struct {
	hs    *noise.HandshakeState
	pin   *PublicKey
	peer  PublicKey
	codec *noiseCodec
}

func newNoiseInitiator(dh *noiseDH, r io.Reader, pub PublicKey, sec SecretKey, prologue []byte, pin *PublicKey) (*noiseInitiator, error) {
	hs, err := newNoiseHandshake(dh, r, true, pub, sec, prologue)
	if err != nil {
		return nil, fmt.Errorf("NOISE: %w", err)
	}
	return &noiseInitiator{hs: hs, pin: pin}, nil
}

// hello builds HELLO: the version byte, then Noise message 1 (→ e).
func (st *noiseInitiator) hello() ([]byte, error) {
	b := append(zmtp.AppendCommand(make([]byte, 0, 7+noiseKeySize), "HELLO"), noiseVersion)
	b, _, _, err := st.hs.WriteMessage(b, nil)
	if err != nil {
		return nil, fmt.Errorf("NOISE: %w", err)
	}
	return b, nil
}

// onWelcome reads Noise message 2 (← e, ee, s, es), checks the server's key
// against the pin, and builds INITIATE: Noise message 3 (→ s, se) whose
// payload is our properties.
func (st *noiseInitiator) onWelcome(body []byte, md Metadata) ([]byte, error) {
	if !zmtp.IsCommand(body, "WELCOME") {
		return nil, Unexpected(body, "WELCOME")
	}
	msg := body[8:]
	if len(msg) != noiseWelcomeSize {
		return nil, Protocolf("NOISE WELCOME carries %d bytes, want %d", len(msg), noiseWelcomeSize)
	}
	if _, _, _, err := st.hs.ReadMessage(nil, msg); err != nil {
		return nil, &HandshakeError{Reason: "NOISE WELCOME does not decrypt (tampered, or the greetings differ)", Err: err}
	}
	copy(st.peer[:], st.hs.PeerStatic())
	if st.pin != nil && !st.pin.Equal(st.peer) {
		return nil, Protocolf("NOISE server key %s is not the pinned ServerKey %s", st.peer, *st.pin)
	}
	payload := md.Append(nil)
	if len(payload) > noiseMaxMessage-noiseKeySize-2*noiseTagSize {
		return nil, fmt.Errorf("NOISE: %d bytes of properties do not fit in INITIATE: %w", len(payload), ErrInvalidConfig)
	}
	b := zmtp.AppendCommand(make([]byte, 0, 9+noiseKeySize+2*noiseTagSize+len(payload)), "INITIATE")
	b, send, recv, err := st.hs.WriteMessage(b, payload)
	if err != nil {
		return nil, fmt.Errorf("NOISE: %w", err)
	}
	if send == nil || recv == nil {
		return nil, errors.New("NOISE: handshake did not complete after message 3")
	}
	st.codec = newNoiseCodec(send, recv, noiseRekeyEvery)
	return b, nil
}

// finish returns the server's long-term key and the transport codec.
func (st *noiseInitiator) finish() (PublicKey, Codec) { return st.peer, st.codec }

// onReady opens the server's READY (its first transport message) and
// returns its properties.
func (st *noiseInitiator) onReady(body []byte) (Metadata, error) {
	if !zmtp.IsCommand(body, "READY") {
		return nil, Unexpected(body, "READY")
	}
	plain, err := st.codec.openReady(body[6:])
	if err != nil {
		return nil, &HandshakeError{Reason: "NOISE READY does not decrypt", Err: err}
	}
	return parseMetadata(plain)
}

// noiseResponder is one connection's server-side NOISE state; the handshake
// goroutine owns it.
type noiseResponder struct {
	hs    *noise.HandshakeState
	dh    *noiseDH
	rand  io.Reader
	peer  PublicKey
	codec *noiseCodec
	step  int
}

func newNoiseResponder(r io.Reader, pub PublicKey, sec SecretKey, prologue []byte) (*noiseResponder, error) {
	dh := &noiseDH{}
	hs, err := newNoiseHandshake(dh, r, false, pub, sec, prologue)
	if err != nil {
		return nil, fmt.Errorf("NOISE: %w", err)
	}
	return &noiseResponder{hs: hs, dh: dh, rand: r}, nil
}

// prepare makes our ephemeral key now, for WELCOME to take.
func (st *noiseResponder) prepare() error {
	if st.dh.preset != nil {
		return nil
	}
	e, err := newNoiseKeypair(st.rand)
	if err != nil {
		return fmt.Errorf("NOISE: %w", err)
	}
	st.dh.preset = &e
	return nil
}

// wipe clears the secrets its DH function holds.
func (st *noiseResponder) wipe() { st.dh.wipe() }

// onHello reads HELLO and builds WELCOME. A HELLO of another version gets
// an ERROR saying so, which is returned as reply along with the error.
func (st *noiseResponder) onHello(body []byte) (reply []byte, err error) {
	if st.step != 0 {
		return nil, Protocolf("NOISE HELLO out of order")
	}
	if !zmtp.IsCommand(body, "HELLO") {
		return nil, Unexpected(body, "HELLO")
	}
	data := body[6:]
	if len(data) < 1 {
		return nil, Protocolf("NOISE HELLO without a version")
	}
	if data[0] != noiseVersion {
		reason := fmt.Sprintf("unsupported NOISE version %d", data[0])
		return zmtp.AppendError(nil, reason), Protocolf("%s (we speak %d)", reason, noiseVersion)
	}
	if len(data) != 1+noiseKeySize {
		return nil, Protocolf("NOISE HELLO carries %d bytes, want %d", len(data)-1, noiseKeySize)
	}
	if _, _, _, err := st.hs.ReadMessage(nil, data[1:]); err != nil {
		return nil, &HandshakeError{Reason: "NOISE HELLO refused", Err: err}
	}
	b := zmtp.AppendCommand(make([]byte, 0, 8+noiseWelcomeSize), "WELCOME")
	b, _, _, err = st.hs.WriteMessage(b, nil)
	if err != nil {
		return nil, fmt.Errorf("NOISE: %w", err)
	}
	st.step = 1
	return b, nil
}

// onInitiate reads Noise message 3 and returns the client's properties;
// the client's long-term key is left in st.peer.
func (st *noiseResponder) onInitiate(body []byte) (Metadata, error) {
	if st.step != 1 {
		return nil, Protocolf("NOISE INITIATE out of order")
	}
	if !zmtp.IsCommand(body, "INITIATE") {
		return nil, Unexpected(body, "INITIATE")
	}
	msg := body[9:]
	if len(msg) > noiseMaxMessage {
		return nil, Protocolf("NOISE INITIATE carries %d bytes, over Noise's %d", len(msg), noiseMaxMessage)
	}
	payload, recv, send, err := st.hs.ReadMessage(nil, msg)
	if err != nil {
		return nil, &HandshakeError{Reason: "NOISE INITIATE does not decrypt", Err: err}
	}
	if send == nil || recv == nil {
		return nil, errors.New("NOISE: handshake did not complete after message 3")
	}
	copy(st.peer[:], st.hs.PeerStatic())
	md, err := parseMetadata(payload)
	if err != nil {
		return nil, err
	}
	st.codec = newNoiseCodec(send, recv, noiseRekeyEvery)
	st.step = 2
	return md, nil
}

// peerKey is the client's long-term key, once onInitiate has accepted it.
func (st *noiseResponder) peerKey() PublicKey { return st.peer }

// finish builds READY and hands over the transport codec.
func (st *noiseResponder) finish(md Metadata) ([]byte, Codec, error) {
	ready, err := st.ready(md)
	return ready, st.codec, err
}

// ready builds READY: our properties sealed as our first transport message.
func (st *noiseResponder) ready(md Metadata) ([]byte, error) {
	if st.step != 2 {
		return nil, errors.New("NOISE: READY before INITIATE")
	}
	payload := md.Append(nil)
	if len(payload) > noiseMaxChunk {
		return nil, fmt.Errorf("NOISE: %d bytes of properties do not fit in READY: %w", len(payload), ErrInvalidConfig)
	}
	b := zmtp.AppendCommand(make([]byte, 0, 6+len(payload)+noiseTagSize), "READY")
	return st.codec.sealReady(b, payload)
}

// noiseDH is Curve25519 as Noise's DH function (the name "25519", so the
// protocol is unchanged) with two twists for one client handshake: the
// next key pair generated may be one made beforehand (preset: the
// ephemeral key HELLO already carries), and one DH result may be computed
// ahead of the message that needs it (precompute). The handshake
// goroutine owns it.
type noiseDH struct {
	preset            *noise.DHKey
	memoPriv, memoPub []byte
	memo              []byte
}

func (d *noiseDH) GenerateKeypair(r io.Reader) (noise.DHKey, error) {
	if k := d.preset; k != nil {
		d.preset = nil
		return *k, nil
	}
	return newNoiseKeypair(r)
}

// newNoiseKeypair is an ephemeral key pair as Noise holds them.
func newNoiseKeypair(r io.Reader) (noise.DHKey, error) {
	var pub, sec [32]byte
	if err := generateEphemeral(r, &pub, &sec); err != nil {
		return noise.DHKey{}, err
	}
	k := noise.DHKey{Private: append([]byte(nil), sec[:]...), Public: append([]byte(nil), pub[:]...)}
	clear(sec[:])
	return k, nil
}

func (d *noiseDH) DH(priv, pub []byte) ([]byte, error) {
	if d.memo != nil && bytes.Equal(priv, d.memoPriv) && bytes.Equal(pub, d.memoPub) {
		out := d.memo
		d.memo = nil
		return out, nil
	}
	return noise.DH25519.DH(priv, pub)
}

func (d *noiseDH) DHLen() int     { return noise.DH25519.DHLen() }
func (d *noiseDH) DHName() string { return noise.DH25519.DHName() }

// precompute computes DH(priv, pub) now, for the DH call that asks for it
// later; a failure (a low-order pub) is left for that call to meet.
func (d *noiseDH) precompute(priv, pub []byte) {
	out, err := noise.DH25519.DH(priv, pub)
	if err != nil {
		return
	}
	d.memoPriv, d.memoPub, d.memo = priv, append([]byte(nil), pub...), out
}

// wipe clears the secrets it holds.
func (d *noiseDH) wipe() {
	if d.preset != nil {
		clear(d.preset.Private)
	}
	clear(d.memo)
	d.preset, d.memoPriv, d.memo = nil, nil, nil
}
