package engine

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/zmesh/zmesh/internal/zmtp"
	"github.com/zmesh/zmesh/socket"
)

// FuzzMultipartReader feeds arbitrary bytes, as a peer's stream after its
// handshake, to the reader of a socket of a multipart type: whatever
// arrives, the connection ends without a panic, and every message queued
// is whole (at most socket.MaxFrames frames, no more bytes than were sent).
func FuzzMultipartReader(f *testing.F) {
	var b []byte
	b = zmtp.AppendFrame(b, zmtp.FlagMore, []byte("a"))
	b = zmtp.AppendFrame(b, zmtp.FlagCommand, zmtp.AppendPing(nil, 0, nil))
	b = zmtp.AppendFrame(b, 0, nil)
	f.Add(b)
	f.Add(zmtp.AppendFrame(nil, zmtp.FlagCommand, zmtp.AppendSubscription(nil, []byte("t"), true)))
	f.Add(append(zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("cut")), 0x01))
	f.Add([]byte{zmtp.FlagCommand | zmtp.FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		zctx := socket.NewCtx(nil)
		defer zctx.Close()
		typ := Type{Name: "PULL", Peers: []string{"PUSH"}, Multipart: true, KeepDisconnected: true, SubCommands: true}
		s, err := New(zctx, typ, socket.Options{MaxMsgSize: 1 << 16}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ours, theirs := net.Pipe()
		c := newConn(s, ours, "fuzz", true)
		c.peer = &socket.Peer{Endpoint: "fuzz", SocketType: "PUSH"}
		c.fr.established(nil, nil)
		c.fr.cmdMax = maxCommand
		p := newPipe(s, "fuzz")
		s.attach(p)
		p.up(c)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = c.serve(p)
		}()
		go func() { _, _ = io.Copy(io.Discard, theirs) }() // PONGs
		_, _ = theirs.Write(data)
		_ = theirs.Close()
		<-done
		total := 0
		for {
			m, err := s.Recv(context.Background(), false)
			if err != nil {
				break
			}
			if len(m.Frames) > socket.MaxFrames {
				t.Fatalf("a message of %d frames", len(m.Frames))
			}
			total += m.Len()
		}
		if total > len(data) {
			t.Fatalf("%d bytes received from %d sent", total, len(data))
		}
	})
}
