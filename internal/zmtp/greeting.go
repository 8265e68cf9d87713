package zmtp

import (
	"io"
	"strings"
)

// Greeting sizes.
const (
	GreetingLen  = 64 // a whole greeting
	SignatureLen = 10 // its signature, which a peer may check before the rest
	MechanismLen = 20 // the NUL-padded mechanism name
)

// The version we speak: ZMTP 3.1.
const (
	VersionMajor byte = 3
	VersionMinor byte = 1
)

// Greeting is what the 64 bytes each side sends first say.
type Greeting struct {
	// Major and Minor are the ZMTP version: 3.1 from us, 3.0 from libzmq
	// up to 4.3.2.
	Major, Minor byte
	// Mechanism is the security mechanism's name, "NULL", "PLAIN",
	// "CURVE" or "NOISE": at most 20 ASCII bytes, NUL-padded on the wire.
	Mechanism string
	// AsServer is the as-server byte. It is informative only: libzmq
	// never sets it and never reads it, so no side may rely on it.
	AsServer bool
}

// NewGreeting returns our greeting, ZMTP 3.1, for mechanism mech.
func NewGreeting(mech string, asServer bool) Greeting {
	return Greeting{Major: VersionMajor, Minor: VersionMinor, Mechanism: mech, AsServer: asServer}
}

// Append appends the 64 bytes of g: the signature (0xFF, eight padding
// bytes, 0x7F), the version, the mechanism name NUL-padded to 20 bytes
// (cut if longer), the as-server byte and 31 zero bytes. The padding is a
// big-endian 1, as libzmq sends it.
func (g Greeting) Append(dst []byte) []byte {
	dst = append(dst, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, g.Major, g.Minor)
	var name [MechanismLen]byte
	copy(name[:], g.Mechanism)
	dst = append(dst, name[:]...)
	var asServer byte
	if g.AsServer {
		asServer = 1
	}
	dst = append(dst, asServer)
	var filler [31]byte
	return append(dst, filler[:]...)
}

// legal reports whether g is a greeting a ZMTP 3 peer may send.
func (g Greeting) legal() bool {
	if g.Major != VersionMajor || g.Mechanism == "" || len(g.Mechanism) > MechanismLen {
		return false
	}
	for i := 0; i < len(g.Mechanism); i++ {
		if c := g.Mechanism[i]; c <= 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// CheckSignature checks the first 10 bytes of a greeting: 0xFF, then
// anything, then a byte with bit 0 set. Anything else is a ZMTP 1.0 peer or
// not ZMTP at all. A reader checks it before waiting for the rest, because
// an old peer waits after fewer bytes and would otherwise be refused only
// at the handshake timeout.
func CheckSignature(b []byte) error {
	if len(b) < SignatureLen {
		return protocolf("greeting: %d-byte signature", len(b))
	}
	if b[0] != 0xFF || b[9]&1 == 0 {
		return protocolf("greeting: bad signature % x (not a ZMTP 3 peer)", b[:SignatureLen])
	}
	return nil
}

// ParseGreeting decodes a 64-byte greeting. It refuses a bad signature and
// a version before 3.0; the padding, the as-server byte and the filler are
// not checked (libzmq does not check them either).
func ParseGreeting(b []byte) (Greeting, error) {
	if err := CheckSignature(b); err != nil {
		return Greeting{}, err
	}
	if len(b) < GreetingLen {
		return Greeting{}, protocolf("greeting: %d bytes, want %d", len(b), GreetingLen)
	}
	if b[10] < VersionMajor {
		return Greeting{}, protocolf("greeting: ZMTP %d.%d is not supported (need 3.0 or later)", b[10], b[11])
	}
	return Greeting{
		Major:     b[10],
		Minor:     b[11],
		Mechanism: strings.TrimRight(string(b[12:12+MechanismLen]), "\x00"),
		AsServer:  b[32] != 0,
	}, nil
}

// ReadGreeting reads a greeting into buf (at least 64 bytes long) and
// parses it. It reads the signature first and checks it before reading
// the rest. It reads nothing past the greeting. I/O errors are returned as
// they are (io.EOF, io.ErrUnexpectedEOF, timeouts).
func ReadGreeting(r io.Reader, buf []byte) (Greeting, error) {
	buf = buf[:GreetingLen]
	if _, err := io.ReadFull(r, buf[:SignatureLen]); err != nil {
		return Greeting{}, err
	}
	if err := CheckSignature(buf); err != nil {
		return Greeting{}, err
	}
	if _, err := io.ReadFull(r, buf[SignatureLen:]); err != nil {
		return Greeting{}, err
	}
	return ParseGreeting(buf)
}

// Revision is the ZMTP 3 minor version to follow with the peer that sent
// g: its own minor for a 3.x peer, 1 for a later major version (which
// speaks 3.1 to a 3.1 peer).
func (g Greeting) Revision() byte {
	if g.Major > VersionMajor {
		return VersionMinor
	}
	return g.Minor
}

// CheckMechanism refuses a peer whose mechanism is not mech: the names
// must be equal to the byte, as libzmq compares all 20 bytes.
func (g Greeting) CheckMechanism(mech string) error {
	if g.Mechanism == mech {
		return nil
	}
	name := g.Mechanism
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return protocolf("greeting: peer's mechanism %q does not match ours %q", Printable([]byte(name)), mech)
}
