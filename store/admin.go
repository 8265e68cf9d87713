package store

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/zmesh/zmesh/store/proto"
)

// AdminKey is the key under which a server describes itself: a query that
// matches it (exactly "@zmesh/server", or "@zmesh/*") gets one REPLY whose
// value is the server's ServerInfo in JSON. Its first chunk is verbatim
// ('@'), so no user query such as "**" ever matches it (spec/storage.md
// §1.3), and no user storage can hold it unless its key expression names
// "@zmesh" literally.
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

func (i ServerInfo) clone() ServerInfo {
	i.Endpoints = slices.Clone(i.Endpoints)
	i.Feed = slices.Clone(i.Feed)
	i.Ingest = slices.Clone(i.Ingest)
	i.Storages = slices.Clone(i.Storages)
	return i
}

// makeInfo gathers the server's description, without its storages (each
// view adds its own; see newView).
func (s *Server) makeInfo() ServerInfo {
	last := func(given []string, ep interface{ LastEndpoint() (string, error) }) []string {
		if len(given) > 0 {
			return slices.Clone(given)
		}
		if e, err := ep.LastEndpoint(); err == nil && e != "" {
			return []string{e}
		}
		return nil
	}
	info := ServerInfo{ID: s.clock.ID().String(), Protocol: proto.Version}
	info.Endpoints = last(s.opts.Endpoints, s.sock)
	if s.feed != nil {
		info.Feed = last(s.opts.FeedEndpoints, s.feed)
	}
	if s.ingest != nil {
		info.Ingest = last(s.opts.IngestEndpoints, s.ingest)
	}
	return info
}

// info describes the storage in ServerInfo.
func (st *storage) info() StorageInfo {
	return StorageInfo{Name: st.Name, KeyExpr: st.KeyExpr, StripPrefix: st.StripPrefix, Volume: st.Volume, ReadOnly: st.ReadOnly}
}

// replyInfo sends the admin REPLY: the description of the view the
// request is handled with.
func (s *Server) replyInfo(ctx context.Context, v *view, r request) error {
	value, err := json.Marshal(v.info)
	if err != nil {
		return err
	}
	return s.send(ctx, &r, proto.Message{Kind: proto.KindReply, ID: r.msg.ID, Key: AdminKey,
		Encoding: "application/json", Timestamp: s.clock.Now(), Value: value})
}
