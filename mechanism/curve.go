package mechanism

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/salsa20/salsa"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// CURVE command sizes (see CURVE.md).
const (
	curveHelloSize    = 200
	curveWelcomeSize  = 168
	curveInitiateMin  = 257 // 9 + cookie 96 + nonce 8 + box of C, vouch
	curveReadyMin     = 30  // 6 + nonce 8 + empty box
	curveMessageMin   = 33  // 8 + nonce 8 + box of the flags byte
	curveCookieSize   = 96
	curveVouchSize    = 96
	curveBoxOverhead  = secretbox.Overhead
	curveHelloPadding = 72
)

// CURVE nonce prefixes (see CURVE.md): 16 bytes before an 8-byte counter
// ("short nonces"), 8 bytes before 16 random bytes ("long nonces").
const (
	nonceHello    = "CurveZMQHELLO---"
	nonceWelcome  = "WELCOME-"
	nonceCookie   = "COOKIE--"
	nonceInitiate = "CurveZMQINITIATE"
	nonceVouch    = "VOUCH---"
	nonceReady    = "CurveZMQREADY---"
	nonceMessageC = "CurveZMQMESSAGEC"
	nonceMessageS = "CurveZMQMESSAGES"
)

// CurveClient is the client role of the CURVE mechanism (RFC 25/26, as
// libzmq 4.3 speaks it; CURVE.md is its wire format). ServerKey is the server's long-term public
// key and must be set. PublicKey/SecretKey is the client's long-term key
// pair: if both are zero, one is generated on first use and kept for every
// connection of this value (see Keys); if only SecretKey is set, PublicKey
// is derived from it.
//
// Use a *CurveClient, and do not change its fields after its first
// handshake.
type CurveClient struct {
	ServerKey PublicKey // the server's long-term public key; required
	PublicKey PublicKey // the client's long-term public key; optional
	SecretKey SecretKey // the client's long-term secret key; optional

	keyedClient
}

// Name returns "CURVE".
func (*CurveClient) Name() string { return "CURVE" }

// Keys returns the client's long-term key pair, generating it if none was
// configured.
func (m *CurveClient) Keys() (PublicKey, SecretKey, error) {
	return m.keys.get("CurveClient", m.PublicKey, m.SecretKey)
}

// Handshake sends HELLO, reads WELCOME, sends INITIATE (with the vouch and
// our properties) and reads READY; Result.PublicKey is the server's key. A
// server closing the connection after HELLO usually means a wrong ServerKey:
// the error says so, and allows a retry (the server may be restarting).
func (m *CurveClient) Handshake(ctx context.Context, c Conn, p *Params) (*Result, error) {
	return handshakeOpened(ctx, m, c, p)
}

// curveClosedAfterHello is a CURVE client's reason when the server closes
// the connection once it has our HELLO: libzmq does that, without a word,
// when HELLO does not open with its key.
const curveClosedAfterHello = "CURVE server closed the connection after HELLO (is ServerKey the server's public key?)"

// closedEarly is the reason when the server closes the connection before
// its greeting is in, HELLO having gone out with ours (see ClosedEarly).
func (*CurveClient) closedEarly() string { return curveClosedAfterHello }

// Open builds HELLO, which needs nothing from the server's greeting, so
// the engine sends it with our greeting; finish runs the rest.
func (m *CurveClient) Open(p *Params) ([]byte, Finish, error) {
	if m.ServerKey.IsZero() {
		return nil, nil, fmt.Errorf("%w: CurveClient has no ServerKey", ErrInvalidKey)
	}
	return m.open(p, curveClosedAfterHello, m.Keys, func(pub PublicKey, sec SecretKey) (clientRole, []byte, error) {
		st, err := newCurveClient(rand.Reader, m.ServerKey, pub, sec)
		if err != nil {
			return nil, nil, err
		}
		return st, st.hello(), nil
	})
}

// CurveServer is the server role of the CURVE mechanism. SecretKey is the
// server's long-term secret key; clients must know its public key.
//
// Every client that proves it knows the server's public key is then put to
// Params.Auth (mechanism "CURVE", the peer's address and the client's
// 32-byte long-term public key). Without an authenticator every such client
// is accepted, as libzmq does without a ZAP handler ("Stonehouse"); use an
// *Auth with AllowKey to admit only known clients. Result.UserID is what the
// authenticator returned, or the client's public key in Z85 if that is
// empty (or there is no authenticator).
//
// Use a *CurveServer, and do not change SecretKey after its first handshake.
type CurveServer struct {
	SecretKey SecretKey // the server's long-term secret key; required

	keyedServer
}

// Name returns "CURVE".
func (*CurveServer) Name() string { return "CURVE" }

// PublicKey returns the server's public key, the one its clients need.
func (m *CurveServer) PublicKey() (PublicKey, error) {
	return m.key.get("CurveServer", m.SecretKey)
}

// Handshake reads HELLO, sends WELCOME (with a cookie), reads INITIATE,
// authenticates the client and sends READY, or ERROR "400"/"500" if the
// authenticator refuses it. A HELLO that does not open (the client does not
// know our key) or any malformed command ends it silently, as in libzmq.
func (m *CurveServer) Handshake(ctx context.Context, c Conn, p *Params) (*Result, error) {
	return m.handshake(ctx, c, p, "CURVE", "CurveServer", m.SecretKey, func(pub PublicKey) (serverRole, error) {
		return newCurveServer(rand.Reader, pub, m.SecretKey), nil
	})
}

// curveClient is one connection's client-side CURVE state; the handshake
// goroutine owns it.
type curveClient struct {
	rand      io.Reader
	serverKey [32]byte // S
	pub       [32]byte // C
	sec       [32]byte // c
	tpub      [32]byte // C'
	tsec      [32]byte // c'
	serverT   [32]byte // S'
	helloKey  [32]byte // box key of c' and S (HELLO, WELCOME)
	shared    [32]byte // box key of c' and S'
	cookie    [curveCookieSize]byte
	nonce     uint64 // last short nonce sent
	peerNonce uint64 // last short nonce received
}

func newCurveClient(r io.Reader, server, pub PublicKey, sec SecretKey) (*curveClient, error) {
	st := &curveClient{rand: r, serverKey: server, pub: pub, sec: sec}
	if err := generateTransient(r, &st.tpub, &st.tsec); err != nil {
		return nil, err
	}
	if err := precompute(&st.helloKey, &st.serverKey, &st.tsec); err != nil {
		return nil, fmt.Errorf("%w: CurveClient.ServerKey %s is a low-order point", ErrInvalidKey, server)
	}
	return st, nil
}

// hello builds HELLO: version 1.0, 72 bytes of padding, C',
// the short nonce 1, and Box[64 zeros](C'→S).
func (st *curveClient) hello() []byte {
	st.nonce++
	b := make([]byte, 0, curveHelloSize)
	b = zmtp.AppendCommand(b, "HELLO")
	b = append(b, 1, 0)
	b = append(b, make([]byte, curveHelloPadding)...)
	b = append(b, st.tpub[:]...)
	b = binary.BigEndian.AppendUint64(b, st.nonce)
	n := shortNonce(nonceHello, st.nonce)
	return secretbox.Seal(b, make([]byte, 64), &n, &st.helloKey)
}

// onWelcome opens WELCOME, keeps S' and the cookie, and builds
// INITIATE carrying C, the vouch and md.
func (st *curveClient) onWelcome(body []byte, md Metadata) ([]byte, error) {
	if !zmtp.IsCommand(body, "WELCOME") {
		return nil, Unexpected(body, "WELCOME")
	}
	if len(body) != curveWelcomeSize {
		return nil, Protocolf("CURVE WELCOME is %d bytes, want %d", len(body), curveWelcomeSize)
	}
	n := longNonce(nonceWelcome, body[8:24])
	plain, ok := secretbox.Open(make([]byte, 0, 128), body[24:], &n, &st.helloKey)
	if !ok {
		return nil, Protocolf("CURVE WELCOME does not open (the server is not the owner of ServerKey)")
	}
	copy(st.serverT[:], plain[:32])
	copy(st.cookie[:], plain[32:128])
	clear(plain)
	if err := precompute(&st.shared, &st.serverT, &st.tsec); err != nil {
		return nil, Protocolf("CURVE WELCOME: server's transient key is a low-order point")
	}

	// The vouch: Box[C' ‖ S](C→S') under a long nonce, proving that the
	// owner of C speaks through C'.
	var vouch [curveVouchSize]byte
	if _, err := io.ReadFull(st.rand, vouch[:16]); err != nil {
		return nil, fmt.Errorf("CURVE: %w", err)
	}
	var vkey [32]byte
	defer clear(vkey[:])
	if err := precompute(&vkey, &st.serverT, &st.sec); err != nil {
		return nil, Protocolf("CURVE WELCOME: server's transient key is a low-order point")
	}
	vn := longNonce(nonceVouch, vouch[:16])
	var vplain [64]byte
	copy(vplain[:32], st.tpub[:])
	copy(vplain[32:], st.serverKey[:])
	secretbox.Seal(vouch[:16], vplain[:], &vn, &vkey)

	inner := make([]byte, 0, 128+64)
	inner = append(inner, st.pub[:]...)
	inner = append(inner, vouch[:]...)
	inner = md.Append(inner)

	st.nonce++
	b := make([]byte, 0, curveInitiateMin+len(inner)-128)
	b = zmtp.AppendCommand(b, "INITIATE")
	b = append(b, st.cookie[:]...)
	b = binary.BigEndian.AppendUint64(b, st.nonce)
	in := shortNonce(nonceInitiate, st.nonce)
	return secretbox.Seal(b, inner, &in, &st.shared), nil
}

// onReady opens READY and returns the server's properties.
func (st *curveClient) onReady(body []byte) (Metadata, error) {
	if !zmtp.IsCommand(body, "READY") {
		return nil, Unexpected(body, "READY")
	}
	if len(body) < curveReadyMin {
		return nil, Protocolf("CURVE READY is %d bytes, want at least %d", len(body), curveReadyMin)
	}
	nonce := binary.BigEndian.Uint64(body[6:14])
	if nonce <= st.peerNonce {
		return nil, Protocolf("CURVE READY: nonce %d is not above %d", nonce, st.peerNonce)
	}
	n := shortNonce(nonceReady, nonce)
	plain, ok := secretbox.Open(nil, body[14:], &n, &st.shared)
	if !ok {
		return nil, Protocolf("CURVE READY does not open")
	}
	st.peerNonce = nonce
	return parseMetadata(plain)
}

// finish returns the server's long-term key and the MESSAGE codec.
func (st *curveClient) finish() (PublicKey, Codec) { return st.serverKey, st.codec() }

// codec returns the MESSAGE codec for the client's side of the connection.
func (st *curveClient) codec() *curveCodec {
	return newCurveCodec(&st.shared, nonceMessageC, nonceMessageS, st.nonce, st.peerNonce)
}

// wipe clears the connection's secrets once the handshake is over (the
// codec keeps its own copy of the box key).
func (st *curveClient) wipe() {
	clear(st.sec[:])
	clear(st.tsec[:])
	clear(st.helloKey[:])
	clear(st.shared[:])
}

// curveServer is one connection's server-side CURVE state; the handshake
// goroutine owns it.
type curveServer struct {
	rand      io.Reader
	pub       [32]byte // S
	sec       [32]byte // s
	clientT   [32]byte // C'
	tpub      [32]byte // S'
	tsec      [32]byte // s'
	cookieKey [32]byte // K, this connection's alone
	shared    [32]byte // box key of s' and C'
	clientKey PublicKey
	nonce     uint64 // last short nonce sent
	peerNonce uint64 // last short nonce received
	welcomed  bool
	prepared  bool // tpub and tsec are made
}

func newCurveServer(r io.Reader, pub PublicKey, sec SecretKey) *curveServer {
	return &curveServer{rand: r, pub: pub, sec: sec}
}

// prepare makes the connection's transient key pair, S' and s', once.
func (st *curveServer) prepare() error {
	if st.prepared {
		return nil
	}
	if err := generateTransient(st.rand, &st.tpub, &st.tsec); err != nil {
		return err
	}
	st.prepared = true
	return nil
}

// onHello checks HELLO and builds WELCOME (the layouts are in CURVE.md).
func (st *curveServer) onHello(body []byte) ([]byte, error) {
	if !zmtp.IsCommand(body, "HELLO") {
		return nil, Unexpected(body, "HELLO")
	}
	if len(body) != curveHelloSize {
		return nil, Protocolf("CURVE HELLO is %d bytes, want %d", len(body), curveHelloSize)
	}
	if body[6] != 1 || body[7] != 0 {
		return nil, Protocolf("CURVE HELLO: version %d.%d, want 1.0", body[6], body[7])
	}
	copy(st.clientT[:], body[80:112])
	nonce := binary.BigEndian.Uint64(body[112:120])
	var key [32]byte
	defer clear(key[:])
	if err := precompute(&key, &st.clientT, &st.sec); err != nil {
		return nil, Protocolf("CURVE HELLO: client's transient key is a low-order point")
	}
	n := shortNonce(nonceHello, nonce)
	var zeros [64]byte
	plain, ok := secretbox.Open(zeros[:0], body[120:], &n, &key)
	if !ok {
		return nil, Protocolf("CURVE HELLO does not open: the client does not know our public key")
	}
	if subtle.ConstantTimeCompare(plain, make([]byte, 64)) != 1 {
		return nil, Protocolf("CURVE HELLO: signature box is not 64 zero bytes")
	}
	st.peerNonce = nonce

	if err := st.prepare(); err != nil {
		return nil, err
	}
	if err := precompute(&st.shared, &st.clientT, &st.tsec); err != nil {
		return nil, Protocolf("CURVE HELLO: client's transient key is a low-order point")
	}
	// The cookie: 16 random bytes, then secretbox[C' ‖ s'](K). K is this
	// connection's own, so a cookie cannot be replayed on another one.
	if _, err := io.ReadFull(st.rand, st.cookieKey[:]); err != nil {
		return nil, fmt.Errorf("CURVE: %w", err)
	}
	var cookie [curveCookieSize]byte
	if _, err := io.ReadFull(st.rand, cookie[:16]); err != nil {
		return nil, fmt.Errorf("CURVE: %w", err)
	}
	var cplain [64]byte
	copy(cplain[:32], st.clientT[:])
	copy(cplain[32:], st.tsec[:])
	cn := longNonce(nonceCookie, cookie[:16])
	secretbox.Seal(cookie[:16], cplain[:], &cn, &st.cookieKey)
	clear(cplain[:])

	var wplain [128]byte
	copy(wplain[:32], st.tpub[:])
	copy(wplain[32:], cookie[:])
	b := make([]byte, 0, curveWelcomeSize)
	b = zmtp.AppendCommand(b, "WELCOME")
	b = b[:8+16]
	if _, err := io.ReadFull(st.rand, b[8:24]); err != nil {
		return nil, fmt.Errorf("CURVE: %w", err)
	}
	wn := longNonce(nonceWelcome, b[8:24])
	b = secretbox.Seal(b, wplain[:], &wn, &key)
	st.welcomed = true
	return b, nil
}

// onInitiate checks INITIATE: the cookie must hold this
// connection's C' and s', the box must open, the vouch must bind the
// client's long-term key to C' and to us. It returns the client's
// properties; the client's long-term key is left in st.clientKey.
func (st *curveServer) onInitiate(body []byte) (Metadata, error) {
	if !st.welcomed {
		return nil, Protocolf("CURVE INITIATE before WELCOME")
	}
	if !zmtp.IsCommand(body, "INITIATE") {
		return nil, Unexpected(body, "INITIATE")
	}
	if len(body) < curveInitiateMin {
		return nil, Protocolf("CURVE INITIATE is %d bytes, want at least %d", len(body), curveInitiateMin)
	}
	cookie := body[9 : 9+curveCookieSize]
	cn := longNonce(nonceCookie, cookie[:16])
	var cbuf [64]byte
	cplain, ok := secretbox.Open(cbuf[:0], cookie[16:], &cn, &st.cookieKey)
	clear(st.cookieKey[:]) // K has done its job, whatever the outcome
	if !ok {
		return nil, Protocolf("CURVE INITIATE: cookie does not open")
	}
	same := subtle.ConstantTimeCompare(cplain[:32], st.clientT[:]) & subtle.ConstantTimeCompare(cplain[32:], st.tsec[:])
	clear(cbuf[:])
	if same != 1 {
		return nil, Protocolf("CURVE INITIATE: cookie is not this connection's")
	}
	nonce := binary.BigEndian.Uint64(body[105:113])
	if nonce <= st.peerNonce {
		return nil, Protocolf("CURVE INITIATE: nonce %d is not above %d", nonce, st.peerNonce)
	}
	in := shortNonce(nonceInitiate, nonce)
	plain, ok := secretbox.Open(nil, body[113:], &in, &st.shared)
	if !ok {
		return nil, Protocolf("CURVE INITIATE does not open")
	}
	copy(st.clientKey[:], plain[:32])
	vouch := plain[32 : 32+curveVouchSize]
	var vkey [32]byte
	defer clear(vkey[:])
	if err := precompute(&vkey, (*[32]byte)(&st.clientKey), &st.tsec); err != nil {
		return nil, Protocolf("CURVE INITIATE: client's long-term key is a low-order point")
	}
	vn := longNonce(nonceVouch, vouch[:16])
	var vbuf [64]byte
	vplain, ok := secretbox.Open(vbuf[:0], vouch[16:], &vn, &vkey)
	if !ok {
		return nil, Protocolf("CURVE INITIATE: vouch does not open")
	}
	// libzmq checks only C'; checking S too is stricter and costs nothing.
	if subtle.ConstantTimeCompare(vplain[:32], st.clientT[:])&subtle.ConstantTimeCompare(vplain[32:], st.pub[:]) != 1 {
		return nil, Protocolf("CURVE INITIATE: vouch is for another connection")
	}
	md, err := parseMetadata(plain[32+curveVouchSize:])
	if err != nil {
		return nil, err
	}
	st.peerNonce = nonce
	return md, nil
}

// ready builds READY with the server's properties.
func (st *curveServer) ready(md Metadata) []byte {
	st.nonce++
	b := make([]byte, 0, curveReadyMin+64)
	b = zmtp.AppendCommand(b, "READY")
	b = binary.BigEndian.AppendUint64(b, st.nonce)
	n := shortNonce(nonceReady, st.nonce)
	return secretbox.Seal(b, md.Append(nil), &n, &st.shared)
}

// peerKey is the client's long-term key, once onInitiate has accepted it.
func (st *curveServer) peerKey() PublicKey { return st.clientKey }

// finish builds READY and the MESSAGE codec.
func (st *curveServer) finish(md Metadata) ([]byte, Codec, error) {
	ready := st.ready(md)
	return ready, st.codec(), nil
}

// codec returns the MESSAGE codec for the server's side of the connection.
func (st *curveServer) codec() *curveCodec {
	return newCurveCodec(&st.shared, nonceMessageS, nonceMessageC, st.nonce, st.peerNonce)
}

func (st *curveServer) wipe() {
	clear(st.tsec[:])
	clear(st.cookieKey[:])
	clear(st.shared[:])
}

// generateTransient makes a connection's transient key pair.
func generateTransient(r io.Reader, pub, sec *[32]byte) error {
	if err := generateEphemeral(r, pub, sec); err != nil {
		return fmt.Errorf("CURVE: transient key: %w", err)
	}
	return nil
}

var zeroNonce16 [16]byte

// precompute derives the crypto_box key of a secret and a peer's public key,
// like box.Precompute (crypto_box_beforenm), but refuses a low-order public
// key whose shared secret is all zeros, as libsodium does. Without that
// check anyone could forge boxes "from" such a key without knowing ours.
func precompute(shared, peer, secret *[32]byte) error {
	s, err := curve25519.X25519(secret[:], peer[:])
	if err != nil {
		return err
	}
	copy(shared[:], s)
	clear(s)
	salsa.HSalsa20(shared, &zeroNonce16, shared, &salsa.Sigma)
	return nil
}

// shortNonce is a 16-byte prefix followed by a big-endian counter.
func shortNonce(prefix string, n uint64) (out [24]byte) {
	copy(out[:16], prefix)
	binary.BigEndian.PutUint64(out[16:], n)
	return out
}

// longNonce is an 8-byte prefix followed by 16 bytes from the wire.
func longNonce(prefix string, tail []byte) (out [24]byte) {
	copy(out[:8], prefix)
	copy(out[8:], tail)
	return out
}

// isEOF reports a connection the peer closed.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
