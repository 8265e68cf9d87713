package mechanism

import (
	"context"
	"errors"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// Null is the NULL mechanism (RFC 23): no security. Each side sends READY
// with its properties as soon as the greetings are exchanged, then reads the
// peer's. On the accepting side an Authenticator, if set, may refuse the
// peer by address first, as libzmq's ZAP does for NULL.
type Null struct{}

// Name returns "NULL".
func (Null) Name() string { return "NULL" }

// AsServer is always false: NULL has no roles.
func (Null) AsServer() bool { return false }

// Handshake exchanges READY commands.
func (m Null) Handshake(ctx context.Context, c Conn, p *Params) (*Result, error) {
	return handshakeOpened(ctx, m, c, p)
}

// Open returns READY, to go out with the greeting, unless this is the
// accepting side with an authenticator, which must decide before READY
// (or an ERROR) is sent.
func (Null) Open(p *Params) ([]byte, Finish, error) {
	if p.Accepted && p.Auth != nil {
		return nil, func(ctx context.Context, c Conn) (*Result, error) {
			id, err := p.Auth.Authenticate(ctx, &AuthRequest{Mechanism: "NULL", Address: p.PeerAddress})
			if err != nil {
				return nil, Refuse(c, err)
			}
			if err := c.WriteCommand(nullReady(p)); err != nil {
				return nil, err
			}
			return nullFinish(c, p, id)
		}, nil
	}
	return nullReady(p), func(_ context.Context, c Conn) (*Result, error) { return nullFinish(c, p, "") }, nil
}

// nullReady is our READY with our properties.
func nullReady(p *Params) []byte {
	return p.Metadata.Append(zmtp.AppendCommand(make([]byte, 0, 64), "READY"))
}

// nullFinish reads the peer's READY and checks its properties.
func nullFinish(c Conn, p *Params, userID string) (*Result, error) {
	body, err := c.ReadCommand()
	if err != nil {
		return nil, err
	}
	md, err := ExpectReady(body)
	if err != nil {
		return nil, err
	}
	if err := checkPeer(p, md); err != nil {
		return nil, err
	}
	return &Result{Peer: md, UserID: userID}, nil
}

// ExpectReady parses body as a READY command and returns its properties. An
// ERROR command (including libzmq's malformed "^RROR" form) becomes a remote
// *HandshakeError, anything else a protocol error.
func ExpectReady(body []byte) (Metadata, error) {
	if zmtp.IsCommand(body, "READY") {
		return parseMetadata(body[6:])
	}
	return nil, Unexpected(body, "READY")
}

// Unexpected turns a command that is not the one a handshake waits for into
// the right error: an ERROR command is a remote refusal; anything else is a
// protocol error naming what arrived.
func Unexpected(body []byte, want string) error {
	if zmtp.IsCommand(body, "ERROR") {
		return &HandshakeError{Reason: "peer sent ERROR: " + zmtp.ParseError(body[6:]), Remote: true}
	}
	if reason, ok := zmtp.IsMalformedError(body); ok {
		return &HandshakeError{Reason: "peer sent ERROR: " + reason, Remote: true}
	}
	name, _, err := zmtp.ParseCommand(body)
	if err != nil {
		return protocolError(err)
	}
	return Protocolf("expected %s, got command %q", want, zmtp.Printable([]byte(name)))
}

// Refuse tells the peer why an Authenticator refused it, the way ZAP
// statuses map onto ZMTP: ErrTemporary closes silently (the peer retries),
// ErrDenied sends ERROR "400", any other error sends ERROR "500". It
// returns the *HandshakeError the handshake should fail with.
func Refuse(c Conn, err error) error {
	switch {
	case errors.Is(err, ErrTemporary):
		return &HandshakeError{Reason: "authenticator: temporary failure", Retry: true, Err: err}
	case errors.Is(err, ErrDenied):
		_ = c.WriteCommand(zmtp.AppendError(nil, "400"))
		return &HandshakeError{Reason: "authenticator denied the peer", Err: err}
	default:
		_ = c.WriteCommand(zmtp.AppendError(nil, "500"))
		return &HandshakeError{Reason: "authenticator failed", Err: err}
	}
}
