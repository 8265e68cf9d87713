package patterns

import "github.com/zmesh/zmesh/internal/engine"

// The wire rules of each socket type: its name and the one type it talks
// to (RFC 41, 48 and 49), and how the engine frames and keeps its links.
var (
	clientType  = engine.Type{Name: "CLIENT", Peer: "SERVER", KeepDisconnected: true}
	serverType  = engine.Type{Name: "SERVER", Peer: "CLIENT", KeepDisconnected: true}
	radioType   = engine.Type{Name: "RADIO", Peer: "DISH", SendGroup: true, DropIncoming: true}
	dishType    = engine.Type{Name: "DISH", Peer: "RADIO", RecvGroup: true}
	scatterType = engine.Type{Name: "SCATTER", Peer: "GATHER", DropIncoming: true, KeepDisconnected: true}
	gatherType  = engine.Type{Name: "GATHER", Peer: "SCATTER", KeepDisconnected: true}
)
