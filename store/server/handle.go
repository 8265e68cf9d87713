package server

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
)

// handle answers one received message. Requests about one key are handled
// here, on the request worker; wildcard deletes and queries go to the
// query workers.
func (s *Server) handle(m patterns.Msg, stamp hlc.Timestamp) {
	s.metrics.bytesIn.Add(uint64(len(m.Body)))
	if s.fromStalled(m.RoutingID) {
		s.stats.answersDropped.Add(1) // its answer could not be delivered
		m.Release()
		return
	}
	if len(m.Body) >= proto.HeaderLen && m.Body[0] == proto.Version && proto.IsStream(proto.Kind(m.Body[1])) {
		s.handleStream(m)
		return
	}
	msg, err := proto.Decode(m.Body)
	if err != nil {
		id, ok := proto.PeekID(m.Body)
		if !ok {
			s.log.Debug("store: dropped a message shorter than a header", "bytes", len(m.Body), "peer", m.RoutingID)
			m.Release()
			return
		}
		s.finish(s.reqCtx, &request{msg: proto.Message{ID: id}, peer: m.RoutingID}, 0, decodeRefusal(err))
		m.Release()
		return
	}
	s.dispatch(request{msg: msg, peer: m.RoutingID, stamp: stamp, in: m})
}

// dispatch handles a decoded request, from the socket or from Do: the one
// path every request takes, whatever brought it. The request is done
// (request.done) when dispatch returns, unless a query worker took it.
func (s *Server) dispatch(r request) {
	defer r.done()
	msg := &r.msg
	switch msg.Kind {
	case proto.KindPut:
		ctx := s.contextOf(&r)
		v := s.acquire()
		err := v.refusal()
		if err == nil {
			err = s.put(ctx, v, msg, r.stamp)
		}
		v.release()
		s.finish(ctx, &r, 0, err)
	case proto.KindDelete, proto.KindQuery:
		if err := keyexpr.Validate(msg.Key); err != nil {
			s.finish(s.reqCtx, &r, 0, keyRefusal(err, "key expression"))
			return
		}
		if keyexpr.IsWild(msg.Key) {
			if r.local != nil {
				s.runLocalSlow(r)
			} else if s.enqueueSlow(r) {
				r.in = patterns.Msg{} // the query worker releases it
			}
			return
		}
		ctx := s.contextOf(&r)
		v := s.acquire()
		var count uint32
		err := v.refusal()
		if err == nil {
			if msg.Kind == proto.KindDelete {
				err = s.deleteKey(ctx, v, msg, r.stamp)
			} else {
				count, err = s.queryKey(ctx, v, r)
			}
		}
		v.release()
		if err == errAnswered {
			return
		}
		s.finish(ctx, &r, count, err)
	default:
		s.finish(s.reqCtx, &r, 0,
			refuse(proto.StatusUnsupported, "a %v message is not a request (send PUT, DELETE or QUERY)", msg.Kind))
	}
}

// enqueueSlow hands a wildcard request to the query workers and reports
// true, or refuses it if too many are waiting already (false): a flood of
// slow requests must not stall the request workers, which serve the
// writes.
func (s *Server) enqueueSlow(r request) bool {
	select {
	case s.slow <- r:
		return true
	default:
		s.finish(s.reqCtx, &r, 0, refuse(proto.StatusUnavailable,
			"server busy: %d wildcard requests already waiting; retry later", cap(s.slow)))
		return false
	}
}

// handleSlow answers a wildcard DELETE or QUERY.
func (s *Server) handleSlow(r request) {
	ctx := s.contextOf(&r)
	v := s.acquire()
	var count uint32
	err := v.refusal()
	if err == nil {
		if r.msg.Kind == proto.KindDelete {
			err = s.deleteExpr(ctx, v, &r.msg, r.stamp)
		} else {
			count, err = s.queryExpr(ctx, v, r)
		}
	}
	v.release()
	s.finish(ctx, &r, count, err)
}

// timestamp returns the timestamp a write is stored with: its own, merged
// into the server's clock (refused if too far in the future), or the one
// the server gave it on arrival.
func (s *Server) timestamp(m *proto.Message, stamp hlc.Timestamp) (hlc.Timestamp, error) {
	if m.Timestamp.IsZero() {
		if stamp.IsZero() {
			stamp = s.clock.Now()
		}
		return stamp, nil
	}
	if err := s.clock.Update(m.Timestamp); err != nil {
		return hlc.Timestamp{}, err
	}
	return m.Timestamp, nil
}

// put stores a PUT in every storage that holds its key.
func (s *Server) put(ctx context.Context, v *view, m *proto.Message, stamp hlc.Timestamp) error {
	if err := keyexpr.ValidateKey(m.Key); err != nil {
		return keyRefusal(err, "key")
	}
	if err := checkWrite(m.Key, m.Encoding, uint64(len(m.Value)), uint64(s.opts.MaxValueSize), ""); err != nil {
		return err
	}
	ts, err := s.timestamp(m, stamp)
	if err != nil {
		return err
	}
	return s.write(ctx, v, m.Key, backend.Entry{Value: m.Value, Encoding: m.Encoding, Timestamp: ts})
}

// deleteKey stores a tombstone for one key in every storage that holds it.
// The key has been validated.
func (s *Server) deleteKey(ctx context.Context, v *view, m *proto.Message, stamp hlc.Timestamp) error {
	if len(m.Key) > backend.MaxKeyLen {
		return refuse(proto.StatusTooLarge, "key of %d bytes exceeds the limit of %d bytes", len(m.Key), backend.MaxKeyLen)
	}
	ts, err := s.timestamp(m, stamp)
	if err != nil {
		return err
	}
	return s.write(ctx, v, m.Key, backend.Entry{Deleted: true, Timestamp: ts})
}

// write applies e, a value or a tombstone, to key in every writable
// storage that holds it. It succeeds only if every one of them stored e
// durably or already held something newer.
func (s *Server) write(ctx context.Context, v *view, key string, e backend.Entry) error {
	var routed, writable int
	var readOnly string
	var first error
	for _, st := range v.storages {
		if !st.holds(key) {
			continue
		}
		routed++
		if st.ReadOnly {
			readOnly = st.Name
			continue
		}
		writable++
		if err := s.apply(ctx, st, key, e); err != nil && first == nil {
			first = err
		}
	}
	switch {
	case routed == 0:
		return refuse(proto.StatusNoStorage, "no storage holds %q (storages: %s)", key, v.names())
	case writable == 0:
		return refuse(proto.StatusReadOnly, "storage %q, which holds %q, is read-only", readOnly, key)
	}
	return first
}

// apply stores e under key in one storage and publishes it on the change
// feed if it was stored. A put older than a retained wildcard delete of its
// key is dropped (see wildDeletes).
func (s *Server) apply(ctx context.Context, st *storage, key string, e backend.Entry) error {
	sk, ok := st.strip(key)
	if !ok {
		return refuse(proto.StatusInternal, "key %q is not under storage %q's strip_prefix %q", key, st.Name, st.StripPrefix)
	}
	e.Key = sk
	if !e.Deleted {
		st.wild.mu.RLock()
		defer st.wild.mu.RUnlock()
		if st.wild.shadowedLocked(key, e.Timestamp) {
			return nil
		}
	}
	if s.feed != nil || s.watched() {
		defer s.locks.lock(key).Unlock()
	}
	applied, err := st.Store.Apply(ctx, e)
	if err != nil {
		return fmt.Errorf("storage %q: %w", st.Name, err)
	}
	if applied {
		s.stats.applied.Add(1)
		if s.feed != nil {
			s.publish(ctx, st, key, e, nil)
		}
		s.notify(st, key, e, nil)
	}
	return nil
}

// deleteExpr deletes every key matching a wildcard key expression, in
// every writable storage it intersects.
func (s *Server) deleteExpr(ctx context.Context, v *view, m *proto.Message, stamp hlc.Timestamp) error {
	ts, err := s.timestamp(m, stamp)
	if err != nil {
		return err
	}
	var routed, writable int
	var readOnly string
	var first error
	for _, st := range v.storagesOf(m.Key) {
		routed++
		if st.ReadOnly {
			readOnly = st.Name
			continue
		}
		writable++
		if err := s.deleteIn(ctx, st, m.Key, ts); err != nil && first == nil {
			first = err
		}
	}
	switch {
	case routed == 0:
		return refuse(proto.StatusNoStorage, "no storage intersects %q (storages: %s)", m.Key, v.names())
	case writable == 0:
		return refuse(proto.StatusReadOnly, "storage %q, which %q reaches, is read-only", readOnly, m.Key)
	}
	return first
}

// deleteIn resolves a wildcard delete in one storage: it retains the
// delete (so older puts of keys it did not find stay out), then writes a
// tombstone on every live key it matches.
func (s *Server) deleteIn(ctx context.Context, st *storage, expr string, ts hlc.Timestamp) error {
	st.wild.add(expr, ts)
	if _, err := st.Store.Apply(ctx, recordEntry(expr, ts)); err != nil {
		return fmt.Errorf("storage %q: retaining the wildcard delete: %w", st.Name, err)
	}
	err := st.Store.Scan(ctx, st.scanPrefix(expr), backend.ScanMeta, func(e backend.Entry) error {
		if e.Deleted || internal(e.Key) || e.Timestamp.Compare(ts) >= 0 {
			return nil
		}
		full := st.unstrip(e.Key)
		if !keyexpr.Intersects(expr, full) {
			return nil
		}
		return s.apply(ctx, st, full, backend.Entry{Deleted: true, Timestamp: ts})
	})
	if err != nil {
		return fmt.Errorf("storage %q: %w", st.Name, err)
	}
	return nil
}

// queried returns the storages a query of ke reaches and whether it
// reaches the admin space (store.AdminKey); a query that reaches neither is
// refused with StatusNoStorage, saying that no storage reaches (verb) ke.
func (v *view) queried(ke, verb string) ([]*storage, bool, error) {
	return v.queriedInto(nil, ke, verb)
}

// queriedInto is queried, appending the storages to dst.
func (v *view) queriedInto(dst []*storage, ke, verb string) ([]*storage, bool, error) {
	targets := v.appendStoragesOf(dst, ke)
	admin := keyexpr.Intersects(ke, store.AdminKey)
	if len(targets) == 0 && !admin {
		return nil, false, refuse(proto.StatusNoStorage, "no storage %s %q (storages: %s)", verb, ke, v.names())
	}
	return targets, admin, nil
}

// queryKey answers a query for one plain key: the newest entry any
// storage holds for it (a tombstone means no reply), plus the admin space
// if the key is store.AdminKey.
func (s *Server) queryKey(ctx context.Context, v *view, r request) (uint32, error) {
	key := r.msg.Key
	var buf [4]*storage // no allocation for the storages of a key, usually one
	targets, admin, err := v.queriedInto(buf[:0], key, "holds")
	if err != nil {
		return 0, err
	}
	if r.msg.Stream && r.local == nil {
		if n, err := s.queryStream(ctx, targets, r); err != nil || n > 0 {
			return n, err
		}
	}
	var best backend.Entry
	found := false
	for _, st := range targets {
		sk, ok := st.strip(key)
		if !ok {
			continue
		}
		e, ok, err := st.Store.Get(ctx, sk)
		if errors.Is(err, backend.ErrTooLarge) {
			return 0, refuse(proto.StatusTooLarge, "storage %q: the value of %q needs streamed replies (a QUERY with flag S): %v", st.Name, key, err)
		}
		if err != nil {
			return 0, fmt.Errorf("storage %q: %w", st.Name, err)
		}
		if ok && (!found || e.Timestamp.Compare(best.Timestamp) > 0) {
			best, found = e, true
		}
	}
	var count uint32
	if found && !best.Deleted {
		if err := s.checkReply(key, best); err != nil {
			return count, err
		}
		if r.msg.AcceptLast && !admin && r.local == nil {
			// The one REPLY ends the answer when the client accepts it
			// (flag L): a get of one key is then one message each way.
			// Counted before the REPLY goes, as finish counts a request
			// before its FINAL: a client that has the answer reads
			// statistics that include it. A REPLY that cannot be sent is
			// counted by answer, as a FINAL would be.
			s.stats.requests.Add(1)
			s.metrics.count(r.msg.Kind, proto.StatusOK)
			_ = s.sendReply(ctx, r, key, best, true)
			return 1, errAnswered
		}
		if err := s.sendReply(ctx, r, key, best, false); err != nil {
			return count, err
		}
		count++
	}
	if admin {
		if err := s.replyInfo(ctx, v, r); err != nil {
			return count, err
		}
		count++
	}
	return count, nil
}

// queryExpr answers a wildcard query: one REPLY per matching live key,
// the newest when several storages hold it. With one storage the replies
// stream out as the scan finds them; with several the scans are merged
// first.
func (s *Server) queryExpr(ctx context.Context, v *view, r request) (uint32, error) {
	ke := r.msg.Key
	targets, admin, err := v.queried(ke, "intersects")
	if err != nil {
		return 0, err
	}
	var count uint32
	send := func(key string, e backend.Entry) error {
		if err := s.replyOrOmit(ctx, r, key, e); err != nil {
			return err
		}
		count++
		return nil
	}
	// each calls fn with the full key of every entry of st that ke
	// matches, tombstones included. An entry whose value the scan left
	// out (too large to read whole) comes with its descriptor as Value
	// (see omitted).
	each := func(st *storage, fn func(string, backend.Entry) error) error {
		err := st.Store.Scan(ctx, st.scanPrefix(ke), backend.ScanValues, func(e backend.Entry) error {
			if internal(e.Key) {
				return nil
			}
			full := st.unstrip(e.Key)
			if !keyexpr.Intersects(ke, full) || !st.holds(full) {
				return nil
			}
			if e.Omitted {
				var ok bool
				var err error
				if e, ok, err = omitted(ctx, st, e.Key); err != nil || !ok {
					return err
				}
			}
			return fn(full, e)
		})
		if err != nil {
			return fmt.Errorf("storage %q: %w", st.Name, err)
		}
		return nil
	}
	switch len(targets) {
	case 0:
	case 1:
		err := each(targets[0], func(key string, e backend.Entry) error {
			if e.Deleted {
				return nil
			}
			return send(key, e)
		})
		if err != nil {
			return count, err
		}
	default:
		newest := make(map[string]backend.Entry)
		for _, st := range targets {
			err := each(st, func(key string, e backend.Entry) error {
				if old, ok := newest[key]; !ok || e.Timestamp.Compare(old.Timestamp) > 0 {
					newest[key] = e
				}
				return nil
			})
			if err != nil {
				return count, err
			}
		}
		for key, e := range newest {
			if e.Deleted {
				continue
			}
			if err := send(key, e); err != nil {
				return count, err
			}
		}
	}
	if admin {
		if err := s.replyInfo(ctx, v, r); err != nil {
			return count, err
		}
		count++
	}
	return count, nil
}

// omitted returns the entry of key (storage-relative) in st whose value
// Scan left out, with the value's descriptor (proto.OmittedValue: size and
// BLAKE3 hash) as its Value and Omitted set, read with OpenStream without
// reading the value. The key may have changed since the scan: a tombstone
// is returned as one, a key that holds nothing any more gives ok=false.
func omitted(ctx context.Context, st *storage, key string) (backend.Entry, bool, error) {
	se, rc, ok, err := streamerOf(st).OpenStream(ctx, key, 0)
	if rc != nil {
		rc.Close()
	}
	if err != nil || !ok {
		return backend.Entry{}, false, err
	}
	e := se.Entry
	if !e.Deleted {
		e.Value, e.Omitted = proto.OmittedValue(uint64(se.Size), se.Hash), true
	}
	return e, true, nil
}

// replyOrOmit sends one REPLY of a wildcard query: the value, or, for a
// value over the server's non-streamed limit or one Scan left out, an
// omitted REPLY (flag O) carrying its size and BLAKE3 hash, so that a
// query never holds a large value whole and the client reads it with a
// streamed get.
func (s *Server) replyOrOmit(ctx context.Context, r request, key string, e backend.Entry) error {
	if !e.Omitted && len(e.Value) <= s.opts.MaxValueSize {
		return s.reply(ctx, r, key, e)
	}
	desc := e.Value
	if !e.Omitted {
		desc = proto.OmittedValue(uint64(len(e.Value)), vstream.Sum(e.Value))
	}
	return s.send(ctx, &r, proto.Message{Kind: proto.KindReply, ID: r.msg.ID, Key: key,
		Encoding: e.Encoding, Timestamp: e.Timestamp, Value: desc, Omitted: true})
}

// reply sends one REPLY of a query. A value over the server's
// non-streamed limit is refused: it needs a streamed reply.
func (s *Server) reply(ctx context.Context, r request, key string, e backend.Entry) error {
	if err := s.checkReply(key, e); err != nil {
		return err
	}
	return s.sendReply(ctx, r, key, e, false)
}

// sendReply sends a REPLY of e, whose size checkReply accepted, with
// flag L set if last: the REPLY then ends the answer, and no FINAL may
// follow it.
func (s *Server) sendReply(ctx context.Context, r request, key string, e backend.Entry, last bool) error {
	return s.send(ctx, &r, proto.Message{Kind: proto.KindReply, ID: r.msg.ID, Key: key,
		Encoding: e.Encoding, Timestamp: e.Timestamp, Value: e.Value, Last: last})
}

// checkReply refuses an entry too large for a REPLY of its own.
func (s *Server) checkReply(key string, e backend.Entry) error {
	if len(e.Value) > s.opts.MaxValueSize {
		return refuse(proto.StatusTooLarge, "the value of %q, %d bytes, needs streamed replies (a QUERY with flag S)", key, len(e.Value))
	}
	return nil
}

// checkWrite refuses a write whose key, value size or encoding is past the
// server's limits: the one check of a plain put and both kinds of streamed
// put. setting, if not empty, names the setting of limit in the message.
// The key has been validated as a key.
func checkWrite(key, encoding string, size, limit uint64, setting string) error {
	switch {
	case len(key) > backend.MaxKeyLen:
		return refuse(proto.StatusTooLarge, "key of %d bytes exceeds the limit of %d bytes", len(key), backend.MaxKeyLen)
	case size > limit && setting != "":
		return refuse(proto.StatusTooLarge, "value of %d bytes exceeds the server's limit of %d bytes (%s)", size, limit, setting)
	case size > limit:
		return refuse(proto.StatusTooLarge, "value of %d bytes exceeds the server's limit of %d bytes", size, limit)
	case len(encoding) > backend.MaxEncodingLen:
		return refuse(proto.StatusTooLarge, "encoding of %d bytes exceeds the limit of %d bytes", len(encoding), backend.MaxEncodingLen)
	case !utf8.ValidString(encoding):
		return refuse(proto.StatusMalformed, "encoding %q is not valid UTF-8", encoding)
	}
	return nil
}
