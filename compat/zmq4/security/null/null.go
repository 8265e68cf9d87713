// Package null is the bridge's counterpart of go-zeromq/zmq4's
// security/null: the NULL mechanism (no authentication, no encryption),
// which is also what a bridge socket uses without WithSecurity.
package null

import (
	"github.com/zmesh/zmesh/compat/zmq4"
	"github.com/zmesh/zmesh/mechanism"
)

// Security returns the NULL mechanism.
func Security() zmq4.Security { return security{} }

// security is the NULL mechanism for both roles.
type security struct{}

// Type implements zmq4.Security.
func (security) Type() zmq4.SecurityType { return zmq4.NullSecurity }

// Mechanism implements zmq4.Security.
func (security) Mechanism(bool) (mechanism.Mechanism, mechanism.Authenticator, error) {
	return mechanism.Null{}, nil, nil
}
