package server

import (
	"context"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/proto"
)

// publish hands the change-feed sample of an applied entry to the radio,
// group = the storage's name. The sample's id is the storage's sequence
// number, one more than the previous sample of that storage on this
// server, so a watcher that sees a gap knows the radio dropped samples
// (it drops at its high-water mark unless no_drop is set) and can query
// again. A sample the radio refuses still uses its number, for that
// reason. Called with the key's lock held, after the entry was stored.
//
// big is the streamed value's entry for a streamed put (nil otherwise):
// the sample then leaves the value out and carries its size and BLAKE3
// hash (proto.Message.Omitted), as the value does not fit a datagram.
func (s *Server) publish(ctx context.Context, st *storage, key string, e backend.Entry, big *backend.StreamEntry) {
	m := proto.Message{Kind: proto.KindSample, Key: key, Timestamp: e.Timestamp, Delete: e.Deleted}
	switch {
	case e.Deleted:
	case big != nil:
		m.Encoding, m.Value, m.Omitted = e.Encoding, proto.OmittedValue(uint64(big.Size), big.Hash), true
	default:
		m.Encoding, m.Value = e.Encoding, e.Value
	}
	st.feedMu.Lock()
	defer st.feedMu.Unlock()
	st.seq++
	m.ID = st.seq
	body, err := m.MarshalBinary()
	if err == nil {
		err = s.feed.Transmit(ctx, body, st.Name)
	}
	if err != nil {
		s.stats.feedDropped.Add(1)
		s.log.Debug("store: change-feed sample dropped", "storage", st.Name, "seq", m.ID, "key", key, "err", err)
		return
	}
	s.stats.published.Add(1)
}
