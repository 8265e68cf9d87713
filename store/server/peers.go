package server

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// Peer is one connection of the request socket whose handshake completed.
type Peer struct {
	// Remote is the peer's transport address ("127.0.0.1:50312").
	Remote string `json:"remote"`
	// Endpoint is the server's endpoint it came in on.
	Endpoint string `json:"endpoint"`
	// Since is when its handshake completed.
	Since time.Time `json:"since"`
}

// peerTable follows the request socket's monitor events. Written by
// trackPeers (a goroutine of Serve), read by Peers.
type peerTable struct {
	mu    sync.Mutex // guards peers
	peers map[string]Peer
}

// trackPeers records the request socket's connections until ctx is done.
func (s *Server) trackPeers(ctx context.Context, events <-chan socket.Event) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Remote == "" {
				continue
			}
			s.peers.mu.Lock()
			switch ev.Type {
			case socket.EventHandshakeSucceeded:
				if s.peers.peers == nil {
					s.peers.peers = map[string]Peer{}
				}
				s.peers.peers[ev.Remote] = Peer{Remote: ev.Remote, Endpoint: ev.Endpoint, Since: time.Now()}
			case socket.EventDisconnected, socket.EventHandshakeFailed:
				delete(s.peers.peers, ev.Remote)
			}
			s.peers.mu.Unlock()
		}
	}
}

// Peers returns the clients connected to the request socket now (those
// whose handshake completed and that have a transport address: tcp and
// ipc, not inproc), sorted by address. It follows the socket's monitor
// events as Serve's goroutine reads them, so a client shows a moment
// after its handshake.
func (s *Server) Peers() []Peer {
	s.peers.mu.Lock()
	out := make([]Peer, 0, len(s.peers.peers))
	for _, p := range s.peers.peers {
		out = append(out, p)
	}
	s.peers.mu.Unlock()
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.Remote, b.Remote) })
	return out
}
