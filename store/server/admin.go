package server

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/proto"
)

// cloneInfo returns a copy of i that shares no slice with it.
func cloneInfo(i store.ServerInfo) store.ServerInfo {
	i.Endpoints = slices.Clone(i.Endpoints)
	i.Feed = slices.Clone(i.Feed)
	i.Ingest = slices.Clone(i.Ingest)
	i.Storages = slices.Clone(i.Storages)
	return i
}

// makeInfo gathers the server's description, without its storages (each
// view adds its own; see newView).
func (s *Server) makeInfo() store.ServerInfo {
	last := func(given []string, ep interface{ LastEndpoint() (string, error) }) []string {
		if len(given) > 0 {
			return slices.Clone(given)
		}
		if e, err := ep.LastEndpoint(); err == nil && e != "" {
			return []string{e}
		}
		return nil
	}
	info := store.ServerInfo{ID: s.clock.ID().String(), Protocol: proto.Version}
	info.Endpoints = last(s.opts.Endpoints, s.sock)
	if s.feed != nil {
		info.Feed = last(s.opts.FeedEndpoints, s.feed)
	}
	if s.ingest != nil {
		info.Ingest = last(s.opts.IngestEndpoints, s.ingest)
	}
	return info
}

// info describes the storage in store.ServerInfo.
func (st *storage) info() store.StorageInfo {
	return store.StorageInfo{Name: st.Name, KeyExpr: st.KeyExpr, StripPrefix: st.StripPrefix, Volume: st.Volume, ReadOnly: st.ReadOnly}
}

// replyInfo sends the admin REPLY: the description of the view the
// request is handled with.
func (s *Server) replyInfo(ctx context.Context, v *view, r request) error {
	value, err := json.Marshal(v.info)
	if err != nil {
		return err
	}
	return s.send(ctx, &r, proto.Message{Kind: proto.KindReply, ID: r.msg.ID, Key: store.AdminKey,
		Encoding: "application/json", Timestamp: s.clock.Now(), Value: value})
}
