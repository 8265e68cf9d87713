package engine_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func TestHandshakeTimeoutClosesSilentPeer(t *testing.T) {
	_, ep, mon := newServer(t, socket.Options{HandshakeTimeout: 100 * time.Millisecond})
	for _, stall := range []func(*rawPeer){
		func(r *rawPeer) {}, // sends nothing
		func(r *rawPeer) { r.write(greeting(1, "NULL")[:20]) },                           // half a greeting
		func(r *rawPeer) { r.send(r.w.WriteGreeting(null(1))) },                          // greeting, no READY
		func(r *rawPeer) { r.send(r.w.WriteGreeting(null(1)), r.w.WriteRaw([]byte{4})) }, // a byte of READY
	} {
		r := dialRaw(t, ep)
		stall(r)
		start := time.Now()
		e := waitEvent(t, mon, socket.EventHandshakeFailed)
		if !strings.Contains(e.Err.Error(), "timed out") && !strings.Contains(e.Err.Error(), "timeout") {
			t.Fatalf("reason %v, want a handshake timeout", e.Err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("stalled handshake closed after %v", d)
		}
		// The server closed it: our read ends.
		_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, r.nc); err != nil && !errors.Is(err, net.ErrClosed) {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("connection still open after the handshake timeout")
			}
		}
	}
}

func TestMaxConnectionsRefusesExtraPeers(t *testing.T) {
	srv, ep, mon := newServer(t, socket.Options{MaxConnections: 2})
	var clients []*patterns.Client
	for i := 0; i < 2; i++ {
		c := mustNew(t, patterns.NewClient, nil, socket.Options{})
		defer c.Close()
		connect(t, c, ep)
		clients = append(clients, c)
		waitEvent(t, mon, socket.EventHandshakeSucceeded)
	}
	r := dialRaw(t, ep)
	e := waitEvent(t, mon, socket.EventAcceptFailed)
	if !errors.Is(e.Err, socket.ErrSocketLimit) {
		t.Fatalf("reason %v, want ErrSocketLimit", e.Err)
	}
	var b [1]byte
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.nc.Read(b[:]); err == nil {
		t.Fatal("the extra connection was served")
	}
	// The two admitted clients still work.
	for _, c := range clients {
		sendOK(t, c, "hi")
		if _, err := srv.Recv(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
}
