// Package mechanism implements ZMTP security mechanisms: the handshakes that
// run after the greeting (NULL, PLAIN, CURVE, NOISE) and the per-frame
// protection some of them apply afterwards, plus the authenticator that
// decides which peers may connect.
//
// The socket engine drives a Mechanism through the Conn interface (whole
// command frames) and, once the handshake returns, runs every frame through
// the Result's Codec, if any. Nothing here knows about socket types beyond
// the metadata it carries. A Mechanism that is also an Opener (NULL, the
// CURVE and NOISE clients) lets the engine send its first command in the
// same write as the greeting, before the peer's greeting is in.
//
// The commands the mechanisms exchange are laid out in CURVE.md (CURVE as
// libzmq 4.3 speaks it) and NOISE.md (zmesh's own) beside this file; the
// greeting, frames, READY, ERROR and metadata around them are encoded by
// the internal zmtp package.
//
// A Mechanism written outside this package exchanges command bodies over
// Conn: AppendCommand lays one out (name, then data), IsCommand recognises
// one, ExpectReady parses a READY's properties, Unexpected turns any other
// command (an ERROR included) into the right *HandshakeError, and Refuse
// answers an Authenticator's refusal.
package mechanism
