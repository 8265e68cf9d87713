package patterns

// NOISE through the engine between zmesh sockets: one client and two
// servers with different keys, a pinned server key, and rekeying on a live
// link.

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/internal/interop"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

// noiseServer starts an echo Server with NOISE under a fresh key pair that
// admits only client, and returns its endpoint and public key.
func noiseServer(t *testing.T, client mechanism.PublicKey) (string, mechanism.PublicKey) {
	t.Helper()
	pub, sec, err := mechanism.GenerateKeyPair()
	must(t, err)
	auth := &mechanism.Auth{}
	auth.AllowKey(client)
	srv, ep := boundServer(t, Options{Mechanism: &mechanism.NoiseServer{SecretKey: sec}, Auth: auth})
	serveEcho(t, srv)
	return ep, pub
}

func TestNoiseTwoServersWithDifferentKeys(t *testing.T) {
	cpub, csec, err := mechanism.GenerateKeyPair()
	must(t, err)
	epA, keyA := noiseServer(t, cpub)
	epB, keyB := noiseServer(t, cpub)
	if keyA == keyB {
		t.Fatal("two generated key pairs are equal")
	}

	t.Run("unpinned client talks to both", func(t *testing.T) {
		cli := dialClient(t, Options{Mechanism: &mechanism.NoiseClient{SecretKey: csec}}, epA)
		mon := cli.Monitor()
		must(t, cli.Connect(epB))
		waitFor(t, mon, socket.EventHandshakeSucceeded)
		waitFor(t, mon, socket.EventHandshakeSucceeded)
		// Round robin over two ready peers: each server answers half, and
		// each answer names the key of the server it came from.
		seen := map[mechanism.PublicKey]int{}
		ctx := testCtx(t)
		for seq := 0; seq < 20; seq++ {
			body := interop.Pattern(seq, 100+seq*5000)
			if err := cli.Send(ctx, body); err != nil {
				t.Fatal(err)
			}
			m, err := cli.Recv(ctx)
			if err != nil || !bytes.Equal(m.Body, body) {
				t.Fatalf("echo %d: %v", seq, err)
			}
			var k mechanism.PublicKey
			copy(k[:], m.Peer.PublicKey)
			seen[k]++
		}
		if seen[keyA] != 10 || seen[keyB] != 10 || len(seen) != 2 {
			t.Fatalf("answers by server key: A %d, B %d, %d keys in all", seen[keyA], seen[keyB], len(seen))
		}
	})

	t.Run("client pinned to one server refuses the other", func(t *testing.T) {
		cli := dialClient(t, Options{Mechanism: &mechanism.NoiseClient{ServerKey: keyA, SecretKey: csec}}, epB)
		mon := cli.Monitor()
		e := waitFor(t, mon, socket.EventHandshakeFailed)
		if !errors.Is(e.Err, socket.ErrHandshake) {
			t.Fatalf("wrong server reported as %v", e.Err)
		}
		// A stopped connect lets its pipe go: nothing sent later is queued
		// for B, where it could never be delivered.
		waitFor(t, mon, socket.EventConnectStopped)
		must(t, cli.Connect(epA))
		waitFor(t, mon, socket.EventHandshakeSucceeded)
		ctx := testCtx(t)
		for seq := 0; seq < 10; seq++ {
			body := interop.Pattern(seq, 64)
			if err := cli.Send(ctx, body); err != nil {
				t.Fatal(err)
			}
			m, err := cli.Recv(ctx)
			if err != nil || !bytes.Equal(m.Body, body) || !bytes.Equal(m.Peer.PublicKey, keyA[:]) {
				t.Fatalf("echo %d: %v (from %x)", seq, err, m.Peer.PublicKey)
			}
		}
	})

	t.Run("server refuses an unlisted client", func(t *testing.T) {
		_, other, _ := mechanism.GenerateKeyPair()
		cli := dialClient(t, Options{Mechanism: &mechanism.NoiseClient{ServerKey: keyA, SecretKey: other}}, epA)
		mon := cli.Monitor()
		e := waitFor(t, mon, socket.EventHandshakeFailed)
		var he *mechanism.HandshakeError
		if !errors.As(e.Err, &he) || !he.Remote {
			t.Fatalf("refusal reported as %v", e.Err)
		}
		waitFor(t, mon, socket.EventConnectStopped)
		if err := cli.TrySend([]byte("must not leave")); !errors.Is(err, socket.ErrWouldBlock) {
			t.Fatalf("send with no peer: %v", err)
		}
	})
}

// TestNoiseRekeysOnALiveLink sends more messages each way than the rekey
// interval (65 536 per direction) over one connection, pipelined, so both
// sides rekey mid-stream with frames in flight.
func TestNoiseRekeysOnALiveLink(t *testing.T) {
	cpub, csec, err := mechanism.GenerateKeyPair()
	must(t, err)
	ep, key := noiseServer(t, cpub)
	cli := dialClient(t, Options{Mechanism: &mechanism.NoiseClient{ServerKey: key, SecretKey: csec}, SendHWM: -1, RecvHWM: -1}, ep)
	mon := cli.Monitor()
	waitFor(t, mon, socket.EventHandshakeSucceeded)
	const n = 70000
	ctx := testCtx(t)
	errc := make(chan error, 1)
	go func() {
		for seq := 0; seq < n; seq++ {
			if err := cli.Send(ctx, interop.Pattern(seq, 16)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for seq := 0; seq < n; seq++ {
		m, err := cli.Recv(ctx)
		if err != nil {
			t.Fatalf("echo %d: %v", seq, err)
		}
		if !bytes.Equal(m.Body, interop.Pattern(seq, 16)) {
			t.Fatalf("echo %d out of order or damaged", seq)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-mon:
		if e.Type == socket.EventDisconnected {
			t.Fatalf("the link dropped: %v", e.Err)
		}
	default:
	}
}
