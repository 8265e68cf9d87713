package interop

import (
	"fmt"
	"testing"
)

// These tests prove the classic harness peer against peer (libzmq, pyzmq,
// zmq4 against one another), so a failure in zmesh's classic tests points
// at zmesh, not at the peers or the scenarios.

// secSetup is a security setup: the arguments for the server (bound) side
// and for the client (connected) side of a classic peer.
type secSetup struct {
	name           string
	server, client []string
}

var (
	mechNull  = secSetup{name: "null"}
	mechPlain = secSetup{"plain", []string{"--plain-server", "admin:secret"}, []string{"--plain-client", "admin:secret"}}
	mechCurve = secSetup{"curve",
		[]string{"--curve-server", ServerSecret, "--curve-allow", ClientPublic},
		[]string{"--curve-client", ServerPublic, "--curve-public", ClientPublic, "--curve-secret", ClientSecret}}
)

// peerMechs lists the mechanisms two kinds share.
func peerMechs(a, b PeerKind) []secSetup {
	ms := []secSetup{mechNull, mechPlain}
	if a.HasCurve() && b.HasCurve() {
		ms = append(ms, mechCurve)
	}
	return ms
}

// startPair starts a bound peer of kind bk and a connected one of kind ck
// for scenario sc under mechanism m.
func startPair(t *testing.T, bk, ck PeerKind, sc scenario, m secSetup) (bound, conn *Classic) {
	t.Helper()
	bb, cb := RequireClassic(t, bk), RequireClassic(t, ck)
	bound = bb.Start(t, sc.bindType, append([]string{"--timeout", "30000"}, m.server...)...)
	conn = cb.Start(t, sc.connType, append([]string{"--timeout", "30000"}, m.client...)...)
	ep, err := bound.Bind("tcp://127.0.0.1:*")
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return bound, conn
}

func TestClassicPeersAgainstEachOther(t *testing.T) {
	// Each kind is the bound side once and the connected side once; every
	// scenario has both of its types on each side, so every type of every
	// kind meets another kind.
	pairs := [][2]PeerKind{{Libzmq, Pyzmq}, {Pyzmq, Zmq4}, {Zmq4, Libzmq}}
	for _, pk := range pairs {
		for _, sc := range scenarios {
			for _, m := range peerMechs(pk[0], pk[1]) {
				// NULL for every scenario; PLAIN and CURVE on one each,
				// to keep the suite short.
				if m.name != "null" && sc.name != "dealer-router" {
					continue
				}
				name := fmt.Sprintf("%s-bind/%s-connect/%s/%s", pk[0], pk[1], sc.name, m.name)
				t.Run(name, func(t *testing.T) {
					b, c := startPair(t, pk[0], pk[1], sc, m)
					q := quirksOf(pk[0])
					if sc.bindType != "rep" && sc.bindType != "xpub" {
						q = quirksOf(pk[1])
					}
					sc.run(t, b, c, q)
					if err := c.Close(); err != nil {
						t.Error(err)
					}
					if err := b.Close(); err != nil {
						t.Error(err)
					}
				})
			}
		}
	}
}
