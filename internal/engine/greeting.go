package engine

import (
	"errors"
	"io"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/mechanism"
)

// readGreeting reads the peer's 64-byte greeting through the connection's
// frame reader into buf and checks it against our mechanism. One read
// usually brings the whole greeting (and whatever the peer sent after it,
// which stays in the reader's buffer for the handshake). The 10-byte
// signature is checked as soon as it is in, so a ZMTP 1.0 or 2.0 peer
// (which waits after fewer bytes) is refused at once rather than at the
// handshake timeout. It returns the peer's minor version.
//
// Every failure matches ErrHandshake: a greeting that breaks the protocol
// is a *mechanism.HandshakeError after which a connecting socket stops
// (as libzmq does); a connection that fails before the greeting is in
// (closed, reset, timed out) is one that allows a retry.
func readGreeting(f *frameReader, buf []byte, mech string) (minor byte, err error) {
	g, err := f.greeting(buf)
	if err == nil {
		err = g.CheckMechanism(mech)
	}
	if err != nil {
		return 0, greetingError(err)
	}
	return g.Revision(), nil
}

// greeting reads a greeting into buf (zmtp.GreetingLen long) and parses
// it, leaving any bytes after it buffered.
func (f *frameReader) greeting(buf []byte) (zmtp.Greeting, error) {
	if err := f.fill(zmtp.SignatureLen); err != nil {
		return zmtp.Greeting{}, err
	}
	if err := zmtp.CheckSignature(f.buf[f.pos:f.end]); err != nil {
		return zmtp.Greeting{}, err
	}
	if f.end-f.pos < zmtp.GreetingLen {
		if err := f.fill(zmtp.GreetingLen); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) && f.end-f.pos == zmtp.SignatureLen {
				err = io.EOF // closed right after the signature, as io.ReadFull of the rest says
			}
			return zmtp.Greeting{}, err
		}
	}
	copy(buf, f.buf[f.pos:f.pos+zmtp.GreetingLen])
	f.pos += zmtp.GreetingLen
	return zmtp.ParseGreeting(buf)
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
