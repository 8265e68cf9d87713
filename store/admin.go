package store

// AdminKey is the key under which a server describes itself: a query that
// matches it (exactly "@zmesh/server", or "@zmesh/*") gets one REPLY whose
// value is the server's ServerInfo in JSON. Its first chunk is verbatim
// (it starts with '@'): wildcards never match a verbatim chunk, so no user
// query such as "**" ever matches it, and no user storage can hold it
// unless its key expression names "@zmesh" literally.
const AdminKey = "@zmesh/server"

// ServerInfo is what a server reports about itself under AdminKey.
type ServerInfo struct {
	// ID is the server's clock ID (hex), the source of the timestamps it
	// gives.
	ID string `json:"id"`
	// Protocol is the storage protocol version it speaks.
	Protocol int `json:"protocol"`
	// Endpoints are where it takes requests (SERVER socket).
	Endpoints []string `json:"endpoints"`
	// Feed are the endpoints of its change feed (RADIO socket), if any.
	Feed []string `json:"feed,omitempty"`
	// Ingest are the endpoints of its bulk ingest (GATHER socket), if any.
	Ingest []string `json:"ingest,omitempty"`
	// Storages are the storages it serves, in order.
	Storages []StorageInfo `json:"storages"`
}

// StorageInfo describes one storage in ServerInfo.
type StorageInfo struct {
	// Name is the storage's name, and the group of its change feed.
	Name string `json:"name"`
	// KeyExpr is the key expression it holds.
	KeyExpr string `json:"key_expr"`
	// StripPrefix is removed from keys before they are stored.
	StripPrefix string `json:"strip_prefix,omitempty"`
	// Volume names the volume it lives in.
	Volume string `json:"volume,omitempty"`
	// ReadOnly says it refuses writes.
	ReadOnly bool `json:"read_only"`
}
