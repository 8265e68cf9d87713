package engine

import (
	"errors"
	"io"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/mechanism"
)

// readGreeting reads the peer's 64-byte greeting into buf and checks it
// against our mechanism. It reads the 10-byte signature first so a ZMTP 1.0
// or 2.0 peer (which waits after fewer bytes) is refused at once rather
// than at the handshake timeout. It returns the peer's minor version.
//
// Every failure matches ErrHandshake: a greeting that breaks the protocol
// is a *mechanism.HandshakeError after which a connecting socket stops
// (as libzmq does); a connection that fails before the greeting is in
// (closed, reset, timed out) is one that allows a retry.
func readGreeting(r io.Reader, buf []byte, mech string) (minor byte, err error) {
	g, err := zmtp.ReadGreeting(r, buf)
	if err == nil {
		err = g.CheckMechanism(mech)
	}
	if err != nil {
		return 0, greetingError(err)
	}
	return g.Revision(), nil
}

// greetingError turns a failure of the greeting phase into a
// *mechanism.HandshakeError: a protocol error stops reconnecting, an I/O
// error does not.
func greetingError(err error) error {
	var pe *zmtp.ProtocolError
	if errors.As(err, &pe) {
		return mechanism.Protocolf("%s", pe.Msg)
	}
	return &mechanism.HandshakeError{Reason: "greeting", Retry: true, Err: err}
}
