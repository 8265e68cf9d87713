package server

import (
	"context"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
)

// maxBatch and maxBatchBytes bound the PUTs one request worker writes
// together, in number and in their messages' bytes (so the workers hold
// at most Options.Workers × 256 KiB of batched requests).
const (
	maxBatch      = 64
	maxBatchBytes = 256 << 10
)

// A request worker that receives a small PUT for a storage whose store
// applies batches (backend.BatchApplier: the engine volume) also takes the
// PUTs already queued behind it for that storage and writes them all with
// one commit: under sync: always they share one log sync, and the worker
// wakes once for them instead of each waking a worker of its own. Each
// PUT is still checked, stamped and compared (last writer wins) on its
// own and answered on its own; the first message that cannot join ends
// the batch and is handled after it, so the order in which a client's
// requests arrive is kept.

// pendingPut is a received PUT waiting to join a batch.
type pendingPut struct {
	req request
	e   backend.Entry // key (the storage's), value, encoding, timestamp
	key string        // the full key
}

// handleBatch handles m, received with stamp, and the PUTs queued behind
// it if m is a PUT that can start a batch; otherwise it reports false and
// the caller handles m as usual.
func (s *Server) handleBatch(m patterns.Msg, stamp hlc.Timestamp) bool {
	if !batchable(m.Body) || s.fromStalled(m.RoutingID) {
		return false
	}
	v := s.acquire()
	defer v.release()
	if !v.batching {
		return false
	}
	msg, err := proto.Decode(m.Body)
	if err != nil {
		return false
	}
	st := batchTarget(v, msg.Key)
	if st == nil || v.refusal() != nil {
		// Handled as usual, without decoding it again.
		s.metrics.bytesIn.Add(uint64(len(m.Body)))
		s.dispatch(request{msg: msg, peer: m.RoutingID, stamp: stamp, in: m})
		return true
	}
	puts := make([]pendingPut, 0, 8)
	add := func(m patterns.Msg, msg proto.Message, stamp hlc.Timestamp) {
		s.metrics.bytesIn.Add(uint64(len(m.Body)))
		r := request{msg: msg, peer: m.RoutingID, stamp: stamp, in: m}
		e, key, err := s.checkPut(st, &r.msg, stamp)
		if err != nil {
			s.finish(s.reqCtx, &r, 0, err)
			r.done()
			return
		}
		puts = append(puts, pendingPut{req: r, e: e, key: key})
	}
	add(m, msg, stamp)

	// Take what is queued, stamping each PUT before the next is taken, as
	// receive does. A worker holding recvMu is waiting in Recv, so
	// nothing is queued: do not wait for it (the next message may be the
	// caller's answer to this one's reply).
	var rest *received
	if !s.recvMu.TryLock() {
		s.writeBatch(s.requestContext(), st, puts)
		return true
	}
	for n, bytes := 1, len(m.Body); n < maxBatch && bytes < maxBatchBytes; n++ {
		m2, err := s.sock.TryRecv()
		if err != nil {
			break
		}
		r, ok := s.accept(m2)
		if !ok {
			continue
		}
		if batchable(r.m.Body) && !s.fromStalled(r.m.RoutingID) {
			if msg2, err := proto.Decode(r.m.Body); err == nil {
				if batchTarget(v, msg2.Key) == st {
					add(r.m, msg2, r.stamp)
					bytes += len(r.m.Body)
					continue
				}
			}
		}
		rest = &r
		break
	}
	s.recvMu.Unlock()

	s.writeBatch(s.requestContext(), st, puts)
	if rest != nil {
		s.handle(rest.m, rest.stamp)
	}
	return true
}

// batched reports whether raw message b is a PUT a batch may take (see
// handleBatch). No extra worker is started for one: the workers there
// are take such PUTs together, and more of them would only split the
// batches (64 callers: 65k puts/s with extra workers, 69k without). The
// view is only looked at, not held: this is a hint.
func (s *Server) batched(b []byte) bool {
	return batchable(b) && s.cur.Load().batching
}

// batchable reports whether raw message b is a PUT small enough for a
// batch (smallWrite).
func batchable(b []byte) bool {
	return smallWrite(b) && b[0] == proto.Version && proto.Kind(b[1]) == proto.KindPut
}

// batchTarget returns the storage a PUT of key goes to if it has a batch
// writer and is the only storage holding key, and key is valid; otherwise
// nil.
func batchTarget(v *view, key string) *storage {
	if keyexpr.ValidateKey(key) != nil {
		return nil
	}
	var target *storage
	for _, st := range v.storages {
		if !st.holds(key) {
			continue
		}
		if target != nil {
			return nil
		}
		target = st
	}
	if target == nil || target.batch == nil {
		return nil
	}
	return target
}

// checkPut checks and stamps one PUT for st, as put and apply do, and
// returns its entry (under the storage's key) and its full key. The key
// is valid (batchTarget).
func (s *Server) checkPut(st *storage, m *proto.Message, stamp hlc.Timestamp) (backend.Entry, string, error) {
	if err := checkWrite(m.Key, m.Encoding, uint64(len(m.Value)), uint64(s.opts.MaxValueSize), ""); err != nil {
		return backend.Entry{}, "", err
	}
	ts, err := s.timestamp(m, stamp)
	if err != nil {
		return backend.Entry{}, "", err
	}
	sk, ok := st.strip(m.Key)
	if !ok {
		return backend.Entry{}, "", refuse(proto.StatusInternal, "key %q is not under storage %q's strip_prefix %q", m.Key, st.Name, st.StripPrefix)
	}
	e := backend.Entry{Key: sk, Value: m.Value, Encoding: m.Encoding, Timestamp: ts}
	if err := backend.CheckEntry(e); err != nil {
		return backend.Entry{}, "", fmt.Errorf("storage %q: %w", st.Name, err)
	}
	return e, m.Key, nil
}

// writeBatch writes puts to st with one commit and answers each, as apply
// and finish do for one: a PUT older than a retained wildcard delete of
// its key is answered without being written, a stored one is published on
// the change feed (in order: the keys' locks are held from before the
// commit until it is published).
func (s *Server) writeBatch(ctx context.Context, st *storage, puts []pendingPut) {
	if len(puts) == 0 {
		return
	}
	st.wild.mu.RLock()
	defer st.wild.mu.RUnlock()
	if s.feed != nil || s.watched() {
		keys := make([]string, len(puts))
		for i := range puts {
			keys[i] = puts[i].key
		}
		defer s.locks.lockAll(keys)()
	}
	es := make([]backend.Entry, 0, len(puts))
	in := make([]int, 0, len(puts)) // puts[in[j]] is es[j]
	for i := range puts {
		if !st.wild.shadowedLocked(puts[i].key, puts[i].e.Timestamp) {
			es = append(es, puts[i].e)
			in = append(in, i)
		}
	}
	applied := make([]bool, len(es))
	var err error
	if len(es) > 0 {
		if err = st.batch.ApplyBatch(ctx, es, applied); err != nil {
			err = fmt.Errorf("storage %q: %w", st.Name, err)
		}
	}
	for j, i := range in {
		if err == nil && applied[j] {
			s.stats.applied.Add(1)
			if s.feed != nil {
				s.publish(ctx, st, puts[i].key, es[j], nil)
			}
			s.notify(st, puts[i].key, es[j], nil)
		}
	}
	for i := range puts {
		s.finish(ctx, &puts[i].req, 0, err)
		puts[i].req.done()
	}
}

// observedBatch is an observed store's batch writer: its failures count
// against the storage's health as Apply's do.
type observedBatch struct {
	ba backend.BatchApplier
	h  *health
}

func (o observedBatch) ApplyBatch(ctx context.Context, es []backend.Entry, applied []bool) error {
	start := time.Now()
	err := o.ba.ApplyBatch(ctx, es, applied)
	o.h.record(opApply, start, err, nil)
	return err
}
