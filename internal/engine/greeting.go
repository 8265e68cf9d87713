package engine

import (
	"io"

	"github.com/zmesh/zmesh/mechanism"
)

// greetingLen is the size of a ZMTP 3 greeting (spec §1.1).
const greetingLen = 64

// appendGreeting appends our greeting: signature (0xFF, padding, 0x7F),
// version 3.1, the mechanism name NUL-padded to 20 bytes, the as-server
// byte, and 31 bytes of filler. The padding carries 1 as libzmq's does.
func appendGreeting(dst []byte, mech string, asServer bool) []byte {
	dst = append(dst, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1)
	var name [20]byte
	copy(name[:], mech)
	dst = append(dst, name[:]...)
	if asServer {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	var filler [31]byte
	return append(dst, filler[:]...)
}

// readGreeting reads the peer's 64-byte greeting into buf and checks it
// against our mechanism. It reads the 10-byte signature first so a ZMTP 1.0
// or 2.0 peer (which waits after fewer bytes) is refused at once rather
// than at the handshake timeout. It returns the peer's minor version.
func readGreeting(r io.Reader, buf []byte, mech string) (minor byte, err error) {
	if _, err := io.ReadFull(r, buf[:10]); err != nil {
		return 0, err
	}
	if buf[0] != 0xFF || buf[9]&1 == 0 {
		return 0, mechanism.Protocolf("greeting: bad signature % x (not a ZMTP 3 peer)", buf[:10])
	}
	if _, err := io.ReadFull(r, buf[10:greetingLen]); err != nil {
		return 0, err
	}
	if buf[10] < 3 {
		return 0, mechanism.Protocolf("greeting: ZMTP %d.%d is not supported (need 3.0 or later)", buf[10], buf[11])
	}
	minor = buf[11]
	if buf[10] > 3 {
		minor = 1
	}
	var want [20]byte
	copy(want[:], mech)
	if string(buf[12:32]) != string(want[:]) {
		return 0, mechanism.Protocolf("greeting: peer's mechanism %q does not match ours %q", trimNUL(buf[12:32]), mech)
	}
	return minor, nil
}

func trimNUL(b []byte) string {
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		c := b[i]
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}
