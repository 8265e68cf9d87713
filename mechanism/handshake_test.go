package mechanism

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// mechanisms under test, by name: a client and a server configured to
// succeed with each other.
func mechanismPairs() map[string]pair {
	a := plainAuth()
	return map[string]pair{
		"NULL":  {client: Null{}, server: Null{}},
		"PLAIN": {client: PlainClient{"admin", "secret"}, server: PlainServer{}, serverAuth: a},
		"CURVE": curvePair(),
		"NOISE": noisePair(),
	}
}

// handshakeFrames is how many frames each mechanism's handshake sends each
// way: {client→server, server→client}.
var handshakeFrames = map[string][2]int{"NULL": {1, 1}, "PLAIN": {2, 2}, "CURVE": {2, 2}, "NOISE": {2, 2}}

func TestEveryMechanismPairSucceeds(t *testing.T) {
	for name, p := range mechanismPairs() {
		t.Run(name, func(t *testing.T) {
			cl, sv := p.run(t)
			if cl.err != nil || sv.err != nil {
				t.Fatalf("client: %v, server: %v", cl.err, sv.err)
			}
		})
	}
}

// TestMismatchedMechanismsFailCleanly runs every client against every other
// mechanism's server. The engine's greeting check normally stops these
// before any handshake; the mechanisms must still fail, on both sides, with
// errors and no hang or panic.
func TestMismatchedMechanismsFailCleanly(t *testing.T) {
	ps := mechanismPairs()
	for cn, cp := range ps {
		for sn, sp := range ps {
			if cn == sn {
				continue
			}
			t.Run(cn+" client vs "+sn+" server", func(t *testing.T) {
				cl, sv := pair{client: cp.client, server: sp.server, serverAuth: sp.serverAuth, timeout: 5 * time.Second}.run(t)
				if cl.err == nil || sv.err == nil {
					t.Fatalf("client: %v, server: %v; want both to fail", cl.err, sv.err)
				}
			})
		}
	}
}

func TestCurveClientAgainstPlainServer(t *testing.T) {
	ps := mechanismPairs()
	cl, sv := pair{client: ps["CURVE"].client, server: PlainServer{}, serverAuth: ps["PLAIN"].serverAuth}.run(t)
	he := mustHandshakeError(t, "server", sv.err)
	if !strings.Contains(he.Reason, "PLAIN HELLO") {
		t.Errorf("server: %v", he)
	}
	if !isEOF(cl.err) || len(sv.conn.commands()) != 0 {
		t.Errorf("client: %v; server wrote %d commands", cl.err, len(sv.conn.commands()))
	}
}

// handshakeMutations change one handshake frame. Every one must make the
// side that receives it fail with a *HandshakeError.
var handshakeMutations = map[string]func(f frame) []frame{
	"truncated by one byte": func(f frame) []frame { f.body = f.body[:len(f.body)-1]; return []frame{f} },
	"one byte too long":     func(f frame) []frame { f.body = append(f.body, 0); return []frame{f} },
	"cut after the name": func(f frame) []frame {
		f.body = f.body[:1+int(f.body[0])]
		return []frame{f}
	},
	"empty body":           func(f frame) []frame { f.body = nil; return []frame{f} },
	"name length past end": func(f frame) []frame { f.body = []byte{0xFF, 'X'}; return []frame{f} },
	"zero name length":     func(f frame) []frame { f.body = []byte{0, 'X'}; return []frame{f} },
	"unknown command":      func(f frame) []frame { f.body = AppendCommand(nil, "JUNK", []byte{0, 1, 2}); return []frame{f} },
	"PING mid-handshake":   func(f frame) []frame { f.body = zmtp.AppendPing(nil, 0, nil); return []frame{f} },
	"message frame":        func(f frame) []frame { f.flags = 0; return []frame{f} },
	"lower-case name":      func(f frame) []frame { f.body[1] |= 0x20; return []frame{f} },
	"sent twice":           func(f frame) []frame { return []frame{f, f} },
	"last byte flipped":    func(f frame) []frame { f.body[len(f.body)-1] ^= 0x01; return []frame{f} },
	"middle byte flipped":  func(f frame) []frame { f.body[len(f.body)/2+1] ^= 0x80; return []frame{f} },
	"ERROR with junk": func(f frame) []frame {
		f.body = AppendCommand(nil, zmtp.CmdError, []byte("\x05\x00\x1b[2J"))
		return []frame{f}
	},
	"ERROR without reason": func(f frame) []frame { f.body = AppendCommand(nil, zmtp.CmdError); return []frame{f} },
	"huge metadata claimed": func(f frame) []frame {
		f.body = AppendCommand(nil, zmtp.CmdReady, []byte("\x01X\xff\xff\xff\xffv"))
		return []frame{f}
	},
}

// mutationHarmless lists mutations a mechanism legitimately survives.
func mutationHarmless(mech, mutation string, d direction, n int) bool {
	switch {
	case mutation == "sent twice" && (mech == "NULL" || n == handshakeFrames[mech][d]-1):
		// A duplicate of the last handshake frame arrives after the
		// handshake, where the engine (and the codec) deal with it.
		return true
	}
	return false
}

func TestHandshakeRejectsMutatedCommands(t *testing.T) {
	for mech, base := range mechanismPairs() {
		counts := handshakeFrames[mech]
		for d := toServer; d <= toClient; d++ {
			for n := 0; n < counts[d]; n++ {
				for mname, mutate := range handshakeMutations {
					t.Run(fmt.Sprintf("%s/%s frame %d/%s", mech, d, n, mname), func(t *testing.T) {
						p := base
						p.timeout = 5 * time.Second
						unchanged := false
						p.tamper = func(fd direction, fn int, f frame) []frame {
							if fd == d && fn == n {
								out := mutate(frame{f.flags, append([]byte(nil), f.body...)})
								unchanged = len(out) == 1 && out[0].flags == f.flags && bytes.Equal(out[0].body, f.body)
								return out
							}
							return []frame{f}
						}
						cl, sv := p.run(t)
						if unchanged || mutationHarmless(mech, mname, d, n) {
							return
						}
						receiver, other := sv, cl
						if d == toClient {
							receiver, other = cl, sv
						}
						if receiver.err == nil && other.err == nil {
							t.Fatal("both sides completed the handshake")
						}
						if receiver.err != nil && !errors.Is(receiver.err, ErrHandshake) && !isEOF(receiver.err) {
							t.Fatalf("receiver failed with %v (%T), want a *HandshakeError", receiver.err, receiver.err)
						}
					})
				}
			}
		}
	}
}

func TestCurveCookieIsBoundToItsConnection(t *testing.T) {
	// An INITIATE recorded on one connection is refused on another, even
	// for the same client: each connection has its own cookie key.
	var recorded frame
	p := curvePair()
	p.tamper = func(d direction, n int, f frame) []frame {
		if d == toServer && n == 1 {
			recorded = frame{f.flags, append([]byte(nil), f.body...)}
		}
		return []frame{f}
	}
	if cl, sv := p.run(t); cl.err != nil || sv.err != nil {
		t.Fatal(cl.err, sv.err)
	}
	p.tamper = func(d direction, n int, f frame) []frame {
		if d == toServer && n == 1 {
			return []frame{recorded}
		}
		return []frame{f}
	}
	_, sv := p.run(t)
	he := mustHandshakeError(t, "server", sv.err)
	if he.Reason != "CURVE INITIATE: cookie does not open" {
		t.Fatalf("server: %v", he)
	}
}
