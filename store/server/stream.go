package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/internal/streamio"
	"github.com/zmesh/zmesh/store/internal/streamput"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
)

// Streamed values (docs/storage-protocol.md §12).
//
// A streamed put is a putStream: a streamput.Upload owned by one feeder
// goroutine, which takes the upload's chunks (and resumes) in order from
// its queue. Chunks are queued by the request worker that received them
// while it still holds recvMu, so they keep the order they arrived in
// whatever worker handles what. The upload outlives its request: when
// the connection drops it waits, up to Options.UploadIdle, for a
// PUT_BEGIN with R that continues it.
//
// A streamed reply is a replyStream: the goroutine answering the query
// sends the chunks and waits for REPLY_CREDITs, which the receiving
// worker hands over (again under recvMu) as the latest credit.

// Defaults of the stream options.
const (
	// DefaultMaxStreamSize is the default largest streamed value, 4 GiB.
	DefaultMaxStreamSize = 4 << 30
	// DefaultUploadIdle is how long by default a partial upload is kept
	// without a chunk before it is collected.
	DefaultUploadIdle = time.Hour
	// DefaultMaxUploads is the default bound of partial uploads in
	// progress at once.
	DefaultMaxUploads = 64
	// streamChunk is the chunk size of streamed replies; values up to it
	// are answered with a plain REPLY.
	streamChunk = 1 << 20
)

// streamKey names a stream by the request carrying it.
type streamKey struct {
	peer patterns.RoutingID
	id   uint64
}

// streams is the server's table of streams in progress.
type streams struct {
	mu      sync.Mutex
	puts    map[streamKey]*putStream
	byID    map[proto.UploadID]*putStream
	replies map[streamKey]*replyStream
	pending int64 // sizes declared by the puts in the table
	closed  bool
	leaves  leafCache // trees of values sent lately
	// chunkBufs counts the chunk buffers streamed replies have made.
	chunkBufs atomic.Int64
	done      chan struct{}  // closed by closeStreams: streamed replies give up
	wg        sync.WaitGroup // the feeders and the streamed replies
}

func newStreams() *streams {
	return &streams{puts: map[streamKey]*putStream{}, byID: map[proto.UploadID]*putStream{},
		replies: map[streamKey]*replyStream{}, done: make(chan struct{})}
}

// streamItem is what a feeder takes: a chunk (body), or a resume (begin).
type streamItem struct {
	key   streamKey
	body  []byte
	begin *proto.Begin
}

// putStream is one streamed put in progress.
type putStream struct {
	upload proto.UploadID
	size   int64
	st     *storage
	key    string              // the full key
	entry  backend.StreamEntry // what is stored, for the change feed

	mu    sync.Mutex // guards queue, owner, err
	queue []streamItem
	owner streamKey // the request carrying the upload now
	err   error     // set when the client overran its window
	ended bool      // the feeder has returned: nothing more is taken
	sig   chan struct{}
	stop  chan struct{} // closed by closeAll
}

// push queues an item for the feeder; false if the feeder has ended.
func (p *putStream) push(it streamItem) bool {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return false
	}
	if len(p.queue) > 2*proto.MaxWindow {
		p.err = fmt.Errorf("%w: more chunks in flight than the window allows", proto.ErrStreamOrder)
	} else {
		p.queue = append(p.queue, it)
	}
	p.mu.Unlock()
	select {
	case p.sig <- struct{}{}:
	default:
	}
	return true
}

// replyStream is one streamed reply in progress: the latest credit.
type replyStream struct {
	mu     sync.Mutex
	credit proto.Credit
	has    bool
	sig    chan struct{}
}

// route takes a PUT_CHUNK or REPLY_CREDIT of a stream in progress, in
// the order received (the caller holds recvMu). It reports whether it
// took m; messages of no known stream are left to handle.
func (s *Server) route(m patterns.Msg) bool {
	b := m.Body
	if len(b) < proto.HeaderLen || b[0] != proto.Version {
		return false
	}
	k := proto.Kind(b[1])
	if k != proto.KindPutChunk && k != proto.KindReplyCredit {
		return false
	}
	id, _ := proto.PeekID(b)
	key := streamKey{m.RoutingID, id}
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	if k == proto.KindPutChunk {
		p := s.streams.puts[key]
		if p == nil {
			return false
		}
		return p.push(streamItem{key: key, body: b})
	}
	rs := s.streams.replies[key]
	if rs == nil {
		return true // a stream that ended: nothing to do
	}
	c, err := proto.DecodeCredit(b)
	if err != nil {
		return false // answered MALFORMED by handle
	}
	rs.mu.Lock()
	if !rs.has || c.Next >= rs.credit.Next {
		rs.credit, rs.has = c, true
	}
	rs.mu.Unlock()
	select {
	case rs.sig <- struct{}{}:
	default:
	}
	return true
}

// handleStream answers a stream message that route did not take.
func (s *Server) handleStream(m patterns.Msg) {
	id, _ := proto.PeekID(m.Body)
	r := &request{msg: proto.Message{Kind: proto.KindPut, ID: id}, peer: m.RoutingID}
	switch proto.Kind(m.Body[1]) {
	case proto.KindPutBegin:
		b, err := proto.DecodeBegin(m.Body)
		if err != nil {
			s.finish(s.reqCtx, r, 0, decodeRefusal(err))
			return
		}
		if err := s.beginPut(b, m.RoutingID); err != nil {
			s.finish(s.reqCtx, r, 0, err)
		}
	case proto.KindPutChunk:
		if _, err := proto.DecodeChunk(m.Body); err != nil {
			s.finish(s.reqCtx, r, 0, decodeRefusal(err))
			return
		}
		s.finish(s.reqCtx, r, 0, refuse(proto.StatusUnknownUpload,
			"a PUT_CHUNK on request %d, which carries no streamed put (refused, finished, or never begun)", id))
	case proto.KindReplyCredit:
		if _, err := proto.DecodeCredit(m.Body); err != nil {
			s.finish(s.reqCtx, r, 0, decodeRefusal(err))
		}
		// else: the credit of a reply that has ended; nothing to answer
	default:
		s.finish(s.reqCtx, r, 0, refuse(proto.StatusUnsupported,
			"a %v message is not a request (send PUT, PUT_BEGIN, DELETE or QUERY)", proto.Kind(m.Body[1])))
	}
}

// beginPut starts (or, with R, resumes) a streamed put. A refusal is
// returned for the request's FINAL; on success the feeder answers.
func (s *Server) beginPut(b proto.Begin, peer patterns.RoutingID) error {
	key := streamKey{peer, b.ID}
	if b.Resume {
		s.streams.mu.Lock()
		p := s.streams.byID[b.Upload]
		s.streams.mu.Unlock()
		if p == nil {
			return refuse(proto.StatusUnknownUpload, "upload %x is not held by this server (never begun, finished, or collected): start it over", b.Upload[:])
		}
		if !p.push(streamItem{key: key, begin: &b}) {
			return refuse(proto.StatusUnknownUpload, "upload %x has just ended (finished, refused or collected): start it over", b.Upload[:])
		}
		return nil
	}
	if err := keyexpr.ValidateKey(b.Key); err != nil {
		return keyRefusal(err, "key")
	}
	if err := checkWrite(b.Key, b.Encoding, b.Size, uint64(s.opts.MaxStreamSize), maxStreamSetting); err != nil {
		return err
	}
	ts := b.Timestamp
	if ts.IsZero() {
		ts = s.clock.Now()
	} else if err := s.clock.Update(ts); err != nil {
		return err
	}
	v := s.acquire()
	defer v.release()
	target, streamer, sk, err := s.streamTarget(v, b.Key, b.Size)
	if err != nil {
		return err
	}
	target.wild.mu.RLock()
	shadowed := target.wild.shadowedLocked(b.Key, ts)
	target.wild.mu.RUnlock()
	if shadowed {
		s.finish(s.reqCtx, &request{msg: proto.Message{Kind: proto.KindPut, ID: b.ID}, peer: peer}, 0, nil)
		return nil
	}

	e := backend.StreamEntry{Entry: backend.Entry{Key: sk, Encoding: b.Encoding, Timestamp: ts}}
	p := &putStream{upload: b.Upload, size: int64(b.Size), st: target, key: b.Key, owner: key,
		sig: make(chan struct{}, 1), stop: make(chan struct{})}
	p.entry = e
	p.entry.Size, p.entry.Hash = int64(b.Size), b.Root
	s.streams.mu.Lock()
	switch {
	case s.streams.closed:
		s.streams.mu.Unlock()
		return refuse(proto.StatusUnavailable, "the server is shutting down")
	case s.streams.byID[b.Upload] != nil:
		s.streams.mu.Unlock()
		return refuse(proto.StatusStream, "upload %x is in progress: resume it (flag R) or use another upload id", b.Upload[:])
	case len(s.streams.byID) >= s.opts.MaxUploads:
		s.streams.mu.Unlock()
		return refuse(proto.StatusUnavailable, "server busy: %d streamed puts in progress (the limit); retry later", len(s.streams.byID))
	}
	s.streams.byID[b.Upload] = p
	s.streams.puts[key] = p
	s.streams.pending += p.size
	s.streams.mu.Unlock()

	u, credit, err := streamput.Start(s.reqCtx, streamer, e, b, uint32(s.opts.StreamWindow))
	if err != nil {
		s.dropPut(p)
		return err
	}
	s.streams.wg.Go(func() { s.feedUpload(p, u) })
	s.sendCredit(peer, credit)
	return nil
}

// streamTarget returns the one writable storage that takes a streamed
// put of size bytes under key, its Streamer (or wholeStreamer for a store
// without one, within MaxValueSize) and the key it stores.
func (s *Server) streamTarget(v *view, key string, size uint64) (*storage, backend.Streamer, string, error) {
	if err := v.refusal(); err != nil {
		return nil, nil, "", err
	}
	var target *storage
	var routed, writable int
	var readOnly string
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
		if target != nil {
			return nil, nil, "", refuse(proto.StatusUnsupported, "key %q is held by storages %q and %q: a streamed put goes to one storage", key, target.Name, st.Name)
		}
		target = st
	}
	switch {
	case routed == 0:
		return nil, nil, "", refuse(proto.StatusNoStorage, "no storage holds %q (storages: %s)", key, v.names())
	case writable == 0:
		return nil, nil, "", refuse(proto.StatusReadOnly, "storage %q, which holds %q, is read-only", readOnly, key)
	}
	sk, ok := target.strip(key)
	if !ok {
		return nil, nil, "", refuse(proto.StatusInternal, "key %q is not under storage %q's strip_prefix %q", key, target.Name, target.StripPrefix)
	}
	streamer, ok := target.Store.(backend.Streamer)
	if !ok {
		if size > uint64(s.opts.MaxValueSize) {
			return nil, nil, "", refuse(proto.StatusTooLarge, "value of %d bytes exceeds the limit of %d bytes of storage %q, which keeps values whole (requests.max_value_size)",
				size, s.opts.MaxValueSize, target.Name)
		}
		streamer = wholeStreamer{target.Store}
	}
	return target, streamer, sk, nil
}

// dropPut removes p from the table.
func (s *Server) dropPut(p *putStream) {
	s.streams.mu.Lock()
	defer s.streams.mu.Unlock()
	if s.streams.byID[p.upload] == p {
		delete(s.streams.byID, p.upload)
		s.streams.pending -= p.size
	}
	for k, q := range s.streams.puts {
		if q == p {
			delete(s.streams.puts, k)
		}
	}
}

// sendCredit sends a CREDIT; a client gone loses it (its upload waits
// for a resume).
func (s *Server) sendCredit(peer patterns.RoutingID, c proto.Credit) {
	b, err := c.AppendBinary(nil)
	if err != nil {
		s.log.Error("store: cannot encode a credit", "err", err)
		return
	}
	ctx, _ := s.answerContext(s.requestContext())
	if err := s.sock.RouteConcat(ctx, b, nil, peer); err == nil {
		s.metrics.bytesOut.Add(uint64(len(b)))
	}
}

// feedUpload runs one streamed put: it takes its chunks and resumes in order
// until the value is stored, refused, collected for idleness, or the
// server stops.
func (s *Server) feedUpload(p *putStream, u *streamput.Upload) {
	defer s.dropPut(p)
	end := func(key streamKey, err error) {
		s.finish(s.reqCtx, &request{msg: proto.Message{Kind: proto.KindPut, ID: key.id}, peer: key.peer}, 0, err)
	}
	var items []streamItem // taken from the queue, not yet handled
	defer func() {
		// Nothing more is taken; a resume that came too late is answered.
		p.mu.Lock()
		p.ended = true
		left := append(items, p.queue...)
		p.queue = nil
		p.mu.Unlock()
		for _, it := range left {
			if it.begin != nil {
				end(it.key, refuse(proto.StatusUnknownUpload, "upload %x has just ended (finished, refused or collected): start it over", p.upload[:]))
			}
		}
	}()
	idle := time.NewTimer(s.opts.UploadIdle)
	defer idle.Stop()
	for {
		p.mu.Lock()
		items = append(items, p.queue...)
		over := p.err
		p.queue = nil
		owner := p.owner
		p.mu.Unlock()
		if over != nil {
			u.Abort(over)
			end(owner, over)
			return
		}
		n := len(items)
		for len(items) > 0 {
			it := items[0]
			items = items[1:]
			if it.begin != nil {
				credit, err := u.Resume(*it.begin)
				if err != nil {
					end(it.key, err)
					continue
				}
				s.streams.mu.Lock()
				delete(s.streams.puts, owner)
				s.streams.puts[it.key] = p
				s.streams.mu.Unlock()
				p.mu.Lock()
				p.owner, owner = it.key, it.key
				p.mu.Unlock()
				s.sendCredit(it.key.peer, credit)
				continue
			}
			if it.key != owner {
				continue // a late chunk of the request a resume replaced
			}
			c, err := proto.DecodeChunk(it.body)
			if err != nil {
				err = decodeRefusal(err)
				u.Abort(err)
				end(owner, err)
				return
			}
			credit, err := u.Accept(c)
			if err == nil && !u.Done() {
				s.sendCredit(owner.peer, credit)
				continue
			}
			if err == nil {
				err = s.finishPut(p, u)
			}
			end(owner, s.streamErr(p.st, err))
			return
		}
		if n > 0 {
			if !idle.Stop() {
				select {
				case <-idle.C:
				default:
				}
			}
			idle.Reset(s.opts.UploadIdle)
		}
		select {
		case <-p.sig:
		case <-idle.C:
			s.log.Info("store: collected an idle partial upload", "upload", fmt.Sprintf("%x", p.upload[:]),
				"key", p.key, "next_chunk", u.Next())
			u.Abort(nil)
			return
		case <-p.stop:
			u.Abort(nil)
			end(owner, refuse(proto.StatusUnavailable, "the server is shutting down"))
			return
		}
	}
}

// maxStreamSetting names Options.MaxStreamSize in refusals.
const maxStreamSetting = "requests.max_stream_size"

// finishPut makes a fully received upload's value durable and visible,
// and announces it (applyStreamed).
func (s *Server) finishPut(p *putStream, u *streamput.Upload) error {
	return s.applyStreamed(p.st, p.key, &p.entry, func() (bool, error) {
		applied, err := u.Finish()
		if errors.Is(err, streamput.ErrSuperseded) {
			return false, nil
		}
		return applied, err
	})
}

// applyStreamed runs write, the write that makes a streamed value of key
// in st durable and visible, then announces the value on the change feed
// and to Subscribe's subscribers as a plain put (apply) is, without its
// bytes. The key's lock is held across both while anyone may see the
// announcement, so a key's changes are announced in the order they were
// applied. Both kinds of streamed put (uploads over the protocol and
// PutStream) end here.
func (s *Server) applyStreamed(st *storage, key string, e *backend.StreamEntry, write func() (applied bool, err error)) error {
	if s.feed != nil || s.watched() {
		defer s.locks.lock(key).Unlock()
	}
	applied, err := write()
	if err != nil || !applied {
		return err
	}
	s.stats.applied.Add(1)
	if s.feed != nil {
		s.publish(s.reqCtx, st, key, e.Entry, e)
	}
	s.notify(st, key, e.Entry, e)
	return nil
}

// streamErr names the storage in a backend's error, mapping its size
// errors to statuses.
func (s *Server) streamErr(st *storage, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, backend.ErrTooLarge):
		return refuse(proto.StatusTooLarge, "storage %q: %v", st.Name, err)
	case errors.Is(err, backend.ErrFull):
		return refuse(proto.StatusTooLarge, "storage %q is full: %v", st.Name, err)
	case errors.Is(err, backend.ErrStreamSize):
		return refuse(proto.StatusIntegrity, "storage %q: %v", st.Name, err)
	}
	var se *proto.StatusError
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("storage %q: %w", st.Name, err)
}

// closeStreams aborts every streamed put in progress and waits for the
// feeders. Called once Serve's workers have stopped.
func (s *Server) closeStreams() {
	s.streams.mu.Lock()
	s.streams.closed = true
	close(s.streams.done)
	for _, p := range s.streams.byID {
		close(p.stop)
	}
	s.streams.mu.Unlock()
	s.streams.wg.Wait()
}

// wholeStreamer makes a Store without backend.Streamer take streamed
// values up to the server's non-streamed limit, held in memory.
type wholeStreamer struct{ backend.Store }

func (w wholeStreamer) PutStream(ctx context.Context, e backend.StreamEntry, r io.Reader) (bool, error) {
	v, err := io.ReadAll(backend.ExactReader(r, e.Size))
	if err != nil {
		return false, err
	}
	e.Value = v
	return w.Apply(ctx, e.Entry)
}

func (w wholeStreamer) OpenStream(ctx context.Context, key string, off int64) (backend.StreamEntry, io.ReadCloser, bool, error) {
	e, ok, err := w.Get(ctx, key)
	if err != nil || !ok {
		return backend.StreamEntry{}, nil, ok, err
	}
	if e.Deleted {
		return backend.StreamEntry{Entry: e}, nil, true, nil
	}
	if off < 0 || off > int64(len(e.Value)) {
		return backend.StreamEntry{}, nil, false, fmt.Errorf("%w: offset %d of a %d-byte value", backend.ErrInvalidInput, off, len(e.Value))
	}
	v := e.Value
	e.Value = nil
	return backend.StreamEntry{Entry: e, Size: int64(len(v))}, io.NopCloser(bytes.NewReader(v[off:])), true, nil
}

// errAnswered: a query needs no FINAL from its worker. Its answer was its
// one REPLY with flag L (which stands for an OK FINAL; queryKey counted
// the request), or is being sent by a goroutine of its own, which also
// sends its FINAL.
var errAnswered = errors.New("store: answered")

// opener opens a value's stream from its start.
type opener func(ctx context.Context) (backend.StreamEntry, io.ReadCloser, bool, error)

// streamerOf returns st's Streamer, or one that reads values whole.
func streamerOf(st *storage) backend.Streamer {
	if x, ok := st.Store.(backend.Streamer); ok {
		return x
	}
	return wholeStreamer{st.Store}
}

// sendStream sends the value of e (rc reads it from its start) as a
// streamed reply of r: REPLY_BEGIN, then REPLY_CHUNKs within the client's
// credits. The value is read twice (the first pass builds the tree the
// proofs come from); open reopens it for the second pass, which must find
// the same entry. rc is closed.
func (s *Server) sendStream(r *request, key string, e backend.StreamEntry, rc io.ReadCloser, open opener) error {
	ctx := s.reqCtx
	lk := leafKey{key: key, ts: e.Timestamp, size: e.Size, root: e.Hash}
	t := s.streams.leaves.tree(lk)
	if t != nil {
		rc.Close()
	} else {
		var err error
		t, err = hashTree(ctx, e, rc)
		rc.Close()
		if err != nil {
			return err
		}
		if e.Hash != ([32]byte{}) && [32]byte(t.Root()) != e.Hash {
			return refuse(proto.StatusIntegrity, "the stored value of %q does not match its stored BLAKE3 hash", key)
		}
		if e.Hash != ([32]byte{}) {
			s.streams.leaves.add(lk, t)
		}
	}
	e2, rc, ok, err := open(ctx)
	if err != nil {
		return err
	}
	if !ok || e2.Deleted || e2.Timestamp != e.Timestamp || e2.Size != e.Size {
		if rc != nil {
			rc.Close()
		}
		return refuse(proto.StatusUnavailable, "%q was written while its reply was prepared; ask again", key)
	}
	defer rc.Close()

	rs := &replyStream{sig: make(chan struct{}, 1)}
	sk := streamKey{r.peer, r.msg.ID}
	s.streams.mu.Lock()
	s.streams.replies[sk] = rs
	s.streams.mu.Unlock()
	defer func() {
		s.streams.mu.Lock()
		delete(s.streams.replies, sk)
		s.streams.mu.Unlock()
	}()

	begin := proto.Begin{Kind: proto.KindReplyBegin, ID: r.msg.ID, Key: key, Encoding: e.Encoding,
		Timestamp: e.Timestamp, Size: uint64(e.Size), ChunkSize: uint32(t.Layout().ChunkSize), Root: t.Root()}
	head, err := begin.AppendBinary(nil)
	if err != nil {
		return err
	}
	if err := s.route1(ctx, r.peer, head, nil); err != nil {
		return err
	}
	snd := newReplySender(r.msg.ID, t, rc)
	ring := chunkRing{size: t.Layout().ChunkSize, made: &s.streams.chunkBufs}
	var proof []byte
	idle := s.opts.RequestTimeout
	for !snd.Done() {
		sl := ring.take()
		c, ok, err := snd.Next(sl.data, proof)
		if err != nil {
			return err
		}
		if ok {
			proof = c.Proof // copied into the head: reused for the next chunk
			sl.head, err = c.AppendHead(sl.head[:0])
			if err != nil {
				return err
			}
			ring.sent(c.Index, sl)
			if err := s.route1(ctx, r.peer, sl.head, c.Data); err != nil {
				return err
			}
			continue
		}
		ring.giveBack(sl)
		wait := time.NewTimer(idle)
		select {
		case <-rs.sig:
			wait.Stop()
		case <-wait.C:
			return refuse(proto.StatusTimeout, "no REPLY_CREDIT for %v", idle)
		case <-s.streams.done:
			wait.Stop()
			return refuse(proto.StatusUnavailable, "the server is shutting down")
		}
		rs.mu.Lock()
		c2, has := rs.credit, rs.has
		rs.has = false
		rs.mu.Unlock()
		if has {
			if err := snd.Grant(c2); err != nil {
				return err
			}
			ring.acked(c2.Next)
		}
	}
	return nil
}

// chunkSlot is the memory of one REPLY_CHUNK: its head and its data.
type chunkSlot struct {
	head, data []byte
}

// chunkRing recycles the memory of a streamed reply's chunks. A message
// handed to the socket belongs to it until written, and nothing says
// when that is; but a REPLY_CREDIT whose Next is past a chunk's index
// says the client has received (so the socket has written) that chunk.
// Its slot is reused only then. The client's window bounds the chunks
// sent and not yet acknowledged, so a reply makes at most window+1 slots
// however long the value. A client that acknowledges chunks it has not
// received (it cannot acknowledge chunks not yet sent: Grant refuses
// that) can only garble its own reply. A chunkRing belongs to one
// goroutine.
type chunkRing struct {
	size     int           // bytes of a chunk
	inflight []sentSlot    // sent, not yet acknowledged, in index order
	free     []chunkSlot   // acknowledged or never sent
	made     *atomic.Int64 // counts the slots made (for tests), or nil
}

// sentSlot is a slot handed to the socket with chunk index.
type sentSlot struct {
	index uint64
	slot  chunkSlot
}

// take returns a free slot, making one if none is.
func (r *chunkRing) take() chunkSlot {
	if n := len(r.free); n > 0 {
		sl := r.free[n-1]
		r.free = r.free[:n-1]
		return sl
	}
	if r.made != nil {
		r.made.Add(1)
	}
	return chunkSlot{data: make([]byte, r.size)}
}

// giveBack returns a slot taken but not sent.
func (r *chunkRing) giveBack(sl chunkSlot) { r.free = append(r.free, sl) }

// sent records that sl went to the socket carrying chunk index.
func (r *chunkRing) sent(index uint64, sl chunkSlot) {
	r.inflight = append(r.inflight, sentSlot{index, sl})
}

// acked frees the slots of the chunks below next, which the client has
// received.
func (r *chunkRing) acked(next uint64) {
	k := 0
	for k < len(r.inflight) && r.inflight[k].index < next {
		r.free = append(r.free, r.inflight[k].slot)
		r.inflight[k] = sentSlot{}
		k++
	}
	if k > 0 {
		r.inflight = append(r.inflight[:0], r.inflight[k:]...)
	}
}

// route1 sends one message of a stream to peer.
func (s *Server) route1(ctx context.Context, peer patterns.RoutingID, head, tail []byte) error {
	actx, stall := s.answerContext(ctx)
	if err := s.sock.RouteConcat(actx, head, tail, peer); err != nil {
		s.stats.answersDropped.Add(1)
		if stall && errors.Is(err, context.DeadlineExceeded) {
			s.stalled(peer)
		}
		return refuse(proto.StatusUnavailable, "client gone: %v", err)
	}
	s.metrics.bytesOut.Add(uint64(len(head) + len(tail)))
	return nil
}

// hashTree reads e's value from rc and returns its tree in streamChunk
// chunks.
func hashTree(ctx context.Context, e backend.StreamEntry, rc io.Reader) (*vstream.Tree, error) {
	l, err := vstream.NewLayout(e.Size, streamChunk)
	if err != nil {
		return nil, err
	}
	h := vstream.NewHasher(l)
	if _, err := h.ReadFrom(backend.ExactReader(ctxReader{ctx, rc}, e.Size)); err != nil {
		return nil, fmt.Errorf("reading the value to hash it: %w", err)
	}
	return h.Sum()
}

// ctxReader fails reads once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// newReplySender returns the sender of a streamed reply, allowed to send
// the first DefaultWindow chunks before the client's first credit.
func newReplySender(id uint64, t *vstream.Tree, r io.Reader) *streamio.Sender {
	snd := streamio.NewSender(proto.KindReplyChunk, id, t, r)
	snd.Grant(proto.Credit{Kind: proto.KindReplyCredit, ID: id, Window: proto.DefaultWindow}) // chunk 0 of t: cannot fail
	return snd
}

// queryStream answers a single-key QUERY with flag S whose newest entry
// is a value larger than one chunk: a goroutine of its own streams it
// and sends the FINAL, and queryStream returns errAnswered. For anything
// else it returns 0 and nil, and queryKey answers as usual.
func (s *Server) queryStream(ctx context.Context, targets []*storage, r request) (uint32, error) {
	key := r.msg.Key
	var best backend.StreamEntry
	var bestRC io.ReadCloser
	var bestOpen opener
	found := false
	for _, st := range targets {
		sk, ok := st.strip(key)
		if !ok {
			continue
		}
		x := streamerOf(st)
		open := func(ctx context.Context) (backend.StreamEntry, io.ReadCloser, bool, error) {
			return x.OpenStream(ctx, sk, 0)
		}
		e, rc, ok, err := open(ctx)
		if err != nil {
			if bestRC != nil {
				bestRC.Close()
			}
			return 0, fmt.Errorf("storage %q: %w", st.Name, err)
		}
		if !ok {
			continue
		}
		if found && e.Timestamp.Compare(best.Timestamp) <= 0 {
			if rc != nil {
				rc.Close()
			}
			continue
		}
		if bestRC != nil {
			bestRC.Close()
		}
		best, bestRC, bestOpen, found = e, rc, open, true
	}
	if !found || best.Deleted || best.Size <= streamChunk {
		if bestRC != nil {
			bestRC.Close()
		}
		return 0, nil
	}
	s.streams.mu.Lock()
	closed := s.streams.closed
	if !closed {
		s.streams.wg.Add(1)
	}
	s.streams.mu.Unlock()
	if closed {
		bestRC.Close()
		return 0, refuse(proto.StatusUnavailable, "the server is shutting down")
	}
	go func() { // owned by s.streams.wg
		defer s.streams.wg.Done()
		err := s.sendStream(&r, key, best, bestRC, bestOpen)
		count := uint32(1)
		if err != nil {
			count = 0
		}
		s.finish(s.reqCtx, &r, count, err)
	}()
	return 0, errAnswered
}

// leafKey names one stored value: the write (key and timestamp) and what
// it holds (size, stored hash).
type leafKey struct {
	key  string
	ts   hlc.Timestamp
	size int64
	root [32]byte
}

// maxCachedLeaves bounds the leaf cache: 32 bytes per chunk, so 16 MiB
// are the trees of 512 GiB of values.
const maxCachedLeaves = 16 << 20

// leafCache keeps the leaves of the values lately sent as streamed
// replies, so that sending one again needs no first pass over it to
// build its tree (the tree is rebuilt from the leaves and checked against
// the stored hash). Only values with a stored hash are kept. When full,
// the oldest entries go.
type leafCache struct {
	mu    sync.Mutex
	m     map[leafKey][]byte
	order []leafKey
	bytes int
}

func (c *leafCache) tree(k leafKey) *vstream.Tree {
	if k.root == ([32]byte{}) {
		return nil
	}
	c.mu.Lock()
	leaves := c.m[k]
	c.mu.Unlock()
	if leaves == nil {
		return nil
	}
	l, err := vstream.NewLayout(k.size, streamChunk)
	if err != nil {
		return nil
	}
	t, err := vstream.TreeFromLeaves(l, vstream.Hash(k.root), leaves)
	if err != nil {
		return nil
	}
	return t
}

func (c *leafCache) add(k leafKey, t *vstream.Tree) {
	leaves := t.AppendLeaves(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[leafKey][]byte{}
	}
	if _, ok := c.m[k]; ok || len(leaves) > maxCachedLeaves {
		return
	}
	for c.bytes+len(leaves) > maxCachedLeaves && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.m[old])
		delete(c.m, old)
	}
	c.m[k] = leaves
	c.order = append(c.order, k)
	c.bytes += len(leaves)
}
