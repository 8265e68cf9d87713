package patterns

import "github.com/zmesh/zmesh/internal/engine"

// pubPeer is a PUB's or XPUB's subscriber: its pipe, and the mark a
// match leaves so that a peer subscribed to several matching prefixes
// gets the message once.
type pubPeer struct {
	p    *engine.Pipe
	mark uint64
}
