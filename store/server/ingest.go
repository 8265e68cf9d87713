package server

import (
	"context"

	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/proto"
)

// Bulk ingest. Loaders scatter PUT messages (the same encoding as a
// client's, any request id) over a SCATTER socket connected to the GATHER
// sockets of a pool of servers; SCATTER sends round-robin, so the load
// spreads. Nothing is answered: a loader learns that its puts landed by
// querying afterwards (every stored entry is returned with its timestamp,
// so a loader that stamps its own puts can check for exactly those), or by
// watching the change feed. A put that is refused (malformed, a wildcard
// key, too large, no storage, a backend failure) is counted in
// Stats.IngestRejected and logged at debug level.

// ingestWorker applies bulk puts until ctx is done. Like request workers,
// ingest workers take turns receiving so arrival order sets the stamps.
func (s *Server) ingestWorker(ctx context.Context) {
	for {
		m, stamp, err := s.receive(ctx, &s.ingestMu, s.ingest.Recv)
		if err != nil {
			if stopped(ctx, err) {
				return
			}
			continue
		}
		s.ingestOne(m.Body, stamp)
	}
}

// ingestOne applies one bulk message.
func (s *Server) ingestOne(body []byte, stamp hlc.Timestamp) {
	msg, err := proto.Decode(body)
	if err == nil && msg.Kind != proto.KindPut {
		err = refuse(proto.StatusUnsupported, "the ingest socket takes PUT messages only, not %v", msg.Kind)
	}
	if err == nil {
		v := s.acquire()
		if err = v.refusal(); err == nil {
			err = s.put(s.requestContext(), v, &msg, stamp)
		}
		v.release()
	}
	if err != nil {
		s.stats.ingestRejected.Add(1)
		s.log.Debug("store: bulk put refused", "key", msg.Key, "err", err)
		return
	}
	s.stats.ingested.Add(1)
}
