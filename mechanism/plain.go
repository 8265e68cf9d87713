package mechanism

import (
	"context"
	"fmt"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// PlainClient is the client role of the PLAIN mechanism (RFC 24):
// it sends a user name and password in clear, so use it only on trusted
// networks or inside a tunnel. Username and Password are at most 255 bytes.
//
//	C: HELLO (username, password)   S: WELCOME or ERROR
//	C: INITIATE (properties)        S: READY (properties) or ERROR
type PlainClient struct {
	Username string // sent in clear; at most 255 bytes
	Password string // sent in clear; at most 255 bytes
}

// Name returns "PLAIN".
func (PlainClient) Name() string { return "PLAIN" }

// AsServer is false: this is the client role.
func (PlainClient) AsServer() bool { return false }

// Handshake sends HELLO and INITIATE and waits for WELCOME and READY. An
// ERROR from the server (libzmq's malformed "^RROR" form included) fails it
// with a remote *HandshakeError.
func (m PlainClient) Handshake(ctx context.Context, c Conn, p *Params) (*Result, error) {
	if len(m.Username) > 255 || len(m.Password) > 255 {
		return nil, fmt.Errorf("PLAIN: user name (%d bytes) and password (%d bytes) must be at most 255 bytes each: %w",
			len(m.Username), len(m.Password), ErrInvalidConfig)
	}
	body, err := sendRead(ctx, c, appendPlainHello(nil, m.Username, m.Password))
	if err != nil {
		return nil, err
	}
	if err := parsePlainWelcome(body); err != nil {
		return nil, err
	}
	if body, err = sendRead(ctx, c, p.Metadata.Append(zmtp.AppendCommand(make([]byte, 0, 64), zmtp.CmdInitiate))); err != nil {
		return nil, err
	}
	md, err := ExpectReady(body)
	if err != nil {
		return nil, err
	}
	if err := checkPeer(p, md); err != nil {
		return nil, err
	}
	return &Result{Peer: md}, nil
}

// PlainServer is the server role of the PLAIN mechanism. It asks
// Params.Auth about every client (mechanism "PLAIN", the peer's address,
// user name and password). Without an authenticator it refuses everyone by
// closing the connection silently, as a libzmq PLAIN server without a ZAP
// handler does: a PLAIN server that lets anyone in would be a NULL server
// that reads passwords. Give it an *Auth with AddUser, or your own
// Authenticator.
type PlainServer struct{ serverSide }

// Name returns "PLAIN".
func (PlainServer) Name() string { return "PLAIN" }

// Handshake reads HELLO, consults the authenticator, and answers WELCOME or
// ERROR; then reads INITIATE, checks the client's properties and answers
// READY. Result.UserID is what the authenticator returned, or the user name
// if it returned an empty string.
func (PlainServer) Handshake(ctx context.Context, c Conn, p *Params) (*Result, error) {
	body, err := readCommand(ctx, c)
	if err != nil {
		return nil, err
	}
	user, pass, err := parsePlainHello(body)
	if err != nil {
		return nil, err
	}
	if p.Auth == nil {
		return nil, &HandshakeError{Reason: "PLAIN server without an authenticator refuses every client (as libzmq without a ZAP handler)", Retry: true}
	}
	userID, err := p.Auth.Authenticate(ctx, &AuthRequest{Mechanism: "PLAIN", Address: p.PeerAddress, Username: user, Password: pass})
	if err != nil {
		return nil, Refuse(c, err)
	}
	if userID == "" {
		userID = user
	}
	if body, err = sendRead(ctx, c, zmtp.AppendCommand(make([]byte, 0, 8), zmtp.CmdWelcome)); err != nil {
		return nil, err
	}
	md, err := parsePlainInitiate(body)
	if err != nil {
		return nil, err
	}
	if err := checkPeer(p, md); err != nil {
		return nil, err
	}
	if err := c.WriteCommand(p.Metadata.Append(zmtp.AppendCommand(make([]byte, 0, 64), "READY"))); err != nil {
		return nil, err
	}
	return &Result{Peer: md, UserID: userID}, nil
}

// appendPlainHello appends a PLAIN HELLO: ulen, username, plen, password.
func appendPlainHello(dst []byte, user, pass string) []byte {
	dst = zmtp.AppendCommand(dst, "HELLO")
	dst = append(dst, byte(len(user)))
	dst = append(dst, user...)
	dst = append(dst, byte(len(pass)))
	return append(dst, pass...)
}

// parsePlainHello decodes a PLAIN HELLO. Like libzmq's server it refuses
// trailing bytes.
func parsePlainHello(body []byte) (user, pass string, err error) {
	if !zmtp.IsCommand(body, "HELLO") {
		return "", "", Unexpected(body, "HELLO")
	}
	b := body[6:]
	if len(b) < 1 || 1+int(b[0]) > len(b) {
		return "", "", Protocolf("PLAIN HELLO: user name runs past the command")
	}
	user, b = string(b[1:1+int(b[0])]), b[1+int(b[0]):]
	if len(b) < 1 || 1+int(b[0]) > len(b) {
		return "", "", Protocolf("PLAIN HELLO: password runs past the command")
	}
	pass, b = string(b[1:1+int(b[0])]), b[1+int(b[0]):]
	if len(b) != 0 {
		return "", "", Protocolf("PLAIN HELLO: %d trailing bytes", len(b))
	}
	return user, pass, nil
}

// parsePlainWelcome checks a PLAIN WELCOME: exactly the 8 bytes
// 07 "WELCOME" (a libzmq client refuses anything longer, and so do we).
func parsePlainWelcome(body []byte) error {
	if !zmtp.IsCommand(body, "WELCOME") {
		return Unexpected(body, "WELCOME")
	}
	if len(body) != 8 {
		return Protocolf("PLAIN WELCOME is %d bytes, want 8", len(body))
	}
	return nil
}

// parsePlainInitiate decodes a PLAIN INITIATE's properties.
func parsePlainInitiate(body []byte) (Metadata, error) {
	if !zmtp.IsCommand(body, "INITIATE") {
		return nil, Unexpected(body, "INITIATE")
	}
	return parseMetadata(body[9:])
}

// readCommand reads the next command, giving up first if ctx has ended
// (the engine also bounds the read itself with a deadline).
func readCommand(ctx context.Context, c Conn) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.ReadCommand()
}

// sendRead sends one command and reads the peer's answer.
func sendRead(ctx context.Context, c Conn, cmd []byte) ([]byte, error) {
	if err := c.WriteCommand(cmd); err != nil {
		return nil, err
	}
	return readCommand(ctx, c)
}

// checkPeer runs Params.CheckPeer, if set.
func checkPeer(p *Params, md Metadata) error {
	if p.CheckPeer == nil {
		return nil
	}
	return p.CheckPeer(md)
}
