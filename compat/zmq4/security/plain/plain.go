// Package plain is the bridge's counterpart of go-zeromq/zmq4's
// security/plain: the PLAIN mechanism (RFC 24), a user name and password
// sent in clear.
//
// The same Security serves both roles, as in zmq4: a dialing socket sends
// the user name and password; a listening socket admits the clients that
// send exactly these. (zmq4's PLAIN server admits any user name and
// password; the bridge checks them, as libzmq does with a ZAP handler.)
package plain

import (
	"fmt"

	"github.com/zmesh/zmesh/compat/zmq4"
	"github.com/zmesh/zmesh/mechanism"
)

// Security returns the PLAIN mechanism for user and pass (each at most 255
// bytes; longer ones make Listen and Dial fail).
func Security(user, pass string) zmq4.Security { return security{user: user, pass: pass} }

// security is PLAIN with one user.
type security struct{ user, pass string }

// Type implements zmq4.Security.
func (security) Type() zmq4.SecurityType { return zmq4.PlainSecurity }

// Mechanism implements zmq4.Security.
func (s security) Mechanism(server bool) (mechanism.Mechanism, mechanism.Authenticator, error) {
	if len(s.user) > 255 || len(s.pass) > 255 {
		return nil, nil, fmt.Errorf("%w: PLAIN user name and password are at most 255 bytes", mechanism.ErrInvalidConfig)
	}
	if !server {
		return mechanism.PlainClient{Username: s.user, Password: s.pass}, nil, nil
	}
	auth := &mechanism.Auth{}
	if err := auth.AddUser(s.user, s.pass); err != nil {
		return nil, nil, err
	}
	return mechanism.PlainServer{}, auth, nil
}
