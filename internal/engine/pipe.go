package engine

import (
	"sync"
	"sync/atomic"

	"github.com/zmesh/zmesh/socket"
)

// Pipe is the engine's attachment to one peer: an outgoing queue bounded by
// the send high-water mark and the send byte bound, drained by the
// connection's writer, and an incoming queue bounded by the receive
// high-water mark and byte bound, filled by the connection's reader and
// drained by the socket's fair queue.
//
// The outgoing byte bound counts the bodies the writer has taken and not
// yet handed to the kernel (in flight) as well as those waiting, so the
// bytes a peer's outgoing side holds never exceed it; a message is refused
// when it would take them over the bound, unless nothing is held (one
// message larger than the bound still goes, alone). The high-water mark
// counts the waiting messages only, as libzmq's does (the writer may hold
// a batch more): that is what stays queued, for the next connection, when
// a connecting pipe's link breaks. The
// incoming bounds stop the reader once reached (TCP backpressure); the
// queue then holds at most one reader batch more (maxBatch messages,
// maxBatchBytes and one message).
//
// A connecting socket's pipe is created by Connect and outlives reconnects
// (messages queued while the link is down go out when it is back); an
// accepted connection's pipe lives as long as that connection.
//
// Over inproc there is no connection: a pipe's sends go straight into the
// peer socket's pipe's incoming queue, bodies uncopied.
//
// Which lock guards which field: mu the outgoing side (out, outBytes,
// inflightBytes, sendHWM, sendBytes, writerIdle, wake, conn, ctrl); closed is written under mu,
// s.in.mu and, for an inproc pipe, box.mu (setClosed), so any of them reads it; the fair-queue lock of the
// pipe's own socket (s.in.mu) the incoming side (in, inHead, inBytes,
// inActive, readerBlocked, and recvHWM and recvBytes once the pipe
// receives); an inproc pipe's incoming queue is box instead (inbox lists
// its locks). peer, live and target
// are atomics. The rest is written before anything else can reach the
// pipe and only read afterwards: s, endpoint, datagram and box by the
// constructors; id by Socket.attach (under Socket.idMu, before the pipe is
// in the socket's tables); source and an inproc pipe's recvHWM by
// linkInproc (and recvBytes), before target publishes the pipe to the
// peer socket. Apart
// from id, only this file and inproc*.go write a pipe's fields.
type Pipe struct {
	s        *Socket
	id       socket.RoutingID
	endpoint string
	datagram bool // a UDP link
	peer     atomic.Pointer[socket.Peer]
	live     atomic.Bool // a connection is up (handshake done)
	minor    atomic.Uint32
	value    atomic.Pointer[any] // the socket type's own state for the pipe (SetValue)

	// Outgoing side, guarded by mu.
	mu            sync.Mutex
	out           []socket.Msg
	outBytes      int64 // body bytes of out and of what the writer took and has not written
	inflightBytes int64 // the latter
	sendHWM       int
	sendBytes     int64 // byte bound, 0 = none
	writerIdle    bool
	closed        bool          // also under s.in.mu: see setClosed
	wake          chan struct{} // cap 1: wakes the writer
	conn          *conn         // current connection, nil while down
	ctrl          [][]byte      // command bodies waiting for the writer

	// inproc: the peer socket's pipe whose incoming queue we fill.
	target atomic.Pointer[Pipe]
	// inproc: the pipe that fills our incoming queue (to wake its senders).
	source *Pipe
	// inproc, unless conflating: our incoming queue (in and the fields
	// after it are then unused). Set by the constructor's caller before
	// the pipe is published, never changed.
	box *inbox

	// Incoming side, guarded by s.in.mu.
	in            []socket.Msg
	inHead        int
	inBytes       int64 // bytes of in[inHead:]
	recvHWM       int
	recvBytes     int64 // byte bound, 0 = none
	inActive      bool
	readerBlocked bool
	readerWake    chan struct{} // cap 1: wakes a reader blocked at the HWM
}

func newPipe(s *Socket, endpoint string) *Pipe {
	return &Pipe{
		s:          s,
		endpoint:   endpoint,
		sendHWM:    s.opts.SendHWM,
		sendBytes:  s.opts.SendHWMBytes,
		recvHWM:    s.opts.RecvHWM,
		recvBytes:  s.opts.RecvHWMBytes,
		wake:       make(chan struct{}, 1),
		readerWake: make(chan struct{}, 1),
	}
}

// newUDPPipe returns the pipe of a UDP link named endpoint, whose peer is
// any socket of the peer type.
func newUDPPipe(s *Socket, endpoint string) *Pipe {
	p := newPipe(s, endpoint)
	p.datagram = true
	p.peer.Store(&socket.Peer{Endpoint: endpoint, SocketType: s.typ.Peer})
	return p
}

// linkInproc makes sp, a new pipe of a binding socket, and cp, the pipe
// of a socket that connected to it, the two ends of one inproc link, before
// either delivers to the other: each one's incoming queue holds libzmq's
// inproc high-water mark (the sender's SNDHWM plus the receiver's RCVHWM),
// each knows the other as its source and peer.
func linkInproc(sp, cp *Pipe) {
	sp.recvHWM = inprocHWM(cp.s.opts.SendHWM, sp.s.opts.RecvHWM)
	cp.recvHWM = inprocHWM(sp.s.opts.SendHWM, cp.s.opts.RecvHWM)
	sp.recvBytes = inprocHWM(cp.s.opts.SendHWMBytes, sp.s.opts.RecvHWMBytes)
	cp.recvBytes = inprocHWM(sp.s.opts.SendHWMBytes, cp.s.opts.RecvHWMBytes)
	sp.source, cp.source = cp, sp
	sp.peer.Store(&socket.Peer{Endpoint: sp.endpoint, SocketType: cp.s.typ.Name, Metadata: cp.s.metadata()})
	cp.peer.Store(&socket.Peer{Endpoint: sp.endpoint, SocketType: sp.s.typ.Name, Metadata: sp.s.metadata()})
}

// inprocHWM is libzmq's inproc rule: the sender's SNDHWM plus the
// receiver's RCVHWM, unlimited if either is. The byte bounds add alike.
func inprocHWM[N int | int64](send, recv N) N {
	if send == 0 || recv == 0 {
		return 0
	}
	return send + recv
}

// deliverInproc switches sp and cp (see linkInproc) to direct delivery,
// once sp is attached: sp's sends go into cp's incoming queue, and what
// cp queued before the bind (within the sender's HWM already) moves into
// sp's incoming queue, then cp's sends follow it there. It holds cp.mu
// while it moves the queue, so that no send slips in between the move and
// the switch, and takes sp's socket's fair-queue lock inside it (see the
// lock order in doc.go). It reports whether messages moved.
func deliverInproc(sp, cp *Pipe) (moved bool) {
	sp.target.Store(cp)
	cp.mu.Lock()
	queued := cp.out
	cp.out, cp.outBytes = nil, 0
	if ic := sp.s.icept; ic != nil {
		// What bypasses pushIn still passes the receiver's interceptor.
		kept := queued[:0]
		for _, m := range queued {
			m.RoutingID = sp.id
			m.Peer = sp.peer.Load()
			if keep, err := ic.Intercept(sp, &m); err == nil && keep {
				kept = append(kept, m)
			}
		}
		clear(queued[len(kept):])
		queued = kept
	}
	q := &sp.s.in
	q.mu.Lock()
	for _, m := range queued {
		m.RoutingID = sp.id
		m.Peer = sp.peer.Load()
		sp.appendLocked(Joined(m))
	}
	q.mu.Unlock()
	cp.target.Store(sp)
	cp.mu.Unlock()
	return len(queued) > 0
}

// setLive marks a link without a connection (inproc, udp) up or down;
// connections go through up and down.
func (p *Pipe) setLive(live bool) { p.live.Store(live) }

// Revision is the ZMTP 3 minor version of the peer's greeting: 1 for
// ZMTP 3.1 (subscriptions travel as SUBSCRIBE and CANCEL commands), 0 for
// ZMTP 3.0, and 0 for inproc links too, where subscriptions travel as
// 0x01/0x00 messages.
func (p *Pipe) Revision() int { return int(p.minor.Load()) }

// SetValue attaches the socket type's own state to the pipe (a ROUTER's
// routing id, say); Value returns it (nil if none).
func (p *Pipe) SetValue(v any) { p.value.Store(&v) }

// Value returns what SetValue attached, or nil.
func (p *Pipe) Value() any {
	if v := p.value.Load(); v != nil {
		return *v
	}
	return nil
}

// Endpoint is the endpoint the pipe belongs to (bound or connected).
func (p *Pipe) Endpoint() string { return p.endpoint }

// ID is the pipe's routing id.
func (p *Pipe) ID() socket.RoutingID { return p.id }

// Peer describes the connected peer, or nil while no connection is up.
func (p *Pipe) Peer() *socket.Peer { return p.peer.Load() }

// Live reports whether the pipe has a connection whose handshake is done.
func (p *Pipe) Live() bool { return p.live.Load() }

// up gives the pipe connection c, whose handshake has succeeded: sends
// queue for its writer from now on (a connecting pipe closed by a previous
// link's end reopens).
func (p *Pipe) up(c *conn) {
	p.peer.Store(c.peer)
	p.minor.Store(uint32(c.minor))
	p.mu.Lock()
	p.conn = c
	p.setClosed(false)
	p.mu.Unlock()
	p.live.Store(true)
}

// down is the end of the pipe's connection: commands for it are dropped
// (PeerUp resends what the next one needs), queued messages stay; the
// batch its writer had in flight is gone with it.
func (p *Pipe) down() {
	p.live.Store(false)
	p.mu.Lock()
	p.conn = nil
	p.ctrl = nil
	p.releaseInflight()
	p.mu.Unlock()
	p.s.sendReady.broadcast()
	p.s.drained.broadcast()
}

// releaseInflight forgets what the writer took and did not write: it is
// lost with its connection. p.mu must be held.
func (p *Pipe) releaseInflight() {
	p.outBytes -= p.inflightBytes
	p.inflightBytes = 0
}

// outFull reports whether the outgoing side has no room for a message of
// n bytes: at the high-water mark (messages queued), or n more bytes would
// take it over the byte bound (bytes queued and in flight) while it holds
// any. p.mu must be held.
func (p *Pipe) outFull(n int) bool {
	return p.sendHWM > 0 && len(p.out) >= p.sendHWM ||
		p.sendBytes > 0 && p.outBytes > 0 && p.outBytes+int64(n) > p.sendBytes
}

// inFull is outFull's rule for the incoming queue. s.in.mu must be held.
func (p *Pipe) inFull(n int) bool {
	return p.recvHWM > 0 && len(p.in)-p.inHead >= p.recvHWM ||
		p.recvBytes > 0 && p.inBytes > 0 && p.inBytes+int64(n) > p.recvBytes
}

// inRoom reports whether the incoming queue has drained to half its
// bounds, where a reader or sender stopped at them resumes. s.in.mu must
// be held.
func (p *Pipe) inRoom(left int) bool {
	return (p.recvHWM == 0 || left <= p.recvHWM/2) && (p.recvBytes == 0 || p.inBytes <= p.recvBytes/2)
}

// TrySend queues m for the peer without blocking. It reports false when the
// pipe is at its high-water mark or m would take it over its byte bound,
// and socket.ErrHostUnreachable when the pipe is gone.
func (p *Pipe) TrySend(m socket.Msg) (bool, error) { return p.trySend(&m) }

// trySend is TrySend on the caller's message, which it does not change.
func (p *Pipe) trySend(m *socket.Msg) (bool, error) {
	if t := p.target.Load(); t != nil {
		return t.pushIn(m)
	}
	p.mu.Lock()
	if t := p.target.Load(); t != nil { // an inproc bind arrived meanwhile
		p.mu.Unlock()
		return t.pushIn(m)
	}
	if p.closed {
		p.mu.Unlock()
		return false, socket.ErrHostUnreachable
	}
	n := m.Len()
	if p.outFull(n) {
		p.mu.Unlock()
		return false, nil
	}
	p.out = append(p.out, *m)
	p.outBytes += int64(n)
	idle := p.writerIdle
	p.writerIdle = false
	p.mu.Unlock()
	if idle {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return true, nil
}

// Full reports whether a send to the pipe would find it at its high-water
// mark or its byte bound right now (FullFor(0): no room for anything).
func (p *Pipe) Full() bool { return p.FullFor(0) }

// FullFor reports whether a send of a message of n bytes to the pipe would
// be refused right now: the pipe is at its high-water mark, or n more bytes
// would take it over its byte bound (a bound reached refuses even 0).
func (p *Pipe) FullFor(n int) bool {
	n = max(n, 1)
	if t := p.target.Load(); t != nil {
		if t.box != nil {
			return t.fullBox(n)
		}
		q := &t.s.in
		q.mu.Lock()
		full := t.inFull(n)
		if full {
			t.readerBlocked = true // so the receiver wakes senders as it drains
		}
		q.mu.Unlock()
		return full
	}
	p.mu.Lock()
	full := p.outFull(n)
	p.mu.Unlock()
	return full
}

// Datagram reports whether the pipe is a UDP link, which carries every
// group (the receiver filters).
func (p *Pipe) Datagram() bool { return p.datagram }

// SendCommand sends a command (a body built with package zmtp)
// to the peer ahead of queued messages. Commands are not queued while the
// link is down: PeerUp handlers resend what a new connection needs (as
// DISH's joins). Over inproc the peer socket's handler gets it directly.
func (p *Pipe) SendCommand(body []byte) {
	if t := p.target.Load(); t != nil {
		if h := t.s.handler; h != nil {
			_ = h.Command(t, body) // inproc peers are ours: their commands are well formed
		}
		return
	}
	p.mu.Lock()
	if p.conn == nil || p.closed {
		p.mu.Unlock()
		return
	}
	p.ctrl = append(p.ctrl, body)
	p.writerIdle = false
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// take hands the writer everything queued: the commands and the messages
// (swapped with the writer's empty batch, so nothing is copied). The
// messages leave the high-water mark's count; their bytes stay within the
// byte bound, in flight, until the writer reports them written. When both
// are empty and the writer holds nothing (holding: bytes it encoded and
// has not yet handed to the kernel), it marks the writer idle, so the next
// send wakes it, and tells a lingering Close. A writer that still holds
// bytes stays busy: marking it idle then would let Close end the
// connection before its last write (see busy).
func (p *Pipe) take(batch []socket.Msg, holding bool) (msgs []socket.Msg, ctrl [][]byte) {
	p.mu.Lock()
	if len(p.out) == 0 && len(p.ctrl) == 0 {
		if holding {
			p.mu.Unlock()
			return batch[:0], nil
		}
		p.writerIdle = true
		p.mu.Unlock()
		p.s.drained.broadcast() // one atomic load unless Close lingers
		return batch[:0], nil
	}
	full := p.sendHWM > 0 && len(p.out) >= p.sendHWM
	msgs, p.out = p.out, batch[:0]
	p.inflightBytes = p.outBytes
	ctrl, p.ctrl = p.ctrl, nil
	p.mu.Unlock()
	if full {
		p.s.sendReady.broadcast()
	}
	return msgs, ctrl
}

// written tells the pipe that the writer has handed size bytes of bodies
// it took to the kernel: they leave the byte bound, and a sender waiting
// for room looks again. The writer calls it once per write, not per
// message.
func (p *Pipe) written(size int64) {
	if size == 0 {
		return
	}
	p.mu.Lock()
	p.inflightBytes -= size
	p.outBytes -= size
	p.mu.Unlock()
	p.s.sendReady.broadcast() // one atomic load unless a sender waits
}

// busy reports whether messages are queued, or taken by a writer that has
// not yet handed them all to the kernel.
func (p *Pipe) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.out) > 0 || (p.conn != nil && !p.writerIdle)
}

// close stops the pipe taking messages and drops what it holds to send.
// What it has received stays for Recv (a kicked peer's last messages),
// unless its socket is closed: then an inproc pipe's incoming queue is
// dropped too, since the peer's pipe, which outlives our socket, still
// points to it.
func (p *Pipe) close() {
	p.mu.Lock()
	p.setClosed(true)
	clear(p.out)
	p.out = nil
	p.outBytes, p.inflightBytes = 0, 0
	p.ctrl = nil
	p.mu.Unlock()
	if b := p.box; b != nil && p.s.isClosed() {
		q := &p.s.in
		q.mu.Lock()
		b.drop()
		q.mu.Unlock()
	}
	p.s.sendReady.broadcast()
	p.s.drained.broadcast()
}

// setClosed sets closed. p.mu must be held; it takes the fair-queue lock
// of p's socket too, under which pushIn reads closed.
func (p *Pipe) setClosed(closed bool) {
	q := &p.s.in
	q.mu.Lock()
	if b := p.box; b != nil {
		b.mu.Lock()
		p.closed = closed
		b.mu.Unlock()
	} else {
		p.closed = closed
	}
	q.mu.Unlock()
}

// pushIn delivers one message into this pipe's incoming queue (the inproc
// path). It reports false at the combined inproc high-water mark, and marks
// the sender as waiting so the receiver wakes it. m is not changed (a
// refused message goes back to the caller, or on to another pipe).
func (p *Pipe) pushIn(m *socket.Msg) (bool, error) {
	if b := p.box; b != nil {
		if b.icept != nil {
			return p.pushBoxIntercepted(m)
		}
		return p.pushBox(m, b.filter == nil || b.filter(m.Group))
	}
	if ic := p.s.icept; ic != nil {
		return p.pushIntercepted(ic, *m)
	}
	return p.deliver(m)
}

// pushIntercepted is pushIn through the receiving socket's interceptor.
// im is a copy of its own: the message whose address the interceptor
// takes moves to the heap, and only intercepted sends should pay for it.
func (p *Pipe) pushIntercepted(ic Interceptor, im socket.Msg) (bool, error) {
	if im.Peer == nil {
		im.Peer = p.peer.Load()
	}
	im.RoutingID = p.id
	keep, err := ic.Intercept(p, &im)
	if err != nil || !keep {
		return true, nil // taken (and dropped: inproc peers are ours, an error here is a bug of theirs)
	}
	return p.deliver(&im)
}

// deliver is pushIn past the interceptor.
func (p *Pipe) deliver(m *socket.Msg) (bool, error) {
	if b := p.box; b != nil {
		// The filter runs first, with no lock held; pushBox applies its
		// verdict after the closed and bound checks, as below.
		return p.pushBox(m, b.filter == nil || b.filter(m.Group))
	}
	q := &p.s.in
	q.mu.Lock()
	if q.closed || p.closed {
		q.mu.Unlock()
		return false, socket.ErrHostUnreachable
	}
	if p.s.opts.Conflate {
		p.conflateLocked()
	} else if p.inFull(max(m.Len(), 1)) {
		p.readerBlocked = true
		q.mu.Unlock()
		return false, nil
	}
	if f := p.s.filter; f != nil && !f(m.Group) {
		q.mu.Unlock()
		return true, nil // not joined: dropped, as over tcp the radio would not send it
	}
	jm := Joined(*m)
	if jm.Peer == nil {
		jm.Peer = p.peer.Load()
	}
	jm.RoutingID = p.id
	p.appendLocked(jm)
	wake := q.waiters > 0
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	q.ready.broadcast()
	return true, nil
}

// Inject queues m on the pipe's incoming side as if its peer had sent it,
// past the high-water marks, even once the pipe is closed (an XPUB's
// cancel notifications for a peer that left). It drops m only once the
// socket is closed.
func (p *Pipe) Inject(m socket.Msg) {
	q := &p.s.in
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if m.Peer == nil {
		m.Peer = p.peer.Load()
	}
	m.RoutingID = p.id
	p.appendLocked(m)
	wake := q.waiters > 0
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	q.ready.broadcast()
}

// conflateLocked drops every message waiting in the incoming queue, so
// that the one about to be appended is the only one (Options.Conflate).
// The pipe stays in the fair queue's ring if it is there: the append
// refills it. q.mu must be held.
func (p *Pipe) conflateLocked() {
	clear(p.in[p.inHead:])
	p.in = p.in[:p.inHead]
	p.inBytes = 0
}

// appendLocked appends m to the incoming queue and activates the pipe in the
// fair queue. q.mu must be held.
func (p *Pipe) appendLocked(m socket.Msg) {
	if b := p.box; b != nil {
		b.put(m)
		p.activateLocked()
		return
	}
	if p.inHead > 0 && len(p.in) == cap(p.in) {
		n := copy(p.in, p.in[p.inHead:])
		clear(p.in[n:])
		p.in = p.in[:n]
		p.inHead = 0
	}
	p.in = append(p.in, m)
	p.inBytes += int64(m.Len())
	if !p.inActive {
		p.inActive = true
		p.s.in.activate(p)
	}
}

// fairQueue is a socket's incoming side: the pipes that hold messages, in a
// ring, served one message per pipe per turn (libzmq's fq). Readers push
// whole batches under one lock; receivers pop one message each.
type fairQueue struct {
	mu      sync.Mutex
	ring    []*Pipe // circular; n entries from head
	head, n int
	waiters int           // receivers blocked in Recv
	ready   signal        // broadcast when messages are queued (pollers wait on it)
	wake    chan struct{} // cap 1: wakes one receiver; it passes the wake on
	closed  bool
}

func (q *fairQueue) init() { q.wake = make(chan struct{}, 1) }

func (q *fairQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// activate puts p at the back of the ring. q.mu must be held.
func (q *fairQueue) activate(p *Pipe) {
	if q.n == len(q.ring) {
		grown := make([]*Pipe, max(8, 2*len(q.ring)))
		for i := 0; i < q.n; i++ {
			grown[i] = q.ring[(q.head+i)%len(q.ring)]
		}
		q.ring, q.head = grown, 0
	}
	i := q.head + q.n
	if i >= len(q.ring) {
		i -= len(q.ring)
	}
	q.ring[i] = p
	q.n++
}

// pushBatch appends a reader's batch, of size bytes in all, to p's
// incoming queue. It reports whether p is now at its high-water mark or
// byte bound, in which case the reader must wait on p.readerWake before
// reading more.
func (q *fairQueue) pushBatch(p *Pipe, batch []socket.Msg, size int64) (full bool) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	conflate := p.s.opts.Conflate
	if conflate {
		p.conflateLocked()
		batch = batch[len(batch)-1:]
		size = int64(batch[0].Len())
	}
	if p.inHead > 0 && len(p.in)+len(batch) > cap(p.in) {
		n := copy(p.in, p.in[p.inHead:])
		clear(p.in[n:])
		p.in = p.in[:n]
		p.inHead = 0
	}
	p.in = append(p.in, batch...)
	p.inBytes += size
	if !p.inActive {
		p.inActive = true
		q.activate(p)
	}
	full = !conflate && (p.recvHWM > 0 && len(p.in)-p.inHead >= p.recvHWM || p.recvBytes > 0 && p.inBytes >= p.recvBytes)
	if full {
		p.readerBlocked = true
	}
	wake := q.waiters > 0
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	q.ready.broadcast()
	return full
}

// pop takes the next message in fair order, if any (popTo).
func (q *fairQueue) pop() (socket.Msg, bool) {
	var m socket.Msg
	ok := q.popTo(&m)
	return m, ok
}

// popTo takes the next message in fair order, if any, into *dst: one
// message of the pipe at the head of the ring, which then goes to the back
// of the ring if it holds more (with one pipe in the ring it stays where
// it is). It writes *dst only when it reports true.
func (q *fairQueue) popTo(dst *socket.Msg) bool {
	q.mu.Lock()
	for q.n > 0 {
		p := q.ring[q.head]
		var ok, keep, wake bool
		if b := p.box; b != nil {
			ok, keep, wake = b.pop(p, dst)
		} else {
			keep, wake = p.popIn(dst)
			ok = true
		}
		if !keep || q.n > 1 {
			q.ring[q.head] = nil
			if q.head++; q.head == len(q.ring) {
				q.head = 0
			}
			q.n--
			if keep {
				q.activate(p)
			} else {
				p.inActive = false
			}
		}
		more := q.n > 0 && q.waiters > 0
		q.mu.Unlock()
		if wake {
			p.wakeSenders()
		}
		if ok {
			if more {
				q.signal()
			}
			return true
		}
		q.mu.Lock() // an inbox that turned out empty: it parked, try the next pipe
	}
	q.mu.Unlock()
	return false
}

// popIn takes the next message of p's incoming queue (not an inbox),
// which holds one, into *m. keep reports whether p holds more, wake whether the
// reader or inproc senders stopped at its bounds must be woken. q.mu must
// be held.
func (p *Pipe) popIn(m *socket.Msg) (keep, wake bool) {
	*m = p.in[p.inHead]
	p.in[p.inHead] = socket.Msg{}
	p.inHead++
	p.inBytes -= int64(m.Len())
	left := len(p.in) - p.inHead
	if left == 0 {
		p.in = p.in[:0]
		p.inHead = 0
		p.inBytes = 0
	}
	wake = p.readerBlocked && p.inRoom(left)
	if wake {
		p.readerBlocked = false
	}
	return left > 0, wake
}

// wakeSenders wakes what stopped at p's incoming bounds: the inproc peer's
// senders, or p's connection's reader. Called with no lock held.
func (p *Pipe) wakeSenders() {
	if p.source != nil {
		p.source.s.sendReady.broadcast()
		return
	}
	select {
	case p.readerWake <- struct{}{}:
	default:
	}
}

// shutdown makes later pushes no-ops: once the socket is closed, readers
// that are still winding down queue nothing more.
func (q *fairQueue) shutdown() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// signal is a broadcast: every goroutine that took wait()'s channel is
// woken by the next broadcast. Used for the rare blocking paths (a sender at
// the high-water mark), so its allocation per broadcast does not matter;
// broadcast costs one atomic load when nobody waits.
type signal struct {
	mu    sync.Mutex
	ch    chan struct{}
	armed atomic.Bool
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	if s.ch == nil {
		s.ch = make(chan struct{})
		s.armed.Store(true)
	}
	c := s.ch
	s.mu.Unlock()
	return c
}

func (s *signal) broadcast() {
	if !s.armed.Load() {
		return
	}
	s.mu.Lock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
		s.armed.Store(false)
	}
	s.mu.Unlock()
}
