package zmq4

import (
	"github.com/zmesh/zmesh/mechanism"
)

// SecurityType names a ZMTP security mechanism.
type SecurityType string

// The mechanisms zmq4 names; CURVE is the one the bridge adds (zmq4 has no
// CURVE implementation).
const (
	NullSecurity  SecurityType = "NULL"  // no authentication, no encryption
	PlainSecurity SecurityType = "PLAIN" // user name and password in clear
	CurveSecurity SecurityType = "CURVE" // CurveZMQ: authenticated and encrypted
)

// Security is a socket's security mechanism, given to WithSecurity. Unlike
// zmq4's interface (Handshake, Encrypt and Decrypt over a zmq4 Conn), the
// bridge's gives zmesh's mechanism for the socket's role: server is true
// for a socket whose first endpoint is a Listen, false for a Dial (zmq4's
// rule: the listening side is the ZMTP server). Build one with the
// security/null and security/plain packages beside this one (zmq4's shapes),
// or with MechanismSecurity from any zmesh mechanism (CURVE, NOISE).
type Security interface {
	// Type returns the mechanism's name.
	Type() SecurityType
	// Mechanism returns the zmesh mechanism for the given role and the
	// authenticator that vets peers (nil: none).
	Mechanism(server bool) (mechanism.Mechanism, mechanism.Authenticator, error)
}

// MechanismSecurity returns a Security that uses m whatever the socket's
// role, with auth (may be nil) vetting peers: for example
// &mechanism.CurveServer{SecretKey: sk} on the listening side and
// &mechanism.CurveClient{ServerKey: pk} on the dialing side. Its Type is
// m's name (CURVE for the CURVE mechanisms).
func MechanismSecurity(m mechanism.Mechanism, auth mechanism.Authenticator) Security {
	return mechSecurity{m: m, auth: auth}
}

// mechSecurity is MechanismSecurity's value.
type mechSecurity struct {
	m    mechanism.Mechanism
	auth mechanism.Authenticator
}

// Type implements Security.
func (s mechSecurity) Type() SecurityType {
	if s.m == nil {
		return NullSecurity
	}
	return SecurityType(s.m.Name())
}

// Mechanism implements Security.
func (s mechSecurity) Mechanism(bool) (mechanism.Mechanism, mechanism.Authenticator, error) {
	return s.m, s.auth, nil
}
