package mechanism

import (
	"context"
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// Frame flags as ZMTP puts them on the wire: MORE (another frame of the
// message follows), LONG (an 8-byte size) and COMMAND. Codecs receive and
// return them with the same meaning: CURVE carries MORE and COMMAND inside
// its boxes.
const (
	FlagMore    = zmtp.FlagMore
	FlagLong    = zmtp.FlagLong
	FlagCommand = zmtp.FlagCommand
)

// Mechanism is a security mechanism: NULL, PLAIN, CURVE or NOISE. A
// Mechanism value holds configuration (credentials, keys, an authenticator)
// and is shared by every connection of a socket; Handshake runs once per
// connection and must be safe for concurrent use.
type Mechanism interface {
	// Name is the mechanism name carried in the greeting ("NULL", "PLAIN",
	// "CURVE", "NOISE"); at most 20 ASCII bytes.
	Name() string
	// AsServer reports whether this side plays the mechanism's server role.
	// It sets the greeting's as-server byte, which peers ignore.
	AsServer() bool
	// Handshake runs the mechanism's exchange of commands on c, after both
	// greetings. It returns when this side may send and receive messages.
	// It must honour ctx (the handshake deadline is also set on the
	// underlying connection) and return a *HandshakeError for every failure
	// the peer caused.
	Handshake(ctx context.Context, c Conn, p *Params) (*Result, error)
}

// Opener is implemented by a Mechanism whose first command on a
// connection depends on nothing in the peer's greeting: NULL's READY
// (unless an authenticator must decide first) and the HELLO of the CURVE
// and NOISE clients. The engine calls Open before it has the peer's
// greeting and sends the command it returns in the same write as its own
// greeting, so the peer takes both with one read and the handshake saves
// a round of the peer waiting on us. Once the peer's greeting is in
// (p.PeerGreeting set, the mechanism names compared), the engine calls
// finish, which runs the rest of the handshake as Handshake would.
//
// A nil first means this connection has nothing to send early; finish is
// then the whole handshake. Handshake(ctx, c, p) is the same as Open
// followed by writing first (if any) and calling finish.
type Opener interface {
	Open(p *Params) (first []byte, finish Finish, err error)
}

// ClosedEarly is the error a handshake reports when the peer's greeting
// could not be read (err) after the first command that m's Open returned
// went out with ours. If the peer closed the connection and m knows what
// that usually means (a CURVE server closing after a HELLO it cannot
// open: the client's ServerKey is not its key), the error says so, as it
// does when the close comes after the peer's greeting; otherwise it is
// err.
func ClosedEarly(m Mechanism, err error) error {
	h, ok := m.(interface{ closedEarly() string })
	if !ok || !isEOF(err) {
		return err
	}
	return &HandshakeError{Reason: h.closedEarly(), Retry: true, Err: err}
}

// Finish runs the rest of a handshake that Opener.Open started.
type Finish func(ctx context.Context, c Conn) (*Result, error)

// handshakeOpened is Handshake for an Opener: Open, the first command
// written on its own, then the rest.
func handshakeOpened(ctx context.Context, o Opener, c Conn, p *Params) (*Result, error) {
	first, finish, err := o.Open(p)
	if err != nil {
		return nil, err
	}
	if first != nil {
		if err := c.WriteCommand(first); err != nil {
			return nil, err
		}
	}
	return finish(ctx, c)
}

// Conn is a connection as a handshake sees it: whole command frames, in
// order. The engine implements it over its frame codec.
type Conn interface {
	// WriteCommand sends one command frame whose body is body (name length,
	// name, data; see AppendCommand) and flushes it.
	WriteCommand(body []byte) error
	// ReadCommand returns the body of the next frame, which must be a
	// command frame (a message frame fails with a *HandshakeError). The
	// returned slice is valid until the next ReadCommand.
	ReadCommand() ([]byte, error)
}

// Params is what the engine tells a handshake about the connection.
type Params struct {
	// SocketType is the local socket type, e.g. "CLIENT".
	SocketType string
	// Metadata is the local properties to send in READY or INITIATE
	// (Socket-Type first).
	Metadata Metadata
	// CheckPeer validates the peer's properties (the socket-type rule).
	// A handshake calls it as soon as it has them, before it sends its own
	// final command where the mechanism allows, and fails if it errors.
	CheckPeer func(Metadata) error
	// LocalGreeting and PeerGreeting are the 64-byte greetings exchanged on
	// this connection; NOISE binds them into its handshake.
	LocalGreeting, PeerGreeting []byte
	// PeerAddress is the peer's address as an authenticator sees it: the IP
	// as text for tcp, ":uid:gid:pid" for ipc.
	PeerAddress string
	// Accepted is true on the side that accepted the connection (bind side).
	Accepted bool
	// Auth, if not nil, decides whether the peer may connect. The server
	// role of PLAIN, CURVE and NOISE consults it; NULL consults it on the
	// accepting side (address lists only).
	Auth Authenticator
}

// Result is what a successful handshake established.
type Result struct {
	// Peer is the peer's properties (Socket-Type, and any others it sent).
	Peer Metadata
	// UserID is the authenticated identity: the PLAIN user name, the CURVE
	// or NOISE public key in Z85, or what the authenticator returned.
	UserID string
	// PublicKey is the peer's long-term public key (CURVE, NOISE), if any.
	PublicKey []byte
	// Codec protects every frame after the handshake; nil means frames
	// travel in clear (NULL, PLAIN).
	Codec Codec
}

// Codec protects frames after a handshake (CURVE's MESSAGE boxes, NOISE's
// transport messages). One frame maps to one wire frame. Seal is only ever
// called by the connection's writer goroutine and Open only by its reader,
// so each may keep its own direction's state (nonces, keys) unlocked.
type Codec interface {
	// Seal appends to dst the complete wire frame (flags, size, body) that
	// carries one frame with the given flags (FlagMore, FlagCommand) and
	// body.
	Seal(dst []byte, flags byte, body []byte) ([]byte, error)
	// Open decodes the body of one received wire frame whose flags were
	// wireFlags, and returns the inner frame's flags and body. The body is
	// newly allocated (the caller keeps it). A failure is fatal for the
	// connection.
	Open(wireFlags byte, wire []byte) (flags byte, body []byte, err error)
	// Overhead is the most bytes Seal adds to a frame body, used to bound
	// wire frames by the maximum message size.
	Overhead(bodyLen int) int
}

// OpenerInto is a Codec that can open a frame into memory its caller
// provides (CURVE's does), so a receiver can carve bodies from memory it
// manages instead of an allocation per frame.
type OpenerInto interface {
	// OpenSpace is how many bytes OpenInto needs for a wire frame body of
	// wire bytes.
	OpenSpace(wire int) int
	// OpenInto is Codec.Open writing into space (at least OpenSpace
	// bytes, not overlapping wire; a shorter one is replaced by new
	// memory). The body returned lies in space's first OpenSpace bytes.
	OpenInto(wireFlags byte, wire, space []byte) (flags byte, body []byte, err error)
}

// Authenticator decides whether a peer may connect, like libzmq's ZAP
// handler. It must be safe for concurrent use.
type Authenticator interface {
	// Authenticate returns the peer's user id, or an error: ErrDenied (the
	// peer is told and does not retry, like ZAP 400), ErrTemporary (the
	// connection is closed silently and the peer retries, like ZAP 300), or
	// any other error (like ZAP 500).
	Authenticate(ctx context.Context, r *AuthRequest) (userID string, err error)
}

// AuthRequest is one authentication question.
type AuthRequest struct {
	Mechanism string // "NULL", "PLAIN", "CURVE", "NOISE"
	Address   string // Params.PeerAddress
	Username  string // PLAIN
	Password  string // PLAIN
	PublicKey []byte // CURVE, NOISE: the client's long-term public key
}

// Errors an Authenticator returns.
var (
	ErrDenied    = errors.New("authentication denied")
	ErrTemporary = errors.New("authentication temporarily unavailable")
)

// ErrHandshake is the sentinel every *HandshakeError matches with errors.Is.
var ErrHandshake = errors.New("handshake failed")

// HandshakeError says why a handshake failed and whose fault it was.
type HandshakeError struct {
	// Reason is a human-readable cause, e.g. "peer sent ERROR: 400" or
	// "incompatible socket type GATHER".
	Reason string
	// Remote is true when the peer reported the failure (an ERROR command).
	Remote bool
	// Retry is true when reconnecting may succeed (a temporary refusal);
	// false for protocol errors, after which libzmq stops reconnecting.
	Retry bool
	// Err is the underlying error, if any.
	Err error
}

func (e *HandshakeError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("handshake failed: %s: %v", e.Reason, e.Err)
	}
	return "handshake failed: " + e.Reason
}

// Unwrap returns the underlying error.
func (e *HandshakeError) Unwrap() error { return e.Err }

// Is makes every HandshakeError match ErrHandshake.
func (e *HandshakeError) Is(target error) bool { return target == ErrHandshake }

// Protocolf returns a *HandshakeError for a peer that broke the protocol.
func Protocolf(format string, args ...any) *HandshakeError {
	return &HandshakeError{Reason: fmt.Sprintf(format, args...)}
}

// serverSide and clientSide give a mechanism type that is always one side
// of the handshake its AsServer method: PlainServer, CurveServer and
// NoiseServer embed serverSide, CurveClient and NoiseClient clientSide
// (PlainClient has its own, so that its two-field literal stays valid).
type (
	serverSide struct{}
	clientSide struct{}
)

// AsServer is true: this is the server role.
func (serverSide) AsServer() bool { return true }

// AsServer is false: this is the client role.
func (clientSide) AsServer() bool { return false }
